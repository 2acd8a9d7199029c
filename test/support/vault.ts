// Real .kdbx files made in code with kdbxweb, for tests that need a specific shape of vault.
import * as kdbxweb from 'kdbxweb';
import { installArgon2 } from '../../server/vault/argon2';
import { openVault } from '../../server/vault/open';
import type { Snapshot } from '../../server/vault/snapshot';

export type FieldSpec = string | { protected: string };

export interface EntrySpec {
  /** Group path below the root, '' for the root group. */
  group: string;
  title: string;
  username?: string;
  password?: string;
  /** `{ protected }` as KeePass writes it when its memory protection covers the URL field. */
  url?: FieldSpec;
  notes?: string;
  fields?: Record<string, FieldSpec>;
  tags?: string[];
  /** Earlier passwords, oldest first: each becomes a real history item. */
  history?: string[];
  expires?: Date;
  recycled?: boolean;
  modified?: Date;
  attachments?: Record<string, Uint8Array>;
  /** A fixed UUID (32 hex digits), for field references that name it. */
  uuid?: string;
  /** Store the password unprotected, as KeePass does when its memory protection is off for it. */
  plainPassword?: boolean;
}

const secret = (text: string): kdbxweb.ProtectedValue => kdbxweb.ProtectedValue.fromString(text);

function groupAt(db: kdbxweb.Kdbx, root: kdbxweb.KdbxGroup, groupPath: string): kdbxweb.KdbxGroup {
  let group = root;
  for (const name of groupPath.split('/').filter(Boolean)) {
    group = group.groups.find((g) => g.name === name) ?? db.createGroup(group, name);
  }
  return group;
}

/**
 * Builds a KDBX 4 vault and returns its bytes: a cheap Argon2id so tests stay quick, unless a test
 * needs the open to take a while (`kdf`).
 */
export async function makeVault(
  password: string,
  entries: EntrySpec[],
  keyFile: Uint8Array | null = null,
  kdf: { memoryMiB: number; iterations: number } = { memoryMiB: 1, iterations: 1 },
): Promise<Uint8Array> {
  installArgon2();
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(secret(password), keyFile), 'test vault');
  db.upgrade();
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  db.header.kdfParameters?.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(kdf.memoryMiB * 1024 * 1024));
  db.header.kdfParameters?.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(kdf.iterations));
  db.createRecycleBin();
  const root = db.getDefaultGroup();
  const recycleBin = db.getGroup(db.meta.recycleBinUuid ?? '');
  for (const spec of entries) {
    const parent = spec.recycled && recycleBin ? groupAt(db, recycleBin, spec.group) : groupAt(db, root, spec.group);
    const entry = db.createEntry(parent);
    if (spec.uuid) entry.uuid = new kdbxweb.KdbxUuid(Buffer.from(spec.uuid, 'hex').toString('base64'));
    for (const [name, bytes] of Object.entries(spec.attachments ?? {})) {
      entry.binaries.set(name, await db.createBinary(new Uint8Array(bytes).buffer));
    }
    const base = (): void => {
      entry.fields.set('Title', spec.title);
      entry.fields.set('UserName', spec.username ?? '');
      entry.fields.set('URL', typeof spec.url === 'object' ? secret(spec.url.protected) : (spec.url ?? ''));
      entry.fields.set('Notes', spec.notes ?? '');
      for (const [name, value] of Object.entries(spec.fields ?? {})) {
        entry.fields.set(name, typeof value === 'string' ? value : secret(value.protected));
      }
    };
    let when = Date.UTC(2026, 0, 1, 0, 0, 0);
    for (const old of spec.history ?? []) {
      base();
      entry.fields.set('Password', secret(old));
      entry.times.lastModTime = new Date(when);
      entry.pushHistory();
      when += 86_400_000;
    }
    base();
    entry.fields.set('Password', spec.plainPassword ? (spec.password ?? '') : secret(spec.password ?? ''));
    entry.times.creationTime = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
    entry.times.lastModTime = spec.modified ?? new Date(when);
    if (spec.tags) entry.tags = spec.tags;
    if (spec.expires) {
      entry.times.expires = true;
      entry.times.expiryTime = spec.expires;
    }
  }
  return new Uint8Array(await db.save());
}

export async function snapshotOf(password: string, entries: EntrySpec[]): Promise<Snapshot> {
  return openVault(await makeVault(password, entries), { password, keyFile: null });
}
