// The KDBX composite key (what the KDF transforms), computed as kdbxweb's KdbxCredentials computes it.
import { createHash } from 'node:crypto';

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/**
 * The key file's 32-byte contribution for the forms that need no XML: 32 raw bytes, or 64 hex
 * characters. XML key files are read below; any other file, which is hashed, goes to kdbxweb.
 */
function simpleKeyFileHash(keyFile: Uint8Array): Uint8Array | null {
  if (keyFile.byteLength === 32) return new Uint8Array(keyFile);
  if (keyFile.byteLength === 64) {
    const text = Buffer.from(keyFile).toString('latin1');
    if (/^[a-f\d]{64}$/i.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  }
  return null;
}

/**
 * KeePass's XML key files, read without kdbxweb, so that the KDF can start before it loads:
 * version 2.0 (what KeePassXC writes) holds the key as hex with the first 4 bytes of its SHA-256
 * beside it, version 1.0 as base64. Anything else, a check that fails included, goes to kdbxweb,
 * which reports it as it always has.
 */
function xmlKeyFileHash(keyFile: Uint8Array): Uint8Array | null {
  const text = Buffer.from(keyFile).toString('utf8');
  if (!text.includes('<KeyFile>')) return null;
  const version = /<Version>\s*([\d.]+)\s*<\/Version>/.exec(text)?.[1];
  const data = /<Data(?:\s+Hash="([0-9A-Fa-f]{8})")?\s*>([^<]*)<\/Data>/.exec(text);
  if (version === undefined || !data) return null;
  const [, hash, content = ''] = data;
  if (version.startsWith('2.')) {
    const hex = content.replace(/\s+/g, '');
    if (hash === undefined || !/^[0-9a-f]{64}$/i.test(hex)) return null;
    const key = Buffer.from(hex, 'hex');
    // Upper case, as KeePass writes it and kdbxweb compares it.
    return sha256(key).subarray(0, 4).toString('hex').toUpperCase() === hash ? new Uint8Array(key) : null;
  }
  if (version.startsWith('1.')) {
    const key = Buffer.from(content.trim(), 'base64');
    return key.byteLength === 32 ? new Uint8Array(key) : null;
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
  if (keyFile !== null) parts.push(simpleKeyFileHash(keyFile) ?? xmlKeyFileHash(keyFile) ?? (await kdbxwebKeyFileHash(keyFile)));
  const all = Buffer.concat(parts);
  const key = new Uint8Array(sha256(all));
  all.fill(0);
  for (const part of parts) part.fill(0);
  return key;
}
