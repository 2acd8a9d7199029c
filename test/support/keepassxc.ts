// Test helpers around keepassxc-cli (the reference reader for the fixture vaults)
// and test/fixtures/manifest.json (written by test/fixtures/make.sh).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ManifestField {
  value: string;
  protected: boolean;
}

export interface ManifestEntry {
  /** Group path below the root group, "/", title. The root group's name is not included. */
  path: string;
  title: string;
  /** Canonical lowercase 8-4-4-4-12. */
  uuid: string;
  username: string;
  password: string;
  url: string;
  notes: string;
  /** Stored order (keepassxc-cli prints tags sorted and comma-joined). */
  tags: string[];
  /** Custom string fields only. */
  fields: Record<string, ManifestField>;
  /** Oldest first. */
  history_passwords: string[];
  /** True for entries in (or below) the Recycle Bin group. */
  recycled: boolean;
  /** The entry's own attachments (not its history items'), sorted by name. */
  attachments: ManifestAttachment[];
  /** The entry's TOTP settings, whichever style it is stored in; null without one. */
  otp: ManifestOtp | null;
  /**
   * Whether `keepassxc-cli show --totp` prints this entry's RFC 6238 code (2.7.4 reads the
   * `otp` URI and the legacy style, not KeePass's TimeOtp-* fields). null when the entry
   * has no TOTP or was not asked (recycled entries, vaults not made by kdbxweb).
   */
  keepassxc_totp: boolean | null;
  /** Expiry time ("2020-01-01T00:00:00Z") when KeePass's "expires" flag is set, else null. */
  expires: string | null;
  /**
   * For entries whose standard fields hold {REF:…} references: the values as stored.
   * username/password/url/notes above are then what `keepassxc-cli show -s` resolves them to.
   * null otherwise.
   */
  raw: ManifestRawValues | null;
}

export interface ManifestAttachment {
  name: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
}

export type OtpStyle = 'uri' | 'keepass' | 'legacy';
export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface ManifestOtp {
  /** uri: KeePassXC's `otp` field; keepass: KeePass 2.47+ TimeOtp-*; legacy: `TOTP Seed` + `TOTP Settings`. */
  style: OtpStyle;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  /** The secret's bytes as RFC 4648 base32, upper case, without "=" padding. */
  secret_base32: string;
}

export interface ManifestRawValues {
  username: string;
  password: string;
  url: string;
  notes: string;
}

export type VaultMaker =
  | 'keepassxc-cli'
  | 'pykeepass'
  | 'pykeepass+keepassxc-cli'
  | 'kdbxweb'
  | 'kdbxweb+keepassxc-cli'
  | 'kdbxweb+patch';
export type VaultKdf = 'AES-KDF' | 'Argon2d' | 'Argon2id';
export type VaultCipher = 'AES-256' | 'ChaCha20' | 'Twofish';
export type VaultCompression = 'gzip' | 'none';
/** How the key file is read: KeePass XML 1.0 / 2.0, 32 raw bytes, 64 hex characters, or any other file (hashed). */
export type KeyfileKind = 'xml-1.0' | 'xml-2.0' | 'binary-32' | 'hex-64' | 'other';

export interface ManifestVault {
  /** File name relative to test/fixtures. */
  file: string;
  maker: VaultMaker;
  /** "major.minor" from the file header, e.g. "3.1", "4.0", "4.1". */
  kdbx_version: string;
  kdf: VaultKdf;
  /** null for key-file-only vaults. */
  password: string | null;
  /** Key file name relative to test/fixtures, or null. */
  keyfile: string | null;
  /** Empty for vaults with expect_error. */
  entries: ManifestEntry[];
  cipher: VaultCipher;
  compression: VaultCompression;
  /** null when the vault has no key file. */
  keyfile_kind: KeyfileKind | null;
  /** Vaults that must fail to open (neither keepassxc-cli nor pykeepass can), naming the cause. */
  expect_error: 'Twofish' | null;
}

export interface Manifest {
  generated_by: string;
  tools: { 'keepassxc-cli': string; pykeepass: string };
  vaults: ManifestVault[];
}

