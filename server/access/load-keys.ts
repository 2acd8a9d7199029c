// Turns the keys file (text, YAML or JSON by its ending) and API_KEY into the key ring in force.
import { KeyRing } from './key-ring';
import { API_KEY_NAME, digestOf, fullRights, parseKeysText, uniqueKeys, type ClearKey, type KeyRecord } from './keys-file';
import type * as PolicyFile from './policy-file';

export type KeysFormat = 'text' | 'yaml' | 'json';

export function keysFormatOf(file: string): KeysFormat {
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  return /\.json$/i.test(file) ? 'json' : 'text';
}

/** Throws KeysFileError (naming a line or a key entry, never a key) when the file is malformed. */
/** `plain` is told each key the file holds in clear (not as a sha256: hash), for the log redactor. */
export function parseKeysFile(file: string, text: string, plain: ClearKey = () => undefined): KeyRecord[] {
  const format = keysFormatOf(file);
  if (format === 'text') return parseKeysText(text, plain);
  // Loaded only for a YAML or JSON file: yaml and zod would otherwise slow every start, `check` included.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use
  const { parsePolicyKeys } = require('./policy-file') as typeof PolicyFile;
  return parsePolicyKeys(text, format, plain);
}

/** null when there is no key at all: the caller decides whether that stops start-up. */
export function buildKeyRing(fromFile: readonly KeyRecord[], apiKey: string | null): KeyRing | null {
  const records = [...fromFile];
  if (apiKey !== null) records.push(fullRights(API_KEY_NAME, digestOf(apiKey)));
  // A file's names and keys are unique already; API_KEY must not repeat one of its keys either.
  uniqueKeys(records, (key) => (key.name === API_KEY_NAME ? 'API_KEY' : `the keys file's key '${key.name}'`));
  return records.length ? new KeyRing(records) : null;
}
