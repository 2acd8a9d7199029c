// The outer-header reader agrees with kdbxweb's own header parser on every fixture.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as kdbxweb from 'kdbxweb';
import { headerCipher, headerKdf, structureProblem } from '../../server/vault/kdbx-header';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.kdbx'));
const hex = (bytes: ArrayBuffer | Uint8Array | undefined): string => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes ?? new ArrayBuffer(0))).toString('hex');
const num = (value: unknown): number => (value instanceof kdbxweb.Int64 ? value.value : Number(value));

function kdbxwebHeader(bytes: Buffer): kdbxweb.KdbxHeader {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return kdbxweb.KdbxHeader.read(new kdbxweb.BinaryStream(buffer), new kdbxweb.KdbxContext({ kdbx: new kdbxweb.Kdbx() }));
}

test('there are fixtures of every KDF', () => {
  const names = files.map((f) => headerKdf(readFileSync(path.join(FIXTURES, f)))?.name);
  expect(new Set(names)).toEqual(new Set(['Argon2d', 'Argon2id', 'AES-KDF']));
});

test.each(files)('%s: KDF and arguments as kdbxweb reads them', (file) => {
  const bytes = readFileSync(path.join(FIXTURES, file));
  const header = kdbxwebHeader(bytes);
  const kdf = headerKdf(bytes);
  if (header.versionMajor === 3) {
    expect(kdf).toEqual({ name: 'AES-KDF', seed: new Uint8Array(header.transformSeed ?? new ArrayBuffer(0)), rounds: header.keyEncryptionRounds });
    return;
  }
  const params = header.kdfParameters;
  if (!params) throw new Error('no KDF parameters');
  const id = kdbxweb.ByteUtils.bytesToBase64(params.get('$UUID') as ArrayBuffer);
  if (id === kdbxweb.Consts.KdfId.Aes) {
    expect(kdf?.name).toBe('AES-KDF');
    expect(kdf?.name === 'AES-KDF' && { seed: hex(kdf.seed), rounds: kdf.rounds }).toEqual({ seed: hex(params.get('S') as ArrayBuffer), rounds: num(params.get('R')) });
    return;
  }
  expect(kdf?.name).toBe(id === kdbxweb.Consts.KdfId.Argon2d ? 'Argon2d' : 'Argon2id');
  if (kdf === null || kdf.name === 'AES-KDF') throw new Error('not Argon2');
  expect({ salt: hex(kdf.salt), memoryKiB: kdf.memoryKiB, iterations: kdf.iterations, parallelism: kdf.parallelism, version: kdf.version }).toEqual({
    salt: hex(params.get('S') as ArrayBuffer),
    memoryKiB: num(params.get('M')) / 1024,
    iterations: num(params.get('I')),
    parallelism: num(params.get('P')),
    version: num(params.get('V')),
  });
});

test('the cipher is read as before: Twofish is named, AES and ChaCha20 are readable', () => {
  expect(headerCipher(readFileSync(path.join(FIXTURES, 'kw-twofish.kdbx')))).toBe('Twofish');
  expect(headerCipher(readFileSync(path.join(FIXTURES, 'kw-twofish-31.kdbx')))).toBe('Twofish');
  expect(headerCipher(readFileSync(path.join(FIXTURES, 'kw-chacha20-argon2id.kdbx')))).toBe('ChaCha20');
  expect(headerCipher(readFileSync(path.join(FIXTURES, 'kxc-basic.kdbx')))).toBe('AES-256');
});

test('bytes that are not a whole KDBX header give null, not an exception', () => {
  const bytes = readFileSync(path.join(FIXTURES, 'kxc-features.kdbx'));
  for (const cut of [0, 8, 12, 40, 200]) {
    expect(headerKdf(bytes.subarray(0, cut))).toBeNull();
    expect(() => headerCipher(bytes.subarray(0, cut))).not.toThrow();
  }
  expect(headerKdf(Buffer.from('not a vault at all, just some text'))).toBeNull();
});