export interface KeepassxcEntry {
  title: string;
  username: string;
  password: string;
  url: string;
  notes: string;
  /** Lowercase 8-4-4-4-12, without braces. */
  uuid: string;
  tags: string[];
  /** Custom attributes (everything after the Tags line). */
  attributes: Record<string, string>;
}

export interface KeepassxcShowOptions {
  /** Absolute path of the .kdbx file. */
  file: string;
  /** Database password (sent on stdin), or null for key-file-only vaults. */
  password: string | null;
  /** Absolute path of the key file, or null. */
  keyfile: string | null;
  /** Entry path as keepassxc-cli understands it: "Group/Sub/Title". */
  entryPath: string;
}

export const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures');

const CLI = 'keepassxc-cli';
const CLI_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8' };

let available: boolean | undefined;

export function keepassxcAvailable(): boolean {
  if (available === undefined) {
    const res = spawnSync(CLI, ['--version'], { encoding: 'utf8', env: CLI_ENV, timeout: 10_000 });
    available = res.error === undefined && res.status === 0;
  }
  return available;
}

const HEAD_LINES = ['Title: ', 'UserName: ', 'Password: ', 'URL: ', 'Notes: '] as const;
const UUID_LINE = /^Uuid: \{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}$/;
const ATTRIBUTE_LINE = /^(.+?): (.*)$/;

