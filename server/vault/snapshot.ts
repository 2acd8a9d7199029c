// The immutable, in-memory picture of one loaded vault, and the map lookups handlers make on it.
import type { FieldValue } from './secret';

export interface Attachment {
  readonly name: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

/** One state of a KeePass entry: the entry itself or one of its history items. */
export interface EntryState {
  readonly title: string;
  readonly username: FieldValue;
  readonly password: FieldValue;
  readonly url: FieldValue;
  readonly notes: FieldValue;
  /** Custom string fields in the vault's order; a protected one is a Secret. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly tags: readonly string[];
  readonly created: Date | null;
  readonly modified: Date | null;
  /** The expiry time when KeePass's "expires" flag is set. */
  readonly expires: Date | null;
  readonly otp: boolean;
  readonly attachments: readonly Attachment[];
  /**
   * The values that came through field references, absent when none did. A key whose policy does
   * not cover every entry a value drew on sees that value as stored, `{REF:…}` and all.
   */
  readonly references?: readonly ReferenceSource[];
}

/** An entry a reference drew on, named as policies name credentials. */
export interface ReferenceTarget {
  readonly name: string;
  readonly path: string;
  /** In the Recycle Bin, whose paths no answer ever names: only a key that reads everything sees it. */
  readonly recycled: boolean;
}

/** A value resolved from field references: which field, its text as stored, and what it drew on. */
export type ReferenceField =
  | { readonly custom: false; readonly field: 'username' | 'password' | 'url' | 'notes' }
  | { readonly custom: true; readonly field: string };
export type ReferenceSource = ReferenceField & {
  readonly literal: FieldValue;
  readonly targets: readonly ReferenceTarget[];
};

export interface CredentialVersion {
  /** 1 is the oldest; the last is the latest. */
  readonly number: number;
  readonly uuid: string;
  readonly state: EntryState;
}

/** What the API addresses: a KeePass entry with its history, or a group of mattstash `name@N` entries. */
export interface Credential {
  readonly name: string;
  readonly path: string;
  readonly group: string;
  readonly uuid: string;
  readonly style: 'native' | 'mattstash';
  /** Oldest first; never empty. */
  readonly versions: readonly CredentialVersion[];
  readonly latest: CredentialVersion;
}

export interface KdfInfo {
  readonly name: 'Argon2d' | 'Argon2id' | 'AES-KDF' | 'unknown';
  readonly memoryKiB?: number;
  readonly iterations?: number;
  readonly parallelism?: number;
  readonly rounds?: number;
}

export interface VaultInfo {
  readonly format: string;
  readonly cipher: string;
  readonly compression: 'gzip' | 'none';
  readonly kdf: KdfInfo;
  readonly groups: number;
  /** Live entries outside the Recycle Bin (mattstash `name@N` entries counted one by one). */
  readonly entries: number;
  readonly historyItems: number;
  readonly recycled: number;
}

export interface Snapshot {
  readonly info: VaultInfo;
  readonly loadedAt: Date;
  /** Every credential, sorted by path in code-unit order. */
  readonly sorted: readonly Credential[];
  readonly byPath: ReadonlyMap<string, readonly Credential[]>;
  readonly byTitle: ReadonlyMap<string, readonly Credential[]>;
  readonly byUuid: ReadonlyMap<string, Credential>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const byPathOrdinal = (a: Credential, b: Credential): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;

/** Credentials in the order the snapshot lists them. */
export const sortCredentials = (credentials: readonly Credential[]): Credential[] => [...credentials].sort(byPathOrdinal);

/**
 * Builds every map once so that a lookup by title, path or UUID is a single map hit. Credentials
 * may come in several add() calls (a reload hands them over in slices, one event-loop turn each).
 */
export class SnapshotBuilder {
  readonly #sorted: Credential[] = [];
  readonly #byPath = new Map<string, Credential[]>();
  readonly #byTitle = new Map<string, Credential[]>();
  readonly #byUuid = new Map<string, Credential>();

  /** Credentials already in path order, following those added before. */
  add(credentials: readonly Credential[]): void {
    for (const credential of credentials) {
      this.#sorted.push(credential);
      push(this.#byPath, credential.path, credential);
      push(this.#byTitle, credential.name, credential);
      // Every entry of a mattstash group answers for the credential, so any of its UUIDs is an address.
      for (const version of credential.versions) this.#byUuid.set(version.uuid, credential);
    }
  }

  finish(info: VaultInfo, loadedAt: Date): Snapshot {
    for (const list of this.#byPath.values()) Object.freeze(list);
    for (const list of this.#byTitle.values()) Object.freeze(list);
    return Object.freeze({ info, loadedAt, sorted: Object.freeze(this.#sorted), byPath: this.#byPath, byTitle: this.#byTitle, byUuid: this.#byUuid });
  }
}

/** Title or path lookup: the union of both maps, so `a/b` finds a path and a title with a slash alike. */
export function findByName(snapshot: Snapshot, name: string): readonly Credential[] {
  const byPath = snapshot.byPath.get(name);
  const byTitle = snapshot.byTitle.get(name);
  if (!byPath) return byTitle ?? [];
  if (!byTitle) return byPath;
  return [...new Set([...byPath, ...byTitle])];
}
