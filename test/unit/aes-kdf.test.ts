// The native AES-KDF (one or two threads) gives exactly kdbxweb's own result, which KeePass defines.
import { randomBytes } from 'node:crypto';
import * as kdbxweb from 'kdbxweb';
import { aesKdf } from '../../server/vault/aes-kdf-rounds';

// 500,000 rounds and more take the second half to a worker thread.
test.each([1, 2, 1000, 65_536, 65_537, 200_001, 500_000, 600_001])('%i rounds match kdbxweb', async (rounds) => {
  const credentials = new Uint8Array(randomBytes(32));
  const seed = new Uint8Array(randomBytes(32));
  const reference = await kdbxweb.KeyEncryptorAes.encrypt(credentials, seed, rounds);
  expect(Buffer.from(await aesKdf(credentials, seed, rounds)).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
});
