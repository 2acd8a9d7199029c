// Reads the cipher named in a KDBX header before kdbxweb does, to name one it cannot decrypt.

const SIGNATURE_1 = 0x9aa2d903;
const SIGNATURE_2 = 0xb54bfb67;
const CIPHER_ID_FIELD = 2;
const END_OF_HEADER = 0;

/** Ciphers by header UUID; kdbxweb decrypts the first two only. */
export const CIPHER_NAMES: Readonly<Record<string, string>> = {
  '31c1f2e6-bf71-4350-be58-05216afc5aff': 'AES-256',
  'd6038a2b-8b6f-4cb5-a524-339a31dbb59a': 'ChaCha20',
  'ad68f29f-576f-4bb9-a36a-d47af965346c': 'Twofish',
};
export const READABLE_CIPHERS = new Set(['AES-256', 'ChaCha20']);

const uuidText = (bytes: Buffer): string => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * The cipher's name (or UUID when unknown), or null when the bytes are not a KDBX 3/4 header that
 * can be walked: kdbxweb then gives its own precise error.
 */
export function headerCipher(bytes: Uint8Array): string | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.readUInt32LE(0) !== SIGNATURE_1 || buffer.readUInt32LE(4) !== SIGNATURE_2) return null;
  const major = buffer.readUInt16LE(10);
  if (major !== 3 && major !== 4) return null;
  const lengthSize = major === 4 ? 4 : 2;
  let offset = 12;
  while (offset + 1 + lengthSize <= buffer.length) {
    const id = buffer.readUInt8(offset);
    const length = lengthSize === 4 ? buffer.readUInt32LE(offset + 1) : buffer.readUInt16LE(offset + 1);
    const start = offset + 1 + lengthSize;
    if (start + length > buffer.length) return null;
    if (id === CIPHER_ID_FIELD && length === 16) {
      const uuid = uuidText(buffer.subarray(start, start + 16));
      return CIPHER_NAMES[uuid] ?? uuid;
    }
    if (id === END_OF_HEADER) return null;
    offset = start + length;
  }
  return null;
}
