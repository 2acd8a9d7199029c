// Parses the text form of the API keys file: `key`, `name:key`, `sha256:<hex>`, `name:sha256:<hex>`.
import { hash } from 'node:crypto';
import { EVERYTHING, compilePolicy, type PolicyRules, type ReadCheck } from './policy';

/** A key as the gateway keeps it: only its SHA-256 digest, never the key itself. */
export interface KeyRecord {
  readonly name: string;
  readonly digest: Buffer;
  readonly reveal: boolean;
  readonly admin: boolean;
  /** After this instant the key is refused; null = never. */
  readonly expires: Date | null;
  readonly policy: PolicyRules;
  readonly canRead: ReadCheck;
}

export class KeysFileError extends Error {
  readonly line: number | null;
  constructor(message: string, line: number | null = null) {
    super(message);
    this.name = 'KeysFileError';
    this.line = line;
  }
}

const HASHED = /^sha256:([0-9a-fA-F]{64})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
// Visible ASCII only: a key travels in an HTTP header, where anything else would never match.
const KEY = /^[\x21-\x7e]+$/;

// The one-shot hash: half the cost of a Hash object, on every request that carries a key.
export const digestOf = (key: string): Buffer => hash('sha256', key, 'buffer');

const readAll = compilePolicy(EVERYTHING);

/** Text-form keys and API_KEY may read and reveal everything and call admin routes (API.md §4). */
export function fullRights(name: string, digest: Buffer): KeyRecord {
  return Object.freeze({ name, digest, reveal: true, admin: true, expires: null, policy: EVERYTHING, canRead: readAll });
}

/** Told each key a file or variable holds in clear, with who holds it (never part of the key). */
export type ClearKey = (key: string, holder: string) => void;

// `kdbx-gateway keygen` makes 43 characters; under this, a key may be a word someone can guess.
const SHORT_KEY = 16;

/** A warning for a key held in clear that is short enough to guess: its holder, never the key or its exact length (logs travel further than keys files). */
export function shortKeyWarning(key: string, holder: string): string | null {
  if (key.length >= SHORT_KEY) return null;
  return `${holder} is shorter than ${SHORT_KEY} characters and can be guessed (\`kdbx-gateway keygen\` makes a random 43-character key)`;
}

export const fileKeyHolder = (name: string): string => `the keys file's key '${name}'`;

function parseValue(name: string, value: string, line: number, plain: ClearKey): KeyRecord {
  if (value.startsWith('sha256:')) {
    const match = HASHED.exec(value);
    if (!match?.[1]) {
      throw new KeysFileError(`line ${line}: a sha256: value must be 64 hexadecimal characters`, line);
    }
    return fullRights(name, Buffer.from(match[1], 'hex'));
  }
  // Not the name either: a key pasted with a ':' at its end would be read as one.
  if (value === '') throw new KeysFileError(`line ${line}: nothing after the ':'; a line is name:key`, line);
  if (!KEY.test(value)) {
    throw new KeysFileError(`line ${line}: a key must be printable ASCII with no spaces`, line);
  }
  plain(value, AUTO_NAME.test(name) ? `the keys file's key on line ${line}` : fileKeyHolder(name));
  return fullRights(name, digestOf(value));
}

/** The name the API_KEY variable's key goes by; a file may not give it to another. */
export const API_KEY_NAME = 'API_KEY';
const AUTO_NAME = /^line-\d+$/;
/** A key the file gives no name, called after its line, which moves when lines above it do. */
export const isUnnamed = (name: string): boolean => AUTO_NAME.test(name);

/**
 * Names tell keys apart in the audit and in per-key rate limits, and a key must lead to one policy:
 * a name or a key used twice would merge two clients into one, or let the first line silently win.
 * `where` names an entry for the message (a line number or a YAML entry), never its key; `lineOf`
 * gives the text form's line number.
 */
export function uniqueKeys<K extends KeyRecord>(keys: readonly K[], where: (key: K) => string, lineOf: (key: K) => number | null = () => null): K[] {
  const names = new Map<string, K>();
  const digests = new Map<string, K>();
  for (const key of keys) {
    const sameName = names.get(key.name);
    if (sameName) throw new KeysFileError(`${where(key)}: the name '${key.name}' is already used by ${where(sameName)}`, lineOf(key));
    const digest = key.digest.toString('hex');
    const sameKey = digests.get(digest);
    if (sameKey) throw new KeysFileError(`${where(key)}: the same key as ${where(sameKey)}; give each client its own`, lineOf(key));
    names.set(key.name, key);
    digests.set(digest, key);
  }
  return [...keys];
}

/**
 * Any malformed line rejects the whole file (API.md §13.14); errors name the line number only, since
 * the line itself may hold a key. `plain` is told each key written in clear, for the log redactor.
 */
export function parseKeysText(text: string, plain: ClearKey = () => undefined): KeyRecord[] {
  const keys: (KeyRecord & { readonly line: number })[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // `keys:` alone, or a list item: a text line is `name:key`, and a name never begins with a dash.
    if (/^(keys:$|- name:)/.test(line)) {
      throw new KeysFileError(`line ${lineNumber}: this looks like a YAML keys file; give the file a .yaml or .yml ending`, lineNumber);
    }
    if (line.startsWith('sha256:') || !line.includes(':')) {
      keys.push({ ...parseValue(`line-${lineNumber}`, line, lineNumber, plain), line: lineNumber });
      return;
    }
    const colon = line.indexOf(':');
    // Names and keys hold no spaces, so `name: key` (YAML's habit) can only mean `name:key`.
    const name = line.slice(0, colon).trimEnd();
    if (!NAME.test(name)) {
      throw new KeysFileError(
        `line ${lineNumber}: a key name must be 1-64 letters, digits, '.', '_', '@' or '-' before the ':'`,
        lineNumber,
      );
    }
    if (name === API_KEY_NAME || AUTO_NAME.test(name)) {
      throw new KeysFileError(`line ${lineNumber}: the name '${name}' is kept for ${name === API_KEY_NAME ? 'the API_KEY variable' : 'unnamed keys'}; choose another`, lineNumber);
    }
    keys.push({ ...parseValue(name, line.slice(colon + 1).trimStart(), lineNumber, plain), line: lineNumber });
  });
  return uniqueKeys(keys, (key) => `line ${key.line}`, (key) => key.line).map(({ line: _line, ...key }) => Object.freeze(key));
}
