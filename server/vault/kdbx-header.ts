// Reads a KDBX outer header before kdbxweb does: the cipher (to name one it cannot decrypt) and the KDF.
import { createHash } from 'node:crypto';

const SIGNATURE_1 = 0x9aa2d903;
const SIGNATURE_2 = 0xb54bfb67;
const END_OF_HEADER = 0;
const CIPHER_ID_FIELD = 2;
const TRANSFORM_SEED_FIELD = 5;
const TRANSFORM_ROUNDS_FIELD = 6;
const KDF_PARAMETERS_FIELD = 11;

/** Ciphers by header UUID; kdbxweb decrypts the first two only. */
export const CIPHER_NAMES: Readonly<Record<string, string>> = {
  '31c1f2e6-bf71-4350-be58-05216afc5aff': 'AES-256',
  'd6038a2b-8b6f-4cb5-a524-339a31dbb59a': 'ChaCha20',
  'ad68f29f-576f-4bb9-a36a-d47af965346c': 'Twofish',
};
export const READABLE_CIPHERS = new Set(['AES-256', 'ChaCha20']);

const KDF_IDS: Readonly<Record<string, 'Argon2d' | 'Argon2id' | 'AES-KDF'>> = {
  'ef636ddf-8c29-444b-91f7-a9a403e30a0c': 'Argon2d',
  '9e298b19-56db-4773-b23d-fc3ec6f0a1e6': 'Argon2id',
  'c9d9f39a-628a-4460-bf74-0d08c18a4fea': 'AES-KDF',
};

/** The KDF a header names, with the arguments kdbxweb will hand to its Argon2 or AES-KDF hook. */
export type HeaderKdf =
  | {
      readonly name: 'Argon2d' | 'Argon2id';
      readonly salt: Uint8Array;
      /** In KiB, as kdbxweb passes it (the header holds bytes). */
      readonly memoryKiB: number;
      readonly iterations: number;
      readonly parallelism: number;
      readonly version: number;
    }
  | { readonly name: 'AES-KDF'; readonly seed: Uint8Array; readonly rounds: number };

const uuidText = (bytes: Uint8Array): string => {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** The header's fields in order and where it ends, or null when the bytes are not a KDBX 3/4 header that can be walked. */
function headerFields(bytes: Uint8Array): { major: number; fields: Map<number, Buffer>; end: number } | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.readUInt32LE(0) !== SIGNATURE_1 || buffer.readUInt32LE(4) !== SIGNATURE_2) return null;
  const major = buffer.readUInt16LE(10);
  if (major !== 3 && major !== 4) return null;
  const lengthSize = major === 4 ? 4 : 2;
  const fields = new Map<number, Buffer>();
  let offset = 12;
  while (offset + 1 + lengthSize <= buffer.length) {
    const id = buffer.readUInt8(offset);
    const length = lengthSize === 4 ? buffer.readUInt32LE(offset + 1) : buffer.readUInt16LE(offset + 1);
    const start = offset + 1 + lengthSize;
    if (start + length > buffer.length) return null;
    if (id === END_OF_HEADER) return { major, fields, end: start + length };
    // kdbxweb keeps the last of a repeated field; so does this.
    fields.set(id, buffer.subarray(start, start + length));
    offset = start + length;
  }
  return null;
}

/**
 * The cipher's name (or UUID when unknown), or null when the bytes are not a KDBX 3/4 header that
 * can be walked: kdbxweb then gives its own precise error.
 */
export function headerCipher(bytes: Uint8Array): string | null {
  const field = headerFields(bytes)?.fields.get(CIPHER_ID_FIELD);
  if (field?.length !== 16) return null;
  const uuid = uuidText(field);
  return CIPHER_NAMES[uuid] ?? uuid;
}

/**
 * What is structurally wrong with a KDBX file, found without its key, or null. A file cut short (a
 * save or copy caught half-way) would otherwise fail to decrypt and be taken for a wrong password.
 * KDBX 4: the header's SHA-256 and the chain of HMAC blocks up to its empty last block; KDBX 3:
 * the AES-CBC payload in whole 16-byte blocks.
 */
export function structureProblem(bytes: Uint8Array): string | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.readUInt32LE(0) !== SIGNATURE_1 || buffer.readUInt32LE(4) !== SIGNATURE_2) return null;
  const major = buffer.readUInt16LE(10);
  if (major !== 3 && major !== 4) return null;
  const header = headerFields(bytes);
  if (header === null) return 'its header is cut short or damaged';
  if (major === 3) {
    const payload = buffer.length - header.end;
    const cipher = header.fields.get(CIPHER_ID_FIELD);
    const aes = cipher?.length === 16 && CIPHER_NAMES[uuidText(cipher)] === 'AES-256';
    if (aes && (payload === 0 || payload % 16 !== 0)) return 'its encrypted part is cut short';
    return null;
  }
  if (buffer.length < header.end + 64) return 'it ends right after its header';
  const stored = buffer.subarray(header.end, header.end + 32);
  if (!createHash('sha256').update(buffer.subarray(0, header.end)).digest().equals(stored)) return "its header does not match the header's SHA-256";
  let offset = header.end + 64;
  for (;;) {
    if (offset + 36 > buffer.length) return 'its encrypted part is cut short';
    const length = buffer.readUInt32LE(offset + 32);
    if (length === 0) return null;
    offset += 36 + length;
  }
}

