// The AVX2 build of argon2 hashes exactly as node-argon2's prebuilt binary does, and anything wrong with it falls back to that binary.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as argon2 from 'argon2';
import { createArgon2, type Argon2Arguments } from '../../server/vault/argon2-hash';
import { cpuFlagsOf } from '../../server/vault/native-parts';

// Where `npm run build` (run by `npm test` before jest) writes it.
const AVX2_FILE = path.join(__dirname, '..', '..', 'dist', 'native', 'argon2-avx2.node');
const canRunAvx2 = process.platform === 'linux' && process.arch === 'x64' && cpuFlagsOf(readFileSync('/proc/cpuinfo', 'latin1')).has('avx2');

async function reference(args: Argon2Arguments): Promise<string> {
  const hash = await argon2.hash(Buffer.from(args.password), {
    raw: true,
    salt: Buffer.from(args.salt),
    type: args.type as 0 | 2,
    version: args.version,
    memoryCost: args.memory,
    timeCost: args.iterations,
    parallelism: args.parallelism,
    hashLength: args.length,
  });
  return hash.toString('hex');
}

const argsOf = (type: number, version: number, memory: number, iterations: number, parallelism: number): Argon2Arguments => ({
  password: new Uint8Array(randomBytes(32)),
  salt: new Uint8Array(randomBytes(32)),
  memory,
  iterations,
  length: 32,
  parallelism,
  type,
  version,
});

// Argon2d and Argon2id, both versions KDBX allows, one to four lanes, memory from the minimum up.
const CASES: [string, Argon2Arguments][] = [
  ['Argon2d 0x13, 1 lane, 8 KiB, 1 pass', argsOf(0, 0x13, 8, 1, 1)],
  ['Argon2d 0x13, 2 lanes, 1 MiB, 3 passes', argsOf(0, 0x13, 1024, 3, 2)],
  ['Argon2d 0x10, 4 lanes, 4 MiB, 2 passes', argsOf(0, 0x10, 4096, 2, 4)],
  ['Argon2id 0x13, 2 lanes, 2 MiB, 2 passes', argsOf(2, 0x13, 2048, 2, 2)],
  ['Argon2id 0x10, 3 lanes, 96 KiB, 4 passes', argsOf(2, 0x10, 96, 4, 3)],
  ['Argon2id 0x13, 1 lane, 16 MiB, 1 pass', argsOf(2, 0x13, 16_384, 1, 1)],
];

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'kdbx-argon2-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("the self-test vector is RFC 9106's Argon2d example, as the prebuilt binary computes it", async () => {
  const tag = await argon2.hash(Buffer.alloc(32, 1), {
    raw: true,
    salt: Buffer.alloc(16, 2),
    secret: Buffer.alloc(8, 3),
    associatedData: Buffer.alloc(12, 4),
    type: 0,
    version: 0x13,
    memoryCost: 32,
    timeCost: 3,
    parallelism: 4,
    hashLength: 32,
  });
  expect(tag.toString('hex')).toBe('512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb');
});

test('the CPU flags are read from /proc/cpuinfo as Linux writes it', () => {
  const flags = cpuFlagsOf('processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 aes avx avx2 bmi2\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n');
  expect([...flags]).toEqual(['fpu', 'sse2', 'aes', 'avx', 'avx2', 'bmi2']);
  expect(cpuFlagsOf('processor\t: 0\nflags\t\t: fpu sse2 avx avx512f\nbugs\t\t: avx2\n').has('avx2')).toBe(false);
  expect(cpuFlagsOf('').size).toBe(0);
});

describe('the AVX2 build', () => {
  // CI builds it on an x86-64 machine with AVX2: there it must exist, or this would pass vacuously.
  const runnable = canRunAvx2 && (process.env['CI'] === 'true' || existsSync(AVX2_FILE));
  const maybe = runnable ? test : test.skip;

  maybe('exists after npm run build on this CPU', () => {
    expect(existsSync(AVX2_FILE)).toBe(true);
  });

  maybe.each(CASES)('%s: the same key as the prebuilt binary', async (_name, args) => {
    const fast = createArgon2({ avx2File: AVX2_FILE });
    const hash = Buffer.from(await fast.hash(args)).toString('hex');
    expect(fast.lastBuild()).toBe('avx2');
    expect(hash).toBe(await reference(args));
  });
});

describe('falls back to the prebuilt binary', () => {
  const args = argsOf(0, 0x13, 64, 2, 2);

  test('when there is no AVX2 build', async () => {
    const portable = createArgon2({ avx2File: null });
    expect(Buffer.from(await portable.hash(args)).toString('hex')).toBe(await reference(args));
    expect(portable.lastBuild()).toBe('portable');
    const missing = createArgon2({ avx2File: path.join(scratch, 'absent.node') });
    expect(Buffer.from(await missing.hash(args)).toString('hex')).toBe(await reference(args));
    expect(missing.lastBuild()).toBe('portable');
  });

  test('when the build does not load', async () => {
    const file = path.join(scratch, 'throws.cjs');
    writeFileSync(file, "throw new Error('wrong ELF class');\n");
    const hasher = createArgon2({ avx2File: file });
    expect(Buffer.from(await hasher.hash(args)).toString('hex')).toBe(await reference(args));
    expect(hasher.lastBuild()).toBe('portable');
  });

  test('when the build computes wrong hashes: the self-test catches it, for that hash and every later one', async () => {
    const file = path.join(scratch, 'wrong.cjs');
    const calls = path.join(scratch, 'wrong-calls.txt');
    writeFileSync(calls, '');
    writeFileSync(file, `exports.hash = async () => { require('node:fs').appendFileSync(${JSON.stringify(calls)}, '.'); return Buffer.alloc(32, 7); };\n`);
    const hasher = createArgon2({ avx2File: file });
    expect(Buffer.from(await hasher.hash(args)).toString('hex')).toBe(await reference(args));
    expect(hasher.lastBuild()).toBe('portable');
    // The self-test and the first hash reached the bad build; nothing after them.
    expect(readFileSync(calls, 'utf8')).toBe('..');
    const other = argsOf(2, 0x13, 128, 1, 1);
    expect(Buffer.from(await hasher.hash(other)).toString('hex')).toBe(await reference(other));
    expect(readFileSync(calls, 'utf8')).toBe('..');
  });
});

test.each([
  ['memory', { memory: 2 ** 32 }, 'Memory cost is too large'],
  ['iterations', { iterations: 2 ** 32 }, 'Time cost is too large'],
  ['parallelism', { parallelism: 2 ** 24 }, 'Parallelism is too large'],
])('a vault asking for too much %s gets node-argon2\'s own RangeError, whichever build hashes', async (_name, change, message) => {
  const args = { ...argsOf(0, 0x13, 64, 1, 1), ...change };
  await expect(reference(args)).rejects.toThrow(new RangeError(message));
  await expect(createArgon2({ avx2File: null }).hash(args)).rejects.toThrow(new RangeError(message));
  await expect(createArgon2({ avx2File: AVX2_FILE }).hash(args)).rejects.toThrow(new RangeError(message));
});