export function splitTags(raw: string): string[] {
  return raw
    .split(/[;,]/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/**
 * Parses `keepassxc-cli show -s --all` output (2.7.4):
 *
 *   Title: … / UserName: … / Password: … / URL: … / Notes: <may span lines>
 *   Uuid: {…} / Tags: a,b / <custom attributes, "Key: value", sorted by key>
 *
 * Values are printed raw, so multi-line values are ambiguous in principle. Notes
 * end at the first `Uuid: {…}` line that is followed by a `Tags: ` line; after
 * that, a line starts a new custom attribute only when it looks like `Key: …` and
 * Key sorts after the previous key (keepassxc-cli prints them in QMap order, which
 * is UTF-16 code unit order, the same as JavaScript's `<`). Anything else is a
 * continuation line of the previous value.
 */
export function parseKeepassxcShow(stdout: string): KeepassxcEntry {
  const lines = stdout.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const line = (i: number): string => {
    const l = lines[i];
    if (l === undefined) throw new Error(`keepassxc-cli show: output too short: ${JSON.stringify(stdout.slice(0, 200))}`);
    return l;
  };
  const heads: string[] = [];
  HEAD_LINES.forEach((prefix, i) => {
    const l = line(i);
    if (!l.startsWith(prefix)) {
      throw new Error(`keepassxc-cli show: expected line ${i + 1} to start with ${JSON.stringify(prefix)}, got ${JSON.stringify(l)}`);
    }
    heads.push(l.slice(prefix.length));
  });

  let uuidAt = -1;
  for (let i = 4; i + 1 < lines.length; i++) {
    if (UUID_LINE.test(line(i)) && line(i + 1).startsWith('Tags: ')) {
      uuidAt = i;
      break;
    }
  }
  if (uuidAt < 0) throw new Error('keepassxc-cli show: no "Uuid:"/"Tags:" lines in output');

  const uuidMatch = UUID_LINE.exec(line(uuidAt));
  const attributes: Record<string, string> = {};
  let current: string | undefined;
  for (const l of lines.slice(uuidAt + 2)) {
    const m = ATTRIBUTE_LINE.exec(l);
    const key = m?.[1];
    if (m && key !== undefined && (current === undefined || key > current)) {
      current = key;
      attributes[key] = m[2] ?? '';
    } else if (current === undefined) {
      throw new Error(`keepassxc-cli show: unexpected line after Tags: ${JSON.stringify(l)}`);
    } else {
      attributes[current] = `${attributes[current] ?? ''}\n${l}`;
    }
  }

  return {
    title: heads[0] ?? '',
    username: heads[1] ?? '',
    password: heads[2] ?? '',
    url: heads[3] ?? '',
    notes: [heads[4] ?? '', ...lines.slice(5, uuidAt)].join('\n'),
    uuid: uuidMatch?.[1] ?? '',
    tags: splitTags(line(uuidAt + 1).slice('Tags: '.length)),
    attributes,
  };
}

/** Runs `keepassxc-cli show -s --all` for one entry and parses its output. */
export function keepassxcShow(opts: KeepassxcShowOptions): KeepassxcEntry {
  const args = ['show', '-q', '-s', '--all'];
  if (opts.keyfile !== null) args.push('-k', opts.keyfile);
  if (opts.password === null) args.push('--no-password');
  args.push(opts.file, opts.entryPath);
  const res = spawnSync(CLI, args, {
    input: opts.password === null ? '' : `${opts.password}\n`,
    encoding: 'utf8',
    env: CLI_ENV,
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    throw new Error(
      `keepassxc-cli show ${path.basename(opts.file)} ${JSON.stringify(opts.entryPath)} exited ${String(res.status)}: ${res.stderr.trim()}`,
    );
  }
  return parseKeepassxcShow(res.stdout);
}

function authArgs(opts: Pick<KeepassxcShowOptions, 'password' | 'keyfile'>): string[] {
  const args: string[] = [];
  if (opts.keyfile !== null) args.push('-k', opts.keyfile);
  if (opts.password === null) args.push('--no-password');
  return args;
}

function stdinFor(opts: Pick<KeepassxcShowOptions, 'password'>): string {
  return opts.password === null ? '' : `${opts.password}\n`;
}

/**
 * Runs `keepassxc-cli show --totp` (2.7.4: `-t`/`--totp`) and returns the current code.
 * Throws when keepassxc-cli sees no TOTP on the entry ("… has no TOTP set up."), which is
 * what 2.7.4 says for KeePass's TimeOtp-* fields; see ManifestEntry.keepassxc_totp.
 */
export function keepassxcTotp(opts: KeepassxcShowOptions): string {
  const args = ['show', '-q', '--totp', ...authArgs(opts), opts.file, opts.entryPath];
  const res = spawnSync(CLI, args, { input: stdinFor(opts), encoding: 'utf8', env: CLI_ENV, timeout: 30_000 });
  if (res.error) throw res.error;
  const code = res.stdout.trim();
  if (res.status !== 0 || !/^[0-9]{4,10}$/.test(code)) {
    throw new Error(
      `keepassxc-cli show --totp ${path.basename(opts.file)} ${JSON.stringify(opts.entryPath)} exited ${String(res.status)}: ${res.stderr.trim()}`,
    );
  }
  return code;
}

/**
 * The bytes of one attachment, via `keepassxc-cli attachment-export` into a temporary
 * file. (2.7.4 has `--stdout`, but it writes through a text stream: binary attachments
 * come out re-encoded, e.g. 1536 random bytes as 2830.)
 */
export function keepassxcAttachmentExport(opts: KeepassxcShowOptions & { name: string }): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kxc-attachment-'));
  try {
    const out = path.join(dir, 'attachment');
    const args = ['attachment-export', '-q', ...authArgs(opts), opts.file, opts.entryPath, opts.name, out];
    const res = spawnSync(CLI, args, { input: stdinFor(opts), encoding: 'utf8', env: CLI_ENV, timeout: 30_000 });
    if (res.error) throw res.error;
    if (res.status !== 0) {
      throw new Error(
        `keepassxc-cli attachment-export ${path.basename(opts.file)} ${JSON.stringify(opts.entryPath)} ${JSON.stringify(opts.name)} exited ${String(res.status)}: ${res.stderr.trim()}`,
      );
    }
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads test/fixtures/manifest.json. */
export function readManifest(): Manifest {
  const file = path.join(__dirname, '..', 'fixtures', 'manifest.json');
  const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !('vaults' in raw) ||
    !Array.isArray(raw.vaults) ||
    !('generated_by' in raw) ||
    raw.generated_by !== 'test/fixtures/make.sh'
  ) {
    throw new Error(`${file} is not a fixture manifest; rebuild it with: bash test/fixtures/make.sh`);
  }
  return raw as Manifest;
}

/** Absolute paths and credentials of one manifest vault, ready for keepassxcShow(). */
export function vaultCredentials(vault: ManifestVault): { file: string; password: string | null; keyfile: string | null } {
  return {
    file: path.join(FIXTURES_DIR, vault.file),
    password: vault.password,
    keyfile: vault.keyfile === null ? null : path.join(FIXTURES_DIR, vault.keyfile),
  };
}
