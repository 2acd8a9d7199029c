// The KDBX composite key (what the KDF transforms), computed as kdbxweb's KdbxCredentials computes it.
import { createHash } from 'node:crypto';

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/**
 * The key file's 32-byte contribution for the forms that need no XML: 32 raw bytes, or 64 hex
 * characters. Other files (XML key files, or any other file, which is hashed) go to kdbxweb.
 */
function simpleKeyFileHash(keyFile: Uint8Array): Uint8Array | null {
  if (keyFile.byteLength === 32) return new Uint8Array(keyFile);
  if (keyFile.byteLength === 64) {
    const text = Buffer.from(keyFile).toString('latin1');
    if (/^[a-f\d]{64}$/i.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  }
  return null;
}

async function kdbxwebKeyFileHash(keyFile: Uint8Array): Promise<Uint8Array> {
  const kdbxweb = await import('kdbxweb');
  const credentials = new kdbxweb.KdbxCredentials(null, new Uint8Array(keyFile));
  await credentials.ready;
  // With no password, kdbxweb's composite is SHA-256 of the key file's contribution alone; that
  // contribution is what is needed here, so read it back from the protected value.
  const hash = credentials.keyFileHash;
  if (!hash) throw new Error('key file gave no hash');
  return hash.getBinary();
}

/**
 * SHA-256 over SHA-256(password as UTF-8) and the key file's contribution, whichever are present:
 * kdbxweb's `KdbxCredentials.getHash()` without a challenge-response.
 */
export async function compositeKey(password: string | null, keyFile: Uint8Array | null): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  if (password !== null) parts.push(sha256(Buffer.from(password, 'utf8')));
  if (keyFile !== null) parts.push(simpleKeyFileHash(keyFile) ?? (await kdbxwebKeyFileHash(keyFile)));
  const all = Buffer.concat(parts);
  const key = new Uint8Array(sha256(all));
  all.fill(0);
  for (const part of parts) part.fill(0);
  return key;
}
