// Turns live KeePass entries into credentials: native history versions, or mattstash `name@N` groups.
import type { Credential, CredentialVersion, EntryState } from './snapshot';

/** A live entry as read from the vault, before versions are worked out. */
export interface EntryRecord {
  readonly uuid: string;
  readonly group: string;
  readonly current: EntryState;
  /** Oldest first, as KeePass stores them. */
  readonly history: readonly EntryState[];
}

const MATTSTASH_TITLE = /^(.+)@(\d{10})$/;

export const joinPath = (group: string, name: string): string => (group === '' ? name : `${group}/${name}`);

/** `base@0000000003` → { base, number: 3 }; numbering starts at 1, so `@0000000000` is not a version. */
export function parseMattstashTitle(title: string): { base: string; number: number } | null {
  const match = MATTSTASH_TITLE.exec(title);
  if (!match?.[1] || !match[2]) return null;
  const number = Number(match[2]);
  return number >= 1 ? { base: match[1], number } : null;
}

export const formatVersion = (number: number): string => String(number).padStart(10, '0');

function credential(
  name: string,
  group: string,
  style: Credential['style'],
  versions: CredentialVersion[],
): Credential {
  const latest = versions[versions.length - 1];
  if (!latest) throw new Error(`credential ${name} has no versions`);
  return Object.freeze({
    name,
    path: joinPath(group, name),
    group,
    uuid: latest.uuid,
    style,
    versions: Object.freeze(versions.map((v) => Object.freeze(v))),
    latest,
  });
}

function nativeCredential(record: EntryRecord): Credential {
  const states = [...record.history, record.current];
  const versions = states.map((state, index) => ({ number: index + 1, uuid: record.uuid, state }));
  return credential(record.current.title, record.group, 'native', versions);
}

/**
 * mattstash-style entries (`base@NNNNNNNNNN` in one group) define the versions of `base` in that
 * group, and then a plain `base` entry beside them is not served (API.md §1).
 */
export function buildCredentials(records: readonly EntryRecord[]): Credential[] {
  const mattstash = new Map<string, { base: string; group: string; versions: CredentialVersion[] }>();
  const plain: EntryRecord[] = [];
  for (const record of records) {
    const parsed = parseMattstashTitle(record.current.title);
    if (!parsed) {
      plain.push(record);
      continue;
    }
    const key = `${record.group}\u0000${parsed.base}`;
    let set = mattstash.get(key);
    if (!set) {
      set = { base: parsed.base, group: record.group, versions: [] };
      mattstash.set(key, set);
    }
    set.versions.push({ number: parsed.number, uuid: record.uuid, state: record.current });
  }
  const credentials: Credential[] = [];
  for (const record of plain) {
    if (!mattstash.has(`${record.group}\u0000${record.current.title}`)) credentials.push(nativeCredential(record));
  }
  for (const set of mattstash.values()) {
    // Two entries with the same number: the later-modified one wins, as the newer save would.
    const byNumber = new Map<number, CredentialVersion>();
    for (const version of set.versions) {
      const seen = byNumber.get(version.number);
      const newer = !seen || (version.state.modified?.getTime() ?? 0) >= (seen.state.modified?.getTime() ?? 0);
      if (newer) byNumber.set(version.number, version);
    }
    const versions = [...byNumber.values()].sort((a, b) => a.number - b.number);
    credentials.push(credential(set.base, set.group, 'mattstash', versions));
  }
  return credentials;
}

/** The version a request asked for (`undefined` = latest), or null when it does not exist. */
export function pickVersion(credential: Credential, number: number | undefined): CredentialVersion | null {
  if (number === undefined) return credential.latest;
  if (credential.style === 'native') return credential.versions[number - 1] ?? null;
  return credential.versions.find((v) => v.number === number) ?? null;
}
