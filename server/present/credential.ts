// Turns snapshot records into the credential JSON of API.md §2, masking what the caller may not see.
import { MASK, Secret, isEmptyValue, type FieldValue } from '../vault/secret';
import type { Credential, CredentialVersion } from '../vault/snapshot';
import { formatVersion } from '../vault/versions';

export interface CredentialJson {
  name: string;
  path: string;
  uuid: string;
  kind: 'secret' | 'credential';
  username: string | null;
  password: string | null;
  url: string | null;
  notes: string | null;
  tags: string[];
  fields: Record<string, string>;
  version: string;
  created: string | null;
  modified: string | null;
  expires: string | null;
  expired: boolean;
  otp: boolean;
  attachments: { name: string; size: number }[];
}

export interface VersionsJson {
  name: string;
  versions: string[];
  latest: string;
  history: { version: string; modified: string | null }[];
}

/** ISO 8601 in UTC to the second, as KeePass keeps times. */
export const isoTime = (date: Date | null): string | null =>
  date === null || Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The password is always treated as secret, and so is any field KeePass marks protected. */
export function shown(value: FieldValue, reveal: boolean, alwaysSecret = false): string {
  if (value instanceof Secret) return reveal ? value.reveal() : MASK;
  return alwaysSecret && !reveal ? MASK : value;
}

/** Unset standard fields are null, never masked. */
function standard(value: FieldValue, reveal: boolean, alwaysSecret = false): string | null {
  return isEmptyValue(value) ? null : shown(value, reveal, alwaysSecret);
}

export function presentCredential(
  credential: Credential,
  version: CredentialVersion,
  options: { reveal: boolean; now: Date },
): CredentialJson {
  const { state } = version;
  const { reveal } = options;
  // No prototype: a custom field may be named `__proto__`.
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(state.fields)) {
    fields[name] = isEmptyValue(value) ? '' : shown(value, reveal);
  }
  const onlyPassword = !isEmptyValue(state.password) && isEmptyValue(state.username) && isEmptyValue(state.url);
  return {
    name: credential.name,
    path: credential.path,
    uuid: credential.uuid,
    kind: onlyPassword ? 'secret' : 'credential',
    username: standard(state.username, reveal),
    password: standard(state.password, reveal, true),
    url: standard(state.url, reveal),
    notes: standard(state.notes, reveal),
    tags: [...state.tags],
    fields,
    version: formatVersion(version.number),
    created: isoTime(state.created),
    modified: isoTime(state.modified),
    expires: isoTime(state.expires),
    expired: state.expires !== null && state.expires.getTime() <= options.now.getTime(),
    otp: state.otp,
    attachments: state.attachments.map((a) => ({ name: a.name, size: a.size })),
  };
}

export function presentVersions(credential: Credential): VersionsJson {
  const versions = credential.versions.map((v) => formatVersion(v.number));
  return {
    name: credential.name,
    versions,
    latest: formatVersion(credential.latest.number),
    history: credential.versions.map((v) => ({ version: formatVersion(v.number), modified: isoTime(v.state.modified) })),
  };
}

interface CachedBody {
  readonly body: string;
  /** The body stays right until the entry expires (its `expired` flag turns then). */
  readonly until: number;
}

// Keyed by the snapshot's own records, so a reload leaves the old bodies to the garbage collector.
const maskedBodies = new WeakMap<CredentialVersion, CachedBody>();

/**
 * The masked JSON of a credential version, serialised once per snapshot: a masked answer is then a
 * map hit and bytes already made. Revealing answers are built per request.
 */
export function maskedJson(credential: Credential, version: CredentialVersion, now: Date): string {
  const cached = maskedBodies.get(version);
  if (cached && now.getTime() < cached.until) return cached.body;
  const body = JSON.stringify(presentCredential(credential, version, { reveal: false, now }));
  const expires = version.state.expires?.getTime();
  maskedBodies.set(version, { body, until: expires !== undefined && expires > now.getTime() ? expires : Infinity });
  return body;
}
