// kdbxweb's outer format (header, key derivation, decryption, block streams, inner header), up to the XML bytes.
import { gunzipSync } from 'node:zlib';
import * as kdbxweb from 'kdbxweb';

/**
 * KdbxFormat's load steps are private, and load() always goes on to build its XML DOM. These are
 * the steps it runs before that; kdbxweb is pinned to one version in package.json and every fixture opens
 * through them in the tests, so a change of shape fails there. Running kdbxweb's own steps keeps its
 * KDF path, and with it the argon2 and AES-KDF hooks the gateway installs on it.
 */
interface FormatSteps {
  getHeaderHash(stm: kdbxweb.BinaryStream): Promise<ArrayBuffer>;
  getHeaderHmac(stm: kdbxweb.BinaryStream, key: ArrayBuffer): Promise<ArrayBuffer>;
  computeKeysV4(): Promise<{ cipherKey: ArrayBuffer; hmacKey: ArrayBuffer }>;
  getMasterKeyV3(): Promise<ArrayBuffer>;
  decryptData(data: ArrayBuffer, key: ArrayBuffer): Promise<ArrayBuffer>;
  trimStartBytesV3(data: ArrayBuffer): ArrayBuffer;
}

/** The decrypted inner document and what reading it needs. */
export interface Payload {
  readonly kdbx: kdbxweb.Kdbx;
  readonly format: kdbxweb.KdbxFormat;
  /** The XML document, UTF-8. */
  readonly xml: Buffer;
  /** KDBX 3.1 keeps the header's hash in Meta; the reader hands it back here to be checked. */
  checkHeaderHash(metaHash: ArrayBuffer | null): Promise<void>;
  /** A fresh inner random stream: protected values are XORed with it in document order. */
  salts(): Promise<kdbxweb.ProtectSaltGenerator>;
}

const corrupt = (message: string): kdbxweb.KdbxError => new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.FileCorrupt, message);

function gunzip(kdbx: kdbxweb.Kdbx, data: ArrayBuffer): Buffer {
  const bytes = Buffer.from(data);
  // zlib is native: several times faster than kdbxweb's JavaScript inflate on a large vault.
  return kdbx.header.compression === kdbxweb.Consts.CompressionAlgorithm.GZip ? gunzipSync(bytes) : bytes;
}

async function checkHash(steps: FormatSteps, stm: kdbxweb.BinaryStream, expected: ArrayBuffer | null): Promise<void> {
  if (expected === null) return;
  if (!kdbxweb.ByteUtils.arrayBufferEquals(expected, await steps.getHeaderHash(stm))) throw corrupt('header hash mismatch');
}

async function innerV4(kdbx: kdbxweb.Kdbx, format: kdbxweb.KdbxFormat, steps: FormatSteps, stm: kdbxweb.BinaryStream): Promise<Buffer> {
  const headerSha = await steps.getHeaderHash(stm);
  if (!kdbxweb.ByteUtils.arrayBufferEquals(stm.readBytes(headerSha.byteLength), headerSha)) throw corrupt('header hash mismatch');
  const keys = await steps.computeKeysV4();
  const headerHmac = await steps.getHeaderHmac(stm, keys.hmacKey);
  if (!kdbxweb.ByteUtils.arrayBufferEquals(stm.readBytes(headerHmac.byteLength), headerHmac)) {
    throw new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.InvalidKey);
  }
  const blocks = await kdbxweb.HmacBlockTransform.decrypt(stm.readBytesToEnd(), keys.hmacKey);
  kdbxweb.ByteUtils.zeroBuffer(keys.hmacKey);
  const plain = await steps.decryptData(blocks, keys.cipherKey);
  kdbxweb.ByteUtils.zeroBuffer(keys.cipherKey);
  const data = gunzip(kdbx, plain);
  const ab = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : kdbxweb.ByteUtils.arrayToBuffer(data);
  const inner = new kdbxweb.BinaryStream(ab as ArrayBuffer);
  // Binaries and the inner random stream's key: kdbxweb's reader puts them on the header and binaries.
  kdbx.header.readInnerHeader(inner, format.ctx);
  return Buffer.from(ab, inner.pos);
}

async function innerV3(kdbx: kdbxweb.Kdbx, steps: FormatSteps, stm: kdbxweb.BinaryStream): Promise<Buffer> {
  const masterKey = await steps.getMasterKeyV3();
  const plain = await steps.decryptData(stm.readBytesToEnd(), masterKey);
  kdbxweb.ByteUtils.zeroBuffer(masterKey);
  return gunzip(kdbx, await kdbxweb.HashedBlockTransform.decrypt(steps.trimStartBytesV3(plain)));
}

/** Decrypts a KDBX 3.1 or 4.x file as kdbxweb's load() does, stopping before the XML is parsed. */
export async function decryptPayload(bytes: ArrayBuffer, credentials: kdbxweb.KdbxCredentials): Promise<Payload> {
  const kdbx = new kdbxweb.Kdbx();
  kdbx.credentials = credentials;
  const format = new kdbxweb.KdbxFormat(kdbx);
  const steps = format as unknown as FormatSteps;
  await credentials.ready;
  const stm = new kdbxweb.BinaryStream(bytes);
  kdbx.header = kdbxweb.KdbxHeader.read(stm, format.ctx);
  const major = kdbx.header.versionMajor;
  if (major !== 3 && major !== 4) throw new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.InvalidVersion, `bad version: ${major}`);
  const xml = major === 4 ? await innerV4(kdbx, format, steps, stm) : await innerV3(kdbx, steps, stm);
  return {
    kdbx,
    format,
    xml,
    checkHeaderHash: (metaHash) => (major === 3 ? checkHash(steps, stm, metaHash) : Promise.resolve()),
    salts: () => {
      const { protectedStreamKey, crsAlgorithm } = kdbx.header;
      if (!protectedStreamKey || !crsAlgorithm) {
        throw new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.InvalidState, 'bad header parameters');
      }
      return kdbxweb.ProtectSaltGenerator.create(protectedStreamKey, crsAlgorithm);
    },
  };
}
