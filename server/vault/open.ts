// Opens .kdbx bytes (kdbxweb's outer format, then a streaming read of the XML) into a frozen Snapshot.
import * as kdbxweb from 'kdbxweb';
import { installAesKdf } from './aes-kdf';
import { installArgon2 } from './argon2';
import { READABLE_CIPHERS, headerCipher, structureProblem } from './kdbx-header';
import { decryptPayload, type Payload } from './kdbx-payload';
import { binaryBytes, recordsOf } from './kdbxweb-read';
import { readKeePassXml } from './keepass-xml';
import { VaultOpenError, toOpenError } from './open-error';
import { resolveReferences } from './references';
import { SnapshotBuilder, sortCredentials, type Credential, type Snapshot } from './snapshot';
import { vaultInfo, type TreeCounts, type VaultRead } from './vault-info';
import { buildCredentials, type EntryRecord } from './versions';
import { XmlShapeError, normalizeXmlBytes } from './xml-reader';

export { VaultOpenError } from './open-error';
export { isAlwaysSecretField, splitTags } from './entry-state';
export type { VaultRead } from './vault-info';

export interface VaultCredentials {
  readonly password: string | null;
  readonly keyFile: Uint8Array | null;
}

installArgon2();
installAesKdf();

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

// KeePass 1.x's signature: 0x9AA2D903 then 0xB54BFB65 (KDBX has 0xB54BFB67), little-endian.
const KEEPASS1 = Buffer.from([0x03, 0xd9, 0xa2, 0x9a, 0x65, 0xfb, 0x4b, 0xb5]);
const isKeePass1 = (bytes: Uint8Array): boolean => bytes.length >= 8 && KEEPASS1.equals(bytes.subarray(0, 8));

/** Opens and maps a vault; throws VaultOpenError with kdbxweb's code when it cannot. */
export async function openVault(bytes: Uint8Array, credentials: VaultCredentials, now = new Date()): Promise<Snapshot> {
  return snapshotFromRead(await readVault(bytes, credentials), now);
}

/** Records to credentials: references resolved, versions worked out, in the snapshot's path order. */
export function credentialsFromRead(read: VaultRead): Credential[] {
  const records = read.live.map((index) => read.all[index]).filter((r): r is EntryRecord => r !== undefined);
  return sortCredentials(buildCredentials(resolveReferences(records, read.all)));
}

/** The cheap half of opening: references, versions and maps from records already read. */
export function snapshotFromRead(read: VaultRead, now = new Date()): Snapshot {
  const builder = new SnapshotBuilder();
  builder.add(credentialsFromRead(read));
  return builder.finish(read.info, now);
}

async function keysFor(bytes: Uint8Array, credentials: VaultCredentials): Promise<kdbxweb.KdbxCredentials> {
  if (credentials.password === null && credentials.keyFile === null) {
    throw new VaultOpenError('InvalidArg', 'no vault password or key file is configured');
  }
  if (isKeePass1(bytes)) {
    throw new VaultOpenError(
      'BadSignature',
      'this is a KeePass 1.x (.kdb) file, which kdbx-gateway does not read; import it in KeePassXC (Database → Import → KeePass 1 database) and save it as .kdbx',
    );
  }
  const cipher = headerCipher(bytes);
  if (cipher !== null && !READABLE_CIPHERS.has(cipher)) {
    throw new VaultOpenError(
      'Unsupported',
      `the vault is encrypted with ${cipher === 'Twofish' ? 'the Twofish cipher' : `an unknown cipher (${cipher})`}, which kdbx-gateway cannot decrypt; choose AES-256 or ChaCha20 in KeePassXC (Database Settings → Security → Encryption) and save`,
    );
  }
  // After the cipher: a Twofish vault is named as such, whole or not.
  const damage = structureProblem(bytes);
  if (damage !== null) {
    throw new VaultOpenError('FileCorrupt', `the vault file is corrupt or truncated: ${damage} (a save or copy still under way looks like this; a reload retries at the next change)`);
  }
  try {
    const keys = new kdbxweb.Credentials(
      credentials.password === null ? null : kdbxweb.ProtectedValue.fromString(credentials.password),
      credentials.keyFile === null ? null : toArrayBuffer(credentials.keyFile),
    );
    await keys.ready;
    return keys;
  } catch (error) {
    throw toOpenError(error);
  }
}

/** KDBX 4's attachments from the inner header, by the IDs entries refer to (0, 1, … in order). */
async function innerBinaries(kdbx: kdbxweb.Kdbx): Promise<Map<string, Uint8Array>> {
  await kdbx.binaries.computeHashes();
  const byId = new Map<string, Uint8Array>();
  for (let id = 0; ; id += 1) {
    const binary = kdbx.binaries.getByRef({ ref: String(id) });
    if (!binary) return byId;
    byId.set(String(id), binaryBytes(binary));
  }
}

interface XmlDocument {
  readonly documentElement: unknown;
}

/**
 * kdbxweb's DOM reader on the same decrypted XML, for documents the streaming reader does not model
 * (a DTD, markup inside a value, Root before Meta): no KeePass writer makes them, but kdbxweb reads them.
 * kdbxweb's parser drops tabs, so these rare documents lose the tabs the streaming reader keeps.
 */
async function readWithDom(payload: Payload): Promise<TreeCounts & { all: EntryRecord[]; headerHash: ArrayBuffer | null }> {
  const { kdbx } = payload;
  // The gateway compiles without the DOM library, so kdbxweb's Document-typed pieces are named by what is used of them.
  const dom = kdbxweb.XmlUtils as unknown as { parse(xml: string): XmlDocument; setProtectedValues(node: unknown, salts: kdbxweb.ProtectSaltGenerator): void };
  const doc = dom.parse(new TextDecoder().decode(payload.xml));
  (kdbx as unknown as { xml: XmlDocument }).xml = doc;
  dom.setProtectedValues(doc.documentElement, await payload.salts());
  await kdbx.loadFromXml(payload.format.ctx);
  const read = recordsOf(kdbx);
  if (!read) throw new VaultOpenError('FileCorrupt', 'the vault has no root group');
  return { ...read, headerHash: kdbx.meta.headerHash ?? null };
}

/** The costly half of opening (key derivation, decryption, XML), fit for a worker thread. */
export async function readVault(bytes: Uint8Array, credentials: VaultCredentials): Promise<VaultRead> {
  const keys = await keysFor(bytes, credentials);
  try {
    const payload = await decryptPayload(toArrayBuffer(bytes), keys);
    const xml = normalizeXmlBytes(payload.xml);
    let read;
    try {
      read = readKeePassXml(xml, await payload.salts(), await innerBinaries(payload.kdbx));
    } catch (error) {
      if (!(error instanceof XmlShapeError)) throw error;
      read = await readWithDom({ ...payload, xml });
    }
    await payload.checkHeaderHash(read.headerHash);
    return { all: read.all, live: read.live, info: vaultInfo(payload.kdbx.header, read) };
  } catch (error) {
    throw toOpenError(error);
  }
}

/** kdbxweb's full load and object model: the reference the streaming reader is tested against. */
export async function readVaultWithKdbxweb(bytes: Uint8Array, credentials: VaultCredentials): Promise<VaultRead> {
  const keys = await keysFor(bytes, credentials);
  try {
    const db = await kdbxweb.Kdbx.load(toArrayBuffer(bytes), keys);
    const read = recordsOf(db);
    if (!read) throw new VaultOpenError('FileCorrupt', 'the vault has no root group');
    return { all: read.all, live: read.live, info: vaultInfo(db.header, read) };
  } catch (error) {
    throw toOpenError(error);
  }
}
