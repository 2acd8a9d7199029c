// Parses the text form of the API keys file: `key`, `name:key`, `sha256:<hex>`, `name:sha256:<hex>`.
import { createHash } from 'node:crypto';
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

export const digestOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

const readAll = compilePolicy(EVERYTHING);

/** Text-form keys and API_KEY may read and reveal everything and call admin routes (API.md §4). */
export function fullRights(name: string, digest: Buffer): KeyRecord {
  return Object.freeze({ name, digest, reveal: true, admin: true, expires: null, policy: EVERYTHING, canRead: readAll });
}

function parseValue(name: string, value: string, line: number): KeyRecord {
  if (value.startsWith('sha256:')) {
    const match = HASHED.exec(value);
    if (!match?.[1]) {
      throw new KeysFileError(`line ${line}: a sha256: value must be 64 hexadecimal characters`, line);
    }
    return fullRights(name, Buffer.from(match[1], 'hex'));
  }
  if (!KEY.test(value)) {
    throw new KeysFileError(`line ${line}: a key must be printable ASCII with no spaces`, line);
  }
  return fullRights(name, digestOf(value));
}

/**
 * Any malformed line rejects the whole file (API.md §13.14); errors name the line number only, since
 * the line itself may hold a key.
 */
export function parseKeysText(text: string): KeyRecord[] {
  const keys: KeyRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('sha256:')) {
      keys.push(parseValue(`line-${lineNumber}`, line, lineNumber));
      return;
    }
    const colon = line.indexOf(':');
    if (colon === -1) {
      keys.push(parseValue(`line-${lineNumber}`, line, lineNumber));
      return;
    }
    const name = line.slice(0, colon);
    if (!NAME.test(name)) {
      throw new KeysFileError(
        `line ${lineNumber}: a key name must be 1-64 letters, digits, '.', '_', '@' or '-' before the ':'`,
        lineNumber,
      );
    }
    keys.push(parseValue(name, line.slice(colon + 1), lineNumber));
  });
  return keys;
}
