// The native AES-KDF gives exactly kdbxweb's own result, which KeePass defines.
import { randomBytes } from 'node:crypto';
import * as kdbxweb from 'kdbxweb';
import { aesKdf } from '../../server/vault/aes-kdf';

test.each([1, 2, 1000, 65_536, 65_537, 200_001])('%i rounds match kdbxweb', async (rounds) => {
  const credentials = new Uint8Array(randomBytes(32));
  const seed = new Uint8Array(randomBytes(32));
  const reference = await kdbxweb.KeyEncryptorAes.encrypt(credentials, seed, rounds);
  expect(Buffer.from(aesKdf(credentials, seed, rounds)).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
});
