// AES-KDF's rounds in native code: both halves in one AES-NI loop (native/aes-kdf.c) where the CPU has AES-NI, else OpenSSL on two threads.
import { createCipheriv } from 'node:crypto';
import { checkedNative, nativePart } from './native-parts';

const BLOCK = 16;
const CHUNK_BLOCKS = 65_536;
// Below this a worker's start-up (~20 ms) costs more than the second half it would take over.
const WORKER_MIN_ROUNDS = 500_000;

/**
 * AES-KDF encrypts each 16-byte half of the key with AES-256-ECB `rounds` times. AES-256-CBC over
 * zero blocks with the half as IV computes the same chain (each block is E(previous)), so OpenSSL
 * does the rounds in large native chunks instead of kdbxweb's JavaScript-driven loop.
 * Self-contained (OpenSSL's cipher is passed in), because the worker runs this function's source.
 */
function chain(cipheriv: typeof createCipheriv, seed: Uint8Array, half: Uint8Array, rounds: number, chunk: number): Uint8Array {
  const zeros = Buffer.alloc(16 * Math.min(rounds, chunk));
  let iv = Buffer.from(half);
  let left = rounds;
  while (left > 0) {
    const blocks = Math.min(left, chunk);
    const cipher = cipheriv('aes-256-cbc', seed, iv).setAutoPadding(false);
    const out = cipher.update(zeros.subarray(0, blocks * 16));
    cipher.final();
    iv = out.subarray(out.length - 16);
    left -= blocks;
  }
  return new Uint8Array(iv);
}

// Evaluated source runs the same from dist/ and under ts-jest, where a worker file would be TypeScript.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createCipheriv } = require('node:crypto');
const { seed, half, rounds, chunk } = workerData;
const result = (${chain.toString()})(createCipheriv, seed, half, rounds, chunk);
half.fill(0);
parentPort.postMessage(result);
`;

function halfInWorker(Worker: typeof import('node:worker_threads').Worker, seed: Uint8Array, half: Uint8Array, rounds: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { seed, half, rounds, chunk: CHUNK_BLOCKS },
      // The worker needs no environment; the vault password must not be copied into it.
      env: {},
      stdout: false,
      stderr: false,
    });
    worker.once('message', (result: Uint8Array) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`AES-KDF worker stopped (exit ${code})`)));
  });
}

/** The AES-KDF of a 32-byte composite key by OpenSSL: the second half on a worker thread while this one does the first. */
async function opensslAesKdf(credentials: Uint8Array, seed: Uint8Array, rounds: number): Promise<Uint8Array> {
  if (credentials.length !== 2 * BLOCK || rounds < WORKER_MIN_ROUNDS) return opensslHalves(credentials, seed, rounds);
  // Only this fallback needs a worker: loading worker_threads up front would delay the native KDF's start.
  const { Worker } = await import('node:worker_threads');
  const out = new Uint8Array(credentials.length);
  const second = halfInWorker(Worker, seed, credentials.slice(BLOCK), rounds);
  // A failed worker must not leave an unhandled rejection while this thread works.
  second.catch(() => undefined);
  out.set(chain(createCipheriv, seed, credentials.subarray(0, BLOCK), rounds, CHUNK_BLOCKS), 0);
  out.set(await second, BLOCK);
  return out;
}

/** Which code computed an AES-KDF: native/aes-kdf.c with AES-NI, or OpenSSL's CBC chains. */
export type AesKdfBuild = 'aes-ni' | 'openssl';

interface Binding {
  aesKdf(key: Uint8Array, seed: Uint8Array, rounds: number): Promise<Buffer>;
}

export interface AesKdf {
  compute(credentials: Uint8Array, seed: Uint8Array, rounds: number): Promise<Uint8Array>;
  /** The code that computed the last result, or null before the first. */
  lastBuild(): AesKdfBuild | null;
}

// A check of the native loop against OpenSSL: fixed inputs, enough rounds to exercise the loop.
const CHECK_KEY = new Uint8Array(32).map((_, i) => 0xa0 ^ i);
const CHECK_SEED = new Uint8Array(32).map((_, i) => i);
const CHECK_ROUNDS = 1000;

/**
 * An AES-KDF that uses the AES-NI build at `nativeFile` when given (pass null where the CPU lacks
 * AES-NI). The build's first use runs the check beside the first real derivation, so it adds no
 * wait; a build that disagrees with OpenSSL is dropped, and OpenSSL recomputes.
 */
export function createAesKdf(options: { nativeFile: string | null }): AesKdf {
  const fast = checkedNative<Binding>(options.nativeFile, 'aesKdf', async (binding) => {
    const result = await binding.aesKdf(CHECK_KEY, CHECK_SEED, CHECK_ROUNDS);
    return result.toString('hex') === Buffer.from(opensslHalves(CHECK_KEY, CHECK_SEED, CHECK_ROUNDS)).toString('hex');
  });
  let last: AesKdfBuild | null = null;
  return {
    async compute(credentials, seed, rounds) {
      const fits = credentials.length === 2 * BLOCK && seed.length === 32;
      const result = fits ? await fast.run((binding) => binding.aesKdf(credentials, seed, rounds)) : null;
      last = result === null ? 'openssl' : 'aes-ni';
      return result === null ? opensslAesKdf(credentials, seed, rounds) : new Uint8Array(result);
    },
    lastBuild: () => last,
  };
}

/** Both halves by OpenSSL on this thread: the reference the native build is checked against. */
function opensslHalves(credentials: Uint8Array, seed: Uint8Array, rounds: number): Uint8Array {
  const out = new Uint8Array(credentials.length);
  for (let offset = 0; offset < credentials.length; offset += BLOCK) {
    out.set(chain(createCipheriv, seed, credentials.subarray(offset, offset + BLOCK), rounds, CHUNK_BLOCKS), offset);
  }
  return out;
}

let shared: AesKdf | null = null;

/** The process's AES-KDF, chosen on first use. */
export function aesKdfEngine(): AesKdf {
  shared ??= createAesKdf({ nativeFile: nativePart('aes-kdf.node', 'aes') });
  return shared;
}

/** The AES-KDF of a composite key (KeePass: each 16-byte half encrypted `rounds` times under `seed`). */
export function aesKdf(credentials: Uint8Array, seed: Uint8Array, rounds: number): Promise<Uint8Array> {
  return aesKdfEngine().compute(credentials, seed, rounds);
}
