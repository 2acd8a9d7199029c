// Plugs the native, two-threaded AES-KDF into kdbxweb, preferring a result started before it loaded.
import * as kdbxweb from 'kdbxweb';
import { aesKdf } from './aes-kdf-rounds';
import { takeEarlyAesKdf } from './kdf-early';

export { aesKdf };

let installed = false;

/** kdbxweb looks KeyEncryptorAes.encrypt up on its module at call time, so it can be replaced. */
export function installAesKdf(): void {
  if (installed) return;
  Object.assign(kdbxweb.KeyEncryptorAes, {
    encrypt: (credentials: Uint8Array, key: Uint8Array, rounds: number): Promise<Uint8Array> =>
      takeEarlyAesKdf(credentials, key, rounds) ?? aesKdf(credentials, key, rounds),
  });
  installed = true;
}
