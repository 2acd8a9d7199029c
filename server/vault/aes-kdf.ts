// AES-KDF in native code: KDBX 3.1 and KeePassXC's AES-KDF vaults open at KeePassXC's own speed.
import { createCipheriv } from 'node:crypto';
import * as kdbxweb from 'kdbxweb';

const BLOCK = 16;
const CHUNK_BLOCKS = 65_536;
const ZEROS = Buffer.alloc(BLOCK * CHUNK_BLOCKS);

/**
 * AES-KDF encrypts each 16-byte half of the key with AES-256-ECB `rounds` times. AES-256-CBC over
 * zero blocks with the half as IV computes the same chain (each block is E(previous)), so OpenSSL
 * does the rounds in large native chunks instead of kdbxweb's JavaScript-driven loop.
 */
function transformHalf(key: Uint8Array, half: Uint8Array, rounds: number): Buffer {
  let iv = Buffer.from(half);
  let left = rounds;
  while (left > 0) {
    const blocks = Math.min(left, CHUNK_BLOCKS);
    const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    const out = cipher.update(ZEROS.subarray(0, blocks * BLOCK));
    cipher.final();
    iv = out.subarray(out.length - BLOCK);
    left -= blocks;
  }
  return Buffer.from(iv);
}

export function aesKdf(credentials: Uint8Array, seed: Uint8Array, rounds: number): Uint8Array {
  const out = new Uint8Array(credentials.length);
  for (let offset = 0; offset < credentials.length; offset += BLOCK) {
    out.set(transformHalf(seed, credentials.subarray(offset, offset + BLOCK), rounds), offset);
  }
  return out;
}

let installed = false;

/** kdbxweb looks KeyEncryptorAes.encrypt up on its module at call time, so it can be replaced. */
export function installAesKdf(): void {
  if (installed) return;
  Object.assign(kdbxweb.KeyEncryptorAes, {
    encrypt: (credentials: Uint8Array, key: Uint8Array, rounds: number): Promise<Uint8Array> =>
      Promise.resolve(aesKdf(credentials, key, rounds)),
  });
  installed = true;
}