type VariantValue = number | bigint | boolean | string | Buffer;

/** The VariantDictionary value types: the size each must have (null where the length is free) and how it reads. */
const VARIANT_READERS: Readonly<Record<number, { readonly size: number | null; readonly read: (value: Buffer) => VariantValue }>> = {
  0x04: { size: 4, read: (v) => v.readUInt32LE(0) },
  0x05: { size: 8, read: (v) => v.readBigUInt64LE(0) },
  0x08: { size: 1, read: (v) => v.readUInt8(0) !== 0 },
  0x0c: { size: 4, read: (v) => v.readInt32LE(0) },
  0x0d: { size: 8, read: (v) => v.readBigInt64LE(0) },
  0x18: { size: null, read: (v) => v.toString('utf8') },
  0x42: { size: null, read: (v) => v },
};

/** KDBX 4's VariantDictionary (KdfParameters), or null when it is malformed. */
function variantDictionary(data: Buffer): Map<string, VariantValue> | null {
  if (data.length < 2 || data.readUInt8(1) !== 1) return null;
  const items = new Map<string, VariantValue>();
  let offset = 2;
  while (offset < data.length) {
    const type = data.readUInt8(offset);
    if (type === 0) return items;
    if (offset + 5 > data.length) return null;
    const keyLength = data.readUInt32LE(offset + 1);
    const keyEnd = offset + 5 + keyLength;
    if (keyEnd + 4 > data.length) return null;
    const key = data.toString('utf8', offset + 5, keyEnd);
    const valueLength = data.readUInt32LE(keyEnd);
    const value = data.subarray(keyEnd + 4, keyEnd + 4 + valueLength);
    if (value.length !== valueLength) return null;
    const reader = VARIANT_READERS[type];
    if (reader === undefined || (reader.size !== null && valueLength !== reader.size)) return null;
    items.set(key, reader.read(value));
    offset = keyEnd + 4 + valueLength;
  }
  return null;
}

/** A whole number from a variant, or null; kdbxweb reads 64-bit values into doubles, so larger ones are refused. */
function whole(value: VariantValue | undefined): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n) return Number(value);
  return null;
}

/**
 * The KDF and its arguments, or null when the header names none that kdbxweb would run with
 * these values (its own checks, mirrored, so nothing is started that kdbxweb would refuse).
 */
export function headerKdf(bytes: Uint8Array): HeaderKdf | null {
  const header = headerFields(bytes);
  if (!header) return null;
  if (header.major === 3) {
    const seed = header.fields.get(TRANSFORM_SEED_FIELD);
    const rounds = header.fields.get(TRANSFORM_ROUNDS_FIELD);
    // AES-256 takes a 32-byte key; kdbxweb fails on any other seed, so nothing is started for one.
    if (seed?.length !== 32 || rounds?.length !== 8) return null;
    const count = whole(rounds.readBigUInt64LE(0));
    // kdbxweb refuses a KDBX 3 file whose rounds are 0 or missing.
    if (count === null || count < 1) return null;
    return { name: 'AES-KDF', seed: new Uint8Array(seed), rounds: count };
  }
  const data = header.fields.get(KDF_PARAMETERS_FIELD);
  const params = data === undefined ? null : variantDictionary(data);
  const uuid = params?.get('$UUID');
  if (!params || !(uuid instanceof Buffer) || uuid.length !== 16) return null;
  const name = KDF_IDS[uuidText(uuid)];
  const salt = params.get('S');
  if (name === undefined || !(salt instanceof Buffer) || salt.length !== 32) return null;
  if (name === 'AES-KDF') {
    const rounds = whole(params.get('R'));
    return rounds === null || rounds < 1 ? null : { name, seed: new Uint8Array(salt), rounds };
  }
  const parallelism = whole(params.get('P'));
  const iterations = whole(params.get('I'));
  const memory = whole(params.get('M'));
  const version = params.get('V');
  if (parallelism === null || parallelism < 1 || iterations === null || iterations < 1) return null;
  if (memory === null || memory < 1 || memory % 1024 !== 0 || (version !== 0x10 && version !== 0x13)) return null;
  // kdbxweb refuses a secret key or associated data.
  if (params.get('K') || params.get('A')) return null;
  return { name, salt: new Uint8Array(salt), memoryKiB: memory / 1024, iterations, parallelism, version };
}
