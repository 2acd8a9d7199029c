// Plugs the native argon2 package into kdbxweb, which ships no Argon2 of its own.
import * as kdbxweb from 'kdbxweb';
import { argon2Hash } from './argon2-hash';
import { takeEarlyArgon2 } from './kdf-early';

let installed = false;

export function installArgon2(): void {
  if (installed) return;
  kdbxweb.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type, version) => {
    const args = { password: new Uint8Array(password), salt: new Uint8Array(salt), memory, iterations, length, parallelism, type, version };
    const hash = await (takeEarlyArgon2(args) ?? argon2Hash(args));
    return hash.buffer.slice(hash.byteOffset, hash.byteOffset + hash.byteLength) as ArrayBuffer;
  });
  installed = true;
}
