// Test helpers around keepassxc-cli (the reference reader for the fixture vaults)
// and test/fixtures/manifest.json (written by test/fixtures/make.sh).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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
}

export type VaultMaker = 'keepassxc-cli' | 'pykeepass' | 'pykeepass+keepassxc-cli';
export type VaultKdf = 'AES-KDF' | 'Argon2d' | 'Argon2id';

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
  entries: ManifestEntry[];
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
