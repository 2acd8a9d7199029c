// `kdbx-gateway keygen`: a new random key and the keys-file line that stores only its hash.
import { randomBytes } from 'node:crypto';
import { digestOf } from '../access/keys-file';

export interface GeneratedKey {
  readonly key: string;
  readonly line: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function generateKey(name: string): GeneratedKey {
  if (!NAME.test(name)) {
    throw new Error(`--name must be 1-64 letters, digits, '.', '_', '@' or '-' (received ${JSON.stringify(name)})`);
  }
  const key = randomBytes(32).toString('base64url');
  return { key, line: `${name}:sha256:${digestOf(key).toString('hex')}` };
}

export function keygenText(generated: GeneratedKey): string {
  return [
    `key:  ${generated.key}`,
    `line: ${generated.line}`,
    '',
    'Give the key to the client (X-API-Key or Authorization: Bearer) and add the line to the keys file;',
    'the file then holds only the key\'s SHA-256 hash.',
    '',
  ].join('\n');
}
