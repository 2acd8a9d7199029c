// Plugs the native argon2 package into kdbxweb, which ships no Argon2 of its own.
import * as argon2 from 'argon2';
import * as kdbxweb from 'kdbxweb';

let installed = false;

export function installArgon2(): void {
  if (installed) return;
  kdbxweb.CryptoEngine.setArgon2Impl(
    async (password, salt, memory, iterations, length, parallelism, type, version) => {
      const hash = await argon2.hash(Buffer.from(password), {
        raw: true,
        salt: Buffer.from(salt),
        // kdbxweb passes 0 for Argon2d and 2 for Argon2id, the same numbering as node-argon2.
        type,
        version,
        memoryCost: memory,
        timeCost: iterations,
        parallelism,
        hashLength: length,
      });
      return new Uint8Array(hash).buffer;
    },
  );
  installed = true;
}
