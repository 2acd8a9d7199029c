// Opens .kdbx bytes with kdbxweb and maps them, once, into a frozen Snapshot of plain records.
import * as kdbxweb from 'kdbxweb';
import { installAesKdf } from './aes-kdf';
import { installArgon2 } from './argon2';
import { READABLE_CIPHERS, headerCipher } from './kdbx-header';
import { Secret, type FieldValue } from './secret';
import { buildSnapshot, type Attachment, type EntryState, type KdfInfo, type Snapshot, type VaultInfo } from './snapshot';
import { resolveReferences } from './references';
import { buildCredentials, joinPath, type EntryRecord } from './versions';

export interface VaultCredentials {
  readonly password: string | null;
  readonly keyFile: Uint8Array | null;
}

/** Why a vault could not be opened; `code` is kdbxweb's error code (or ours for the cases it lacks). */
export class VaultOpenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'VaultOpenError';
    this.code = code;
  }
}

const STANDARD_FIELDS = new Set(['Title', 'UserName', 'Password', 'URL', 'Notes']);
const OTP_FIELDS = ['otp', 'TimeOtp-Secret-Base32', 'TimeOtp-Secret', 'TimeOtp-Secret-Hex', 'TOTP Seed'];
// A TOTP seed is as secret as a password even where the tool that wrote it did not protect it.
const ALWAYS_SECRET = new Set([...OTP_FIELDS, 'TimeOtp-Secret-Base64']);
export const isAlwaysSecretField = (name: string): boolean => ALWAYS_SECRET.has(name);
const TAG_SEPARATORS = /[;,]/;

installArgon2();
installAesKdf();
// kdbxweb also splits tags on ':', which would cut a tag such as `env:prod` in two; KeePass and the
// contract split on ';' and ',' only. Its XML reader looks the function up on this module at call time.
Object.assign(kdbxweb.XmlUtils, {
  getTags(node: Node): string[] {
    return splitTags(kdbxweb.XmlUtils.getText(node) ?? '');
  },
});

