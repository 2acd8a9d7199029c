// Builds one EntryState from an entry's fields, attachments, tags and times, whichever reader found them.
import { Secret, type FieldValue } from './secret';
import type { Attachment, EntryState } from './snapshot';

const STANDARD_FIELDS = new Set(['Title', 'UserName', 'Password', 'URL', 'Notes']);
const OTP_FIELDS = ['otp', 'TimeOtp-Secret-Base32', 'TimeOtp-Secret', 'TimeOtp-Secret-Hex', 'TOTP Seed'];
// A TOTP seed is as secret as a password even where the tool that wrote it did not protect it.
const ALWAYS_SECRET = new Set([...OTP_FIELDS, 'TimeOtp-Secret-Base64']);
export const isAlwaysSecretField = (name: string): boolean => ALWAYS_SECRET.has(name);
const TAG_SEPARATORS = /[;,]/;

export function splitTags(text: string): string[] {
  return text
    .split(TAG_SEPARATORS)
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

// Most entries have no custom fields, tags or attachments: one shared frozen empty value each keeps
// tens of thousands of small objects (null-prototype ones are dictionaries, ~100 bytes) off the heap.
export const NO_FIELDS: Readonly<Record<string, FieldValue>> = Object.freeze(Object.create(null) as Record<string, FieldValue>);
export const NONE: readonly never[] = Object.freeze([]);

/** An entry as a reader found it: fields in the vault's order (a protected one a Secret), attachments resolved. */
export interface RawEntry {
  readonly fields: ReadonlyMap<string, FieldValue>;
  readonly attachments: readonly Attachment[];
  readonly tags: readonly string[];
  readonly created: Date | null;
  readonly modified: Date | null;
  readonly expires: Date | null;
}

export function entryState(raw: RawEntry): EntryState {
  let fields = NO_FIELDS;
  for (const [name, value] of raw.fields) {
    if (STANDARD_FIELDS.has(name)) continue;
    if (fields === NO_FIELDS) fields = Object.create(null) as Record<string, FieldValue>;
    (fields as Record<string, FieldValue>)[name] = ALWAYS_SECRET.has(name) && typeof value === 'string' ? new Secret(value) : value;
  }
  const title = raw.fields.get('Title') ?? '';
  return Object.freeze({
    title: title instanceof Secret ? title.reveal() : title,
    username: raw.fields.get('UserName') ?? '',
    password: raw.fields.get('Password') ?? '',
    url: raw.fields.get('URL') ?? '',
    notes: raw.fields.get('Notes') ?? '',
    fields: Object.isFrozen(fields) ? fields : Object.freeze(fields),
    tags: raw.tags.length === 0 ? NONE : Object.freeze(raw.tags.slice()),
    created: raw.created,
    modified: raw.modified,
    expires: raw.expires,
    otp: OTP_FIELDS.some((name) => {
      const value = raw.fields.get(name);
      return value !== undefined && (value instanceof Secret ? !value.isEmpty : value !== '');
    }),
    attachments: raw.attachments.length === 0 ? NONE : Object.freeze(raw.attachments.slice()),
  });
}
