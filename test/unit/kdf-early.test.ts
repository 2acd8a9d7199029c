// The early KDF gives kdbxweb the key it would compute itself, and steps aside when anything differs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as kdbxweb from 'kdbxweb';
import { compositeKey } from '../../server/vault/composite-key';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
interface Fixture {
  file: string;
  password: string | null;
  keyfile: string | null;
  kdf: string;
  kdbx_version: string;
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as { vaults: Fixture[] };
const fixture = (file: string): Fixture => {
  const found = manifest.vaults.find((v) => v.file === file);
  if (!found) throw new Error(`${file} is not in the manifest`);
  return found;
};
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, file)));
const keyFileOf = (f: Fixture): Uint8Array | null => (f.keyfile === null ? null : read(f.keyfile));

async function kdbxwebComposite(password: string | null, keyFile: Uint8Array | null): Promise<string> {
  const credentials = new kdbxweb.Credentials(password === null ? null : kdbxweb.ProtectedValue.fromString(password), keyFile);
  return Buffer.from(await credentials.getHash()).toString('hex');
}

describe('composite key', () => {
  test.each(manifest.vaults.map((v) => v.file))('%s: as kdbxweb computes it', async (file) => {
    const f = fixture(file);
    expect(Buffer.from(await compositeKey(f.password, keyFileOf(f))).toString('hex')).toBe(await kdbxwebComposite(f.password, keyFileOf(f)));
  });

  test.each([
    ['a non-ASCII password', 'pässwörd-🔑', null],
    ['a password and a 32-byte key file', 'pw', 'kw-key-bin32.key'],
    ['a password and a 64-hex key file', 'pw', 'kw-key-hex64.key'],
    ['a password and an XML 1.0 key file', 'pw', 'kw-key-xml1.key'],
    ['a password and an XML 2.0 key file', 'pw', 'kxc-keyonly.keyx'],
    ['a password and some other file, hashed', 'pw', 'kw-key-other.key'],
  ])('%s', async (_name, password, keyFile) => {
    const bytes = keyFile === null ? null : read(keyFile);
    expect(Buffer.from(await compositeKey(password, bytes)).toString('hex')).toBe(await kdbxwebComposite(password, bytes));
  });
});

