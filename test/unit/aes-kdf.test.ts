// AES-KDF, by OpenSSL (one or two threads) and by the AES-NI build, gives exactly kdbxweb's own result, which KeePass defines.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as kdbxweb from 'kdbxweb';
import { aesKdf, createAesKdf } from '../../server/vault/aes-kdf-rounds';
import { cpuFlagsOf, loadNative } from '../../server/vault/native-parts';

// Where `npm run build` (run by `npm test` before jest) writes it.
const NATIVE_FILE = path.join(__dirname, '..', '..', 'dist', 'native', 'aes-kdf.node');
const canRunAesNi = process.platform === 'linux' && process.arch === 'x64' && cpuFlagsOf(readFileSync('/proc/cpuinfo', 'latin1')).has('aes');

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
async function reference(credentials: Uint8Array, seed: Uint8Array, rounds: number): Promise<string> {
  return hex(await kdbxweb.KeyEncryptorAes.encrypt(credentials, seed, rounds));
}
const random32 = (): Uint8Array => new Uint8Array(randomBytes(32));

// 500,000 rounds and more take OpenSSL's second half to a worker thread.
const ROUNDS = [0, 1, 2, 1000, 65_536, 65_537, 200_001, 500_000, 600_001];

describe('OpenSSL (no native build beside the TypeScript sources)', () => {
  test.each(ROUNDS)('%i rounds match kdbxweb', async (rounds) => {
    const credentials = random32();
    const seed = random32();
    expect(hex(await aesKdf(credentials, seed, rounds))).toBe(await reference(credentials, seed, rounds));
  });
});

describe('the AES-NI build', () => {
  // CI builds it on an x86-64 machine with AES-NI: there it must exist, or this would pass vacuously.
  const runnable = canRunAesNi && (process.env['CI'] === 'true' || existsSync(NATIVE_FILE));
  const maybe = runnable ? test : test.skip;

  maybe('exists after npm run build on this CPU', () => {
    expect(existsSync(NATIVE_FILE)).toBe(true);
  });

  maybe.each(ROUNDS)('%i rounds match kdbxweb', async (rounds) => {
    const engine = createAesKdf({ nativeFile: NATIVE_FILE });
    const credentials = random32();
    const seed = random32();
    expect(hex(await engine.compute(credentials, seed, rounds))).toBe(await reference(credentials, seed, rounds));
    expect(engine.lastBuild()).toBe('aes-ni');
  });

  maybe('one round is AES-256 itself: FIPS-197 appendix C.3, in both halves', async () => {
    const engine = createAesKdf({ nativeFile: NATIVE_FILE });
    const block = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const out = await engine.compute(new Uint8Array(Buffer.concat([block, block])), new Uint8Array(key), 1);
    expect(hex(out)).toBe('8ea2b7ca516745bfeafc49904b496089'.repeat(2));
  });

  maybe('leaves its inputs as they were', async () => {
    const credentials = random32();
    const seed = random32();
    const before = hex(credentials) + hex(seed);
    await createAesKdf({ nativeFile: NATIVE_FILE }).compute(credentials, seed, 10);
    expect(hex(credentials) + hex(seed)).toBe(before);
  });

  maybe.each([
    ['a 31-byte key', () => [new Uint8Array(31), new Uint8Array(32), 1]],
    ['a 33-byte seed', () => [new Uint8Array(32), new Uint8Array(33), 1]],
    ['a string key', () => ['k'.repeat(32), new Uint8Array(32), 1]],
    ['negative rounds', () => [new Uint8Array(32), new Uint8Array(32), -1]],
    ['fractional rounds', () => [new Uint8Array(32), new Uint8Array(32), 1.5]],
    ['NaN rounds', () => [new Uint8Array(32), new Uint8Array(32), Number.NaN]],
    ['rounds past 2^53', () => [new Uint8Array(32), new Uint8Array(32), 2 ** 64]],
    ['two arguments', () => [new Uint8Array(32), new Uint8Array(32)]],
  ])('refuses %s with a TypeError, never a crash', (_name, args) => {
    const binding = loadNative<{ aesKdf(...a: unknown[]): Promise<Buffer> }>(NATIVE_FILE, 'aesKdf');
    let thrown: unknown = null;
    try {
      void binding?.aesKdf(...args());
    } catch (error) {
      thrown = error;
    }
    // The addon's TypeError belongs to Node's realm, not jest's, so compare by name.
    expect(thrown).toMatchObject({ name: 'TypeError', message: expect.stringMatching(/must be|^aesKdf\(key, seed, rounds\)$/) });
  });
});

describe('falls back to OpenSSL', () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'kdbx-aes-kdf-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('when there is no native build, or it does not load', async () => {
    const throwing = path.join(scratch, 'throws.cjs');
    writeFileSync(throwing, "throw new Error('wrong ELF class');\n");
    for (const nativeFile of [null, path.join(scratch, 'absent.node'), throwing]) {
      const engine = createAesKdf({ nativeFile });
      const credentials = random32();
      const seed = random32();
      expect(hex(await engine.compute(credentials, seed, 3000))).toBe(await reference(credentials, seed, 3000));
      expect(engine.lastBuild()).toBe('openssl');
    }
  });

  test('when the build computes wrong keys: the check catches it, for that key and every later one', async () => {
    const file = path.join(scratch, 'wrong.cjs');
    const calls = path.join(scratch, 'wrong-calls.txt');
    writeFileSync(calls, '');
    writeFileSync(file, `exports.aesKdf = async () => { require('node:fs').appendFileSync(${JSON.stringify(calls)}, '.'); return Buffer.alloc(32, 9); };\n`);
    const engine = createAesKdf({ nativeFile: file });
    for (const rounds of [5000, 7]) {
      const credentials = random32();
      const seed = random32();
      expect(hex(await engine.compute(credentials, seed, rounds))).toBe(await reference(credentials, seed, rounds));
      expect(engine.lastBuild()).toBe('openssl');
    }
    // The check and the first derivation reached the bad build; nothing after them.
    expect(readFileSync(calls, 'utf8')).toBe('..');
  });
});
