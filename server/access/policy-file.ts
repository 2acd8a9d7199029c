// Parses the YAML or JSON keys file: per-key allow/deny globs, reveal and admin rights, expiry.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { closest, quote } from '../text';
import { API_KEY_NAME, KeysFileError, digestOf, fileKeyHolder, uniqueKeys, type ClearKey, type KeyRecord } from './keys-file';
import { compilePolicy, globProblem } from './policy';

const FIELDS = ['name', 'key', 'allow', 'deny', 'reveal', 'admin', 'expires'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const HASHED = /^sha256:([0-9a-fA-F]{64})$/;
// A day alone, or a time with its zone. Date would take `2027-1-1` for that day's first instant, not
// its last, and a time without a zone in the server's own zone: both expire a key hours off what was meant.
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ZONED_TIME = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

const globList = z.array(z.string()).superRefine((globs, ctx) => {
  globs.forEach((glob, index) => {
    const problem = globProblem(glob);
    if (problem) ctx.addIssue({ code: 'custom', path: [index], message: `glob ${JSON.stringify(glob)} ${problem}` });
  });
});

const keySchema = z
  .object({
    name: z.string().regex(NAME, "must be 1-64 letters, digits, '.', '_', '@' or '-'"),
    key: z.string().min(1, 'must not be empty'),
    allow: globList.default(['**']),
    deny: globList.default([]),
    reveal: z.boolean().default(false),
    admin: z.boolean().default(false),
    // Text, but for a value tagged !!timestamp, which YAML gives as a Date.
    expires: z.union([z.string(), z.date()]).optional(),
  })
  .strict();

const fileSchema = z.object({ keys: z.array(z.unknown()).min(1, 'must list at least one key') }).strict();

// Date rolls 2027-02-30 over into March rather than refuse it.
const isCalendarDay = (day: string): boolean => {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
};

/** A date without a time is valid through that whole day (UTC); a key is refused after it. */
export function expiryOf(value: string | Date | undefined): Date | null | 'invalid' {
  if (value === undefined) return null;
  if (value instanceof Date) {
    // Only an explicit !!timestamp gets here (the file is read with YAML 1.2's core schema), and it
    // cannot say whether it was a day alone: midnight UTC is taken for one, valid through that day.
    if (Number.isNaN(value.getTime())) return 'invalid';
    return value.getTime() % 86_400_000 === 0 ? new Date(value.getTime() + 86_399_999) : value;
  }
  const text = value.trim();
  const day = DAY.test(text) ? text : ZONED_TIME.exec(text)?.[1];
  if (day === undefined || !isCalendarDay(day)) return 'invalid';
  const date = day === text ? new Date(`${text}T23:59:59.999Z`) : new Date(text);
  return Number.isNaN(date.getTime()) ? 'invalid' : date;
}

function entryLabel(index: number, raw: unknown): string {
  const name = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  return typeof name === 'string' && NAME.test(name) ? `keys[${index}] (${name})` : `keys[${index}]`;
}

function issueText(issue: z.core.$ZodIssue): string {
  const [field, ...rest] = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((k) => {
        const hint = closest(k, FIELDS);
        return `unknown field '${k}'${hint ? `; did you mean '${hint}'?` : ''}`;
      })
      .join('; ');
  }
  if (field === undefined && issue.code === 'invalid_type') return 'must be a mapping with a `keys:` list of key entries (README, Per-key policies)';
  const where = field === undefined ? '' : `field '${field}'${rest.length ? `[${rest.join('.')}]` : ''}: `;
  // YAML 1.2 reads `yes` and `on` as text, unlike the query parameters, which take them.
  if ((field === 'reveal' || field === 'admin') && issue.code === 'invalid_type') return `${where}must be true or false`;
  // Never echo a key's value: only which field is wrong. YAML reads an unquoted 12345 as a number.
  const message = field === 'key' ? 'must be a non-empty string (in quotes if it is made only of digits)' : issue.message;
  return `${where}${message}`;
}

function parseText(text: string, format: 'yaml' | 'json'): unknown {
  try {
    return format === 'json' ? (JSON.parse(text) as unknown) : (parseYaml(text, { schema: 'core' }) as unknown);
  } catch (error) {
    // Parser messages quote the offending text, which may be a key: keep only the position.
    const line = /line (\d+)/i.exec((error as Error).message)?.[1];
    throw new KeysFileError(`is not valid ${format.toUpperCase()}${line ? ` (near line ${line})` : ''}`, line ? Number(line) : null);
  }
}

/** Any problem rejects the whole file, naming the key entry and the field, never a key's value. */
export function parsePolicyKeys(text: string, format: 'yaml' | 'json', plain: ClearKey = () => undefined): KeyRecord[] {
  const file = fileSchema.safeParse(parseText(text, format));
  if (!file.success) {
    const issue = file.error.issues[0];
    throw new KeysFileError(issue ? issueText(issue) : 'must be an object with a `keys` list');
  }
  const labels = new Map<KeyRecord, string>();
  const keys = file.data.keys.map((raw, index) => {
    const label = entryLabel(index, raw);
    const parsed = keySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KeysFileError(`${label}: ${issue ? issueText(issue) : 'is not a key entry'}`);
    }
    const entry = parsed.data;
    if (entry.name === API_KEY_NAME) throw new KeysFileError(`${label}: the name '${API_KEY_NAME}' is kept for the API_KEY variable; choose another`);
    const expires = expiryOf(entry.expires);
    if (expires === 'invalid') {
      const received = typeof entry.expires === 'string' ? ` (received ${quote(entry.expires)})` : '';
      throw new KeysFileError(`${label}: field 'expires' must be a date such as 2027-01-01 or a time with its zone such as 2027-01-01T10:00:00Z${received}`);
    }
    let digest: Buffer;
    if (entry.key.startsWith('sha256:')) {
      const match = HASHED.exec(entry.key);
      if (!match?.[1]) throw new KeysFileError(`${label}: field 'key': a sha256: value must be 64 hexadecimal characters`);
      digest = Buffer.from(match[1], 'hex');
    } else {
      if (!/^[\x21-\x7e]+$/.test(entry.key)) throw new KeysFileError(`${label}: field 'key': a key must be printable ASCII with no spaces`);
      plain(entry.key, fileKeyHolder(entry.name));
      digest = digestOf(entry.key);
    }
    const policy = { allow: Object.freeze([...entry.allow]), deny: Object.freeze([...entry.deny]) };
    const key: KeyRecord = Object.freeze({
      name: entry.name,
      digest,
      reveal: entry.reveal,
      admin: entry.admin,
      expires,
      policy,
      canRead: compilePolicy(policy),
    });
    labels.set(key, label);
    return key;
  });
  return uniqueKeys(keys, (key) => labels.get(key) ?? key.name);
}