describe('XML key files', () => {
  const xml2 = (hash: string, hex: string): Uint8Array =>
    new Uint8Array(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<KeyFile>\n  <Meta>\n    <Version>2.0</Version>\n  </Meta>\n  <Key>\n    <Data Hash="${hash}">\n      ${hex}\n    </Data>\n  </Key>\n</KeyFile>\n`));
  const outcome = async (run: () => Promise<Uint8Array | string>): Promise<string> => {
    try {
      const value = await run();
      return typeof value === 'string' ? value : Buffer.from(value).toString('hex');
    } catch {
      return 'refused';
    }
  };

  test('version 2.0 with its check, in any layout, and with a wrong check, as kdbxweb takes them', async () => {
    const key = read('kxc-keyonly.keyx');
    const hex = /<Data[^>]*>([^<]*)</.exec(Buffer.from(key).toString('utf8'))?.[1]?.replace(/\s+/g, '') ?? '';
    const hash = /Hash="([0-9A-F]{8})"/i.exec(Buffer.from(key).toString('utf8'))?.[1] ?? '';
    for (const file of [xml2(hash, hex), xml2(hash.toLowerCase(), hex.match(/.{8}/g)?.join(' ') ?? ''), xml2('00000000', hex)]) {
      expect(await outcome(() => compositeKey('pw', file))).toBe(await outcome(() => kdbxwebComposite('pw', file)));
    }
  });

  test('version 1.0 and 2.0 files are read without loading kdbxweb, so the KDF can start first', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('kdbxweb', () => {
        throw new Error('kdbxweb was loaded');
      });
      const { compositeKey: isolated } = await import('../../server/vault/composite-key');
      for (const file of ['kw-key-xml1.key', 'kxc-keyonly.keyx', 'kxc-keyfile.keyx']) {
        await expect(isolated('pw', read(file))).resolves.toHaveLength(32);
      }
      await expect(isolated('pw', read('kw-key-other.key'))).rejects.toThrow('kdbxweb was loaded');
    });
    jest.dontMock('kdbxweb');
  });
});

/** Fresh modules (early state is one per process), with counters on the two KDF implementations. */
async function fresh(): Promise<{
  early: typeof import('../../server/vault/kdf-early');
  open: typeof import('../../server/vault/open');
  calls: { argon2: number; aes: number };
}> {
  let modules: Awaited<ReturnType<typeof fresh>> | undefined;
  await jest.isolateModulesAsync(async () => {
    const calls = { argon2: 0, aes: 0 };
    const argon2Module = await import('../../server/vault/argon2-hash');
    const aesModule = await import('../../server/vault/aes-kdf-rounds');
    const argon2Hash = argon2Module.argon2Hash;
    const aesKdf = aesModule.aesKdf;
    jest.spyOn(argon2Module, 'argon2Hash').mockImplementation((args) => {
      calls.argon2 += 1;
      return argon2Hash(args);
    });
    jest.spyOn(aesModule, 'aesKdf').mockImplementation((credentials, seed, rounds) => {
      calls.aes += 1;
      return aesKdf(credentials, seed, rounds);
    });
    modules = { early: await import('../../server/vault/kdf-early'), open: await import('../../server/vault/open'), calls };
  });
  if (!modules) throw new Error('modules did not load');
  return modules;
}

const CASES = [
  ['Argon2d', 'pyk-kdbx4.kdbx'],
  ['Argon2id', 'kw-chacha20-argon2id.kdbx'],
  ['AES-KDF, KDBX 3.1', 'kw-kdbx31-aeskdf.kdbx'],
  ['AES-KDF, KDBX 4', 'kw-aes-uncompressed.kdbx'],
  ['AES-KDF, KDBX 4.1 by KeePassXC (two threads)', 'kxc-basic.kdbx'],
  ['Argon2d, 32-byte key file', 'kw-key-bin32.kdbx'],
  ['Argon2d, 64-hex key file', 'kw-key-hex64.kdbx'],
  ['Argon2d, XML 1.0 key file', 'kw-key-xml1.kdbx'],
  ['Argon2d, other key file', 'kw-key-other.kdbx'],
  ['AES-KDF, KDBX 3.1, password and XML 2.0 key file', 'kxc-keyfile.kdbx'],
  ['AES-KDF, KDBX 3.1, XML 2.0 key file only', 'kxc-keyonly.kdbx'],
] as const;
const kdfCount = (name: string, calls: { argon2: number; aes: number }): number => (name.startsWith('Argon2') ? calls.argon2 : calls.aes);

describe('early KDF', () => {
  test.each(CASES)('%s (%s): kdbxweb opens the vault with the early result, computing nothing itself', async (name, file) => {
    const f = fixture(file);
    const { early, open, calls } = await fresh();
    const bytes = read(file);
    early.startEarlyKdf(bytes, f.password, keyFileOf(f));
    await early.earlyKdfReady();
    expect(kdfCount(name, calls)).toBe(1);
    const read1 = await open.readVault(bytes, { password: f.password, keyFile: keyFileOf(f) });
    expect(read1.info.kdf.name).toBe(name.split(',')[0]);
    // The one derivation was the early one: the hook took it instead of computing again.
    expect(kdfCount(name, calls)).toBe(1);
  });

  test.each(CASES.filter(([, file]) => fixture(file).password !== null))('%s (%s): a wrong password guessed early falls back to the real one', async (name, file) => {
    const f = fixture(file);
    const { early, open, calls } = await fresh();
    const bytes = read(file);
    early.startEarlyKdf(bytes, `${f.password ?? ''}-not-it`, keyFileOf(f));
    await early.earlyKdfReady();
    await expect(open.readVault(bytes, { password: f.password, keyFile: keyFileOf(f) })).resolves.toBeDefined();
    expect(kdfCount(name, calls)).toBe(2);
  });

  test('an early result is never handed to a different vault (other salt), nor twice', async () => {
    const a = fixture('kw-key-bin32.kdbx');
    const b = fixture('kw-key-hex64.kdbx');
    const { early, open, calls } = await fresh();
    // The right key file for b, but the header (salt) of a.
    early.startEarlyKdf(read(a.file), b.password, keyFileOf(b));
    await early.earlyKdfReady();
    await expect(open.readVault(read(b.file), { password: b.password, keyFile: keyFileOf(b) })).resolves.toBeDefined();
    expect(calls.argon2).toBe(2);
    await expect(open.readVault(read(b.file), { password: b.password, keyFile: keyFileOf(b) })).resolves.toBeDefined();
    expect(calls.argon2).toBe(3);
  });

  test('a wrong password opened against a right early guess is still refused', async () => {
    const f = fixture('kw-chacha20-argon2id.kdbx');
    const { early, open } = await fresh();
    early.startEarlyKdf(read(f.file), f.password, null);
    await early.earlyKdfReady();
    await expect(open.readVault(read(f.file), { password: 'wrong', keyFile: null })).rejects.toMatchObject({ code: 'InvalidKey' });
  });

  test('a discarded early result is not used, and only one early start happens per process', async () => {
    const f = fixture('pyk-kdbx4.kdbx');
    const { early, open, calls } = await fresh();
    early.startEarlyKdf(read(f.file), f.password, null);
    early.discardEarlyKdf();
    early.startEarlyKdf(read(f.file), f.password, null);
    await early.earlyKdfReady();
    expect(calls.argon2).toBe(1);
    await expect(open.readVault(read(f.file), { password: f.password, keyFile: null })).resolves.toBeDefined();
    expect(calls.argon2).toBe(2);
  });

  test('nothing starts for a file that is not a vault, or with no password and no key file', async () => {
    const f = fixture('pyk-kdbx4.kdbx');
    const { early, calls } = await fresh();
    early.startEarlyKdf(new Uint8Array(100), f.password, null);
    early.startEarlyKdf(read(f.file), null, null);
    await early.earlyKdfReady();
    expect(calls).toEqual({ argon2: 0, aes: 0 });
  });
});