export function splitTags(text: string): string[] {
  return text
    .split(TAG_SEPARATORS)
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

const CIPHERS: Record<string, string> = {
  [kdbxweb.Consts.CipherId.Aes]: 'AES-256',
  [kdbxweb.Consts.CipherId.ChaCha20]: 'ChaCha20',
};

function uuidOf(uuid: kdbxweb.KdbxUuid): string {
  const hex = Buffer.from(uuid.toBytes()).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function fieldValue(field: kdbxweb.KdbxEntryField | undefined): FieldValue {
  if (field === undefined) return '';
  return field instanceof kdbxweb.ProtectedValue ? new Secret(field.getText()) : field;
}

function binaryBytes(binary: kdbxweb.KdbxBinary | kdbxweb.KdbxBinaryWithHash): Uint8Array {
  const value = 'value' in binary && !(binary instanceof kdbxweb.ProtectedValue) ? binary.value : binary;
  if (value instanceof kdbxweb.ProtectedValue) return value.getBinary();
  return new Uint8Array(value.slice(0));
}

function entryState(entry: kdbxweb.KdbxEntry): EntryState {
  const fields: Record<string, FieldValue> = Object.create(null) as Record<string, FieldValue>;
  for (const [name, value] of entry.fields) {
    if (STANDARD_FIELDS.has(name)) continue;
    const field = fieldValue(value);
    fields[name] = ALWAYS_SECRET.has(name) && typeof field === 'string' ? new Secret(field) : field;
  }
  const attachments: Attachment[] = [];
  for (const [name, binary] of entry.binaries) {
    const bytes = binaryBytes(binary);
    attachments.push(Object.freeze({ name, size: bytes.byteLength, bytes }));
  }
  const title = fieldValue(entry.fields.get('Title'));
  return Object.freeze({
    title: title instanceof Secret ? title.reveal() : title,
    username: fieldValue(entry.fields.get('UserName')),
    password: fieldValue(entry.fields.get('Password')),
    url: fieldValue(entry.fields.get('URL')),
    notes: fieldValue(entry.fields.get('Notes')),
    fields: Object.freeze(fields),
    tags: Object.freeze(entry.tags.slice()),
    created: entry.times.creationTime ?? null,
    modified: entry.times.lastModTime ?? null,
    expires: entry.times.expires ? (entry.times.expiryTime ?? null) : null,
    otp: OTP_FIELDS.some((name) => {
      const value = entry.fields.get(name);
      return value !== undefined && (value instanceof kdbxweb.ProtectedValue ? value.byteLength > 0 : value !== '');
    }),
    attachments: Object.freeze(attachments),
  });
}

interface Walk {
  /** Indices in `all` of the live entries (outside the Recycle Bin). */
  live: number[];
  /** Every entry in tree order, recycled ones included: the targets field references may name. */
  all: EntryRecord[];
  groups: number;
  historyItems: number;
  recycled: number;
}

function walk(group: kdbxweb.KdbxGroup, path: string, recycleBin: kdbxweb.KdbxUuid | undefined, recycled: boolean, acc: Walk): void {
  for (const entry of group.entries) {
    const record: EntryRecord = {
      uuid: uuidOf(entry.uuid),
      group: path,
      current: entryState(entry),
      history: entry.history.map(entryState),
    };
    acc.all.push(record);
    if (recycled) {
      acc.recycled += 1;
      continue;
    }
    acc.historyItems += entry.history.length;
    acc.live.push(acc.all.length - 1);
  }
  for (const child of group.groups) {
    const inBin = recycled || (recycleBin !== undefined && child.uuid.equals(recycleBin));
    if (!inBin) acc.groups += 1;
    walk(child, joinPath(path, child.name ?? ''), recycleBin, inBin, acc);
  }
}

function kdfInfo(header: kdbxweb.KdbxHeader): KdfInfo {
  const params = header.kdfParameters;
  if (!params) return { name: 'AES-KDF', rounds: header.keyEncryptionRounds ?? 0 };
  const uuidBytes = params.get('$UUID');
  const id = uuidBytes instanceof ArrayBuffer ? kdbxweb.ByteUtils.bytesToBase64(uuidBytes) : '';
  const num = (key: string): number => Number(params.get(key)?.valueOf() ?? 0);
  switch (id) {
    case kdbxweb.Consts.KdfId.Argon2d:
    case kdbxweb.Consts.KdfId.Argon2id:
      return {
        name: id === kdbxweb.Consts.KdfId.Argon2d ? 'Argon2d' : 'Argon2id',
        memoryKiB: Math.round(num('M') / 1024),
        iterations: num('I'),
        parallelism: num('P'),
      };
    case kdbxweb.Consts.KdfId.Aes:
      return { name: 'AES-KDF', rounds: num('R') };
    default:
      return { name: 'unknown' };
  }
}

const MESSAGES: Record<string, string> = {
  InvalidKey: 'wrong vault password or key file',
  BadSignature: 'not a KeePass KDBX file',
  InvalidVersion: 'unsupported KDBX version',
  FileCorrupt: 'the vault file is corrupt or truncated',
};

/** kdbxweb's messages can be long or technical; this keeps one clear line and its stable code. */
function toOpenError(error: unknown): VaultOpenError {
  if (error instanceof kdbxweb.KdbxError) {
    const known = MESSAGES[error.code];
    if (known) return new VaultOpenError(error.code, known);
    const reason = error.message.replace(/^Error [A-Za-z]+: /, '').trim();
    return new VaultOpenError(error.code, `cannot open the vault: ${reason || error.code}`);
  }
  if (error instanceof VaultOpenError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new VaultOpenError('FileCorrupt', `the vault file could not be read: ${reason}`);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/** What reading a vault yields before its maps are built: plain records, so a worker can hand them over. */
export interface VaultRead {
  readonly all: readonly EntryRecord[];
  readonly live: readonly number[];
  readonly info: VaultInfo;
}

/** Opens and maps a vault; throws VaultOpenError with kdbxweb's code when it cannot. */
export async function openVault(bytes: Uint8Array, credentials: VaultCredentials, now = new Date()): Promise<Snapshot> {
  return snapshotFromRead(await readVault(bytes, credentials), now);
}

/** The cheap half of opening: references, versions and maps from records already read. */
export function snapshotFromRead(read: VaultRead, now = new Date()): Snapshot {
  const records = read.live.map((index) => read.all[index]).filter((r): r is EntryRecord => r !== undefined);
  return buildSnapshot(buildCredentials(resolveReferences(records, read.all)), read.info, now);
}

/** The costly half of opening (key derivation, decryption, XML): kdbxweb's work, fit for a worker thread. */
export async function readVault(bytes: Uint8Array, credentials: VaultCredentials): Promise<VaultRead> {
  if (credentials.password === null && credentials.keyFile === null) {
    throw new VaultOpenError('InvalidArg', 'no vault password or key file is configured');
  }
  const cipher = headerCipher(bytes);
  if (cipher !== null && !READABLE_CIPHERS.has(cipher)) {
    throw new VaultOpenError(
      'Unsupported',
      `the vault is encrypted with ${cipher === 'Twofish' ? 'the Twofish cipher' : `an unknown cipher (${cipher})`}, which kdbx-gateway cannot decrypt; choose AES-256 or ChaCha20 in KeePassXC (Database Settings → Security → Encryption) and save`,
    );
  }
  let db: kdbxweb.Kdbx;
  try {
    const keys = new kdbxweb.Credentials(
      credentials.password === null ? null : kdbxweb.ProtectedValue.fromString(credentials.password),
      credentials.keyFile === null ? null : toArrayBuffer(credentials.keyFile),
    );
    await keys.ready;
    db = await kdbxweb.Kdbx.load(toArrayBuffer(bytes), keys);
  } catch (error) {
    throw toOpenError(error);
  }
  const root = db.groups[0];
  if (!root) throw new VaultOpenError('FileCorrupt', 'the vault has no root group');
  const acc: Walk = { live: [], all: [], groups: 0, historyItems: 0, recycled: 0 };
  const recycleBin = db.meta.recycleBinUuid && !db.meta.recycleBinUuid.empty ? db.meta.recycleBinUuid : undefined;
  walk(root, '', recycleBin, false, acc);
  const header = db.header;
  const info: VaultInfo = Object.freeze({
    format: `KDBX ${header.versionMajor}.${header.versionMinor}`,
    cipher: CIPHERS[header.dataCipherUuid?.id ?? ''] ?? 'unknown',
    compression: header.compression === kdbxweb.Consts.CompressionAlgorithm.GZip ? 'gzip' : 'none',
    kdf: Object.freeze(kdfInfo(header)),
    groups: acc.groups,
    entries: acc.live.length,
    historyItems: acc.historyItems,
    recycled: acc.recycled,
  });
  return { all: acc.all, live: acc.live, info };
}