test('a KDBX 4 header whose KDF kdbxweb would refuse starts nothing', () => {
  // Argon2 with a secret key: kdbxweb refuses it, so the early start must not run it either.
  const bytes = readFileSync(path.join(FIXTURES, 'kxc-features.kdbx'));
  const header = kdbxwebHeader(bytes);
  header.kdfParameters?.set('K', kdbxweb.VarDictionary.ValueType.Bytes, new Uint8Array(32).buffer);
  const stream = new kdbxweb.BinaryStream();
  header.write(stream);
  expect(headerKdf(new Uint8Array(stream.getWrittenBytes()))).toBeNull();
  header.kdfParameters?.remove('K');
  const again = new kdbxweb.BinaryStream();
  header.write(again);
  expect(headerKdf(new Uint8Array(again.getWrittenBytes()))?.name).toBe('Argon2d');
});

test('a KDBX 3 transform seed that is not an AES-256 key starts nothing', () => {
  const field = (id: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([id]), Buffer.from(new Uint16Array([data.length]).buffer), data]);
  const header = (seedLength: number): Buffer => {
    const start = Buffer.alloc(12);
    start.writeUInt32LE(0x9aa2d903, 0);
    start.writeUInt32LE(0xb54bfb67, 4);
    start.writeUInt16LE(1, 8);
    start.writeUInt16LE(3, 10);
    const rounds = Buffer.alloc(8);
    rounds.writeBigUInt64LE(6000n);
    return Buffer.concat([start, field(5, Buffer.alloc(seedLength, 7)), field(6, rounds), field(0, Buffer.from('\r\n\r\n'))]);
  };
  expect(headerKdf(header(32))).toEqual({ name: 'AES-KDF', seed: new Uint8Array(32).fill(7), rounds: 6000 });
  expect(headerKdf(header(16))).toBeNull();
});

describe('structureProblem: a file cut short is told from a wrong key, without the key', () => {
  test.each(files)('%s, whole, has no problem', (file) => {
    expect(structureProblem(readFileSync(path.join(FIXTURES, file)))).toBeNull();
  });

  test('every cut of a KDBX 4 file is found: inside the header, before its hashes, inside the blocks', () => {
    const bytes = readFileSync(path.join(FIXTURES, 'kxc-basic.kdbx'));
    expect(headerKdf(bytes)).not.toBeNull();
    const problems = new Set<string>();
    for (let length = 12; length < bytes.length; length += 1) {
      const problem = structureProblem(bytes.subarray(0, length));
      expect(problem).not.toBeNull();
      problems.add(problem ?? '');
    }
    expect(problems).toEqual(new Set(['its encrypted part is cut short', 'its header is cut short or damaged', 'it ends right after its header']));
  });

  test("a KDBX 4 header changed after it was written no longer matches the header's SHA-256", () => {
    const bytes = Buffer.from(readFileSync(path.join(FIXTURES, 'kxc-basic.kdbx')));
    // Inside the first field's value (the cipher's UUID), so the fields still walk.
    expect(bytes[12]).toBe(2);
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    expect(structureProblem(bytes)).toBe("its header does not match the header's SHA-256");
  });

  test('a KDBX 3.1 AES file cut anywhere but at a 16-byte boundary is found', () => {
    const bytes = readFileSync(path.join(FIXTURES, 'kw-kdbx31-aeskdf.kdbx'));
    expect(bytes.readUInt16LE(10)).toBe(3);
    let found = 0;
    let missed = 0;
    for (let length = 300; length < bytes.length; length += 1) {
      if (structureProblem(bytes.subarray(0, length)) === null) missed += 1;
      else found += 1;
    }
    // Decrypting cannot tell the rest from a wrong key without it: one cut in 16 stays a key error.
    expect(missed).toBeLessThanOrEqual(Math.ceil((found + missed) / 16));
    expect(found).toBeGreaterThan(missed * 14);
  });
});
