// Argon2 in native code: node-argon2's AVX2 build (native/build.cjs) where the CPU has AVX2, else its prebuilt binary.
import { checkedNative, nativePart } from './native-parts';

export interface Argon2Arguments {
  readonly password: Uint8Array;
  readonly salt: Uint8Array;
  /** KiB. */
  readonly memory: number;
  readonly iterations: number;
  readonly length: number;
  readonly parallelism: number;
  /** 0 = Argon2d, 2 = Argon2id: kdbxweb's numbering, which is also node-argon2's. */
  readonly type: number;
  /** 0x10 or 0x13. */
  readonly version: number;
}

/** Which binary computed a hash: the AVX2 build, or node-argon2's prebuilt (SSE2) one. */
export type Argon2Build = 'avx2' | 'portable';

/** The native function node-argon2's own `hash` wraps (argon2.cjs, pinned 0.44.0). */
interface BindingOptions {
  password: Buffer;
  salt: Buffer;
  secret: Buffer;
  data: Buffer;
  hashLength: number;
  m: number;
  t: number;
  p: number;
  version: number;
  type: number;
}
interface Binding {
  hash(options: BindingOptions): Promise<Buffer>;
}

export interface Argon2 {
  hash(args: Argon2Arguments): Promise<Uint8Array>;
  /** The binary that computed the last hash, or null before the first. */
  lastBuild(): Argon2Build | null;
}

// RFC 9106 §5.1, Argon2d: a build that does not reproduce it never hashes a vault key.
const SELF_TEST: BindingOptions = {
  password: Buffer.alloc(32, 1),
  salt: Buffer.alloc(16, 2),
  secret: Buffer.alloc(8, 3),
  data: Buffer.alloc(12, 4),
  hashLength: 32,
  m: 32,
  t: 3,
  p: 4,
  version: 0x13,
  type: 0,
};
const SELF_TEST_TAG = '512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb';

// node-argon2's own limits (argon2.cjs): past them its hash throws these RangeErrors, and so does this one.
function checkLimits(args: Argon2Arguments): void {
  if (args.length > 2 ** 32 - 1) throw new RangeError('Hash length is too large');
  if (args.memory > 2 ** 32 - 1) throw new RangeError('Memory cost is too large');
  if (args.iterations > 2 ** 32 - 1) throw new RangeError('Time cost is too large');
  if (args.parallelism > 2 ** 24 - 1) throw new RangeError('Parallelism is too large');
}

const optionsOf = (args: Argon2Arguments): BindingOptions => ({
  password: Buffer.from(args.password),
  salt: Buffer.from(args.salt),
  secret: Buffer.alloc(0),
  data: Buffer.alloc(0),
  hashLength: args.length,
  m: args.memory,
  t: args.iterations,
  p: args.parallelism,
  version: args.version,
  type: args.type,
});

async function portableHash(args: Argon2Arguments): Promise<Uint8Array> {
  // Loaded only when needed: with the AVX2 build, node-argon2's JavaScript never loads.
  const argon2 = await import('argon2');
  const hash = await argon2.hash(Buffer.from(args.password), {
    raw: true,
    salt: Buffer.from(args.salt),
    type: args.type as 0 | 1 | 2,
    version: args.version,
    memoryCost: args.memory,
    timeCost: args.iterations,
    parallelism: args.parallelism,
    hashLength: args.length,
  });
  return new Uint8Array(hash);
}

/**
 * An Argon2 that uses the AVX2 build at `avx2File` when given (pass null where the CPU lacks
 * AVX2). The build's first use runs the RFC 9106 vector beside the first real hash, so checking
 * it adds no wait; if the vector fails, that hash is recomputed by the prebuilt binary, which
 * hashes from then on.
 */
export function createArgon2(options: { avx2File: string | null }): Argon2 {
  const fast = checkedNative<Binding>(options.avx2File, 'hash', async (binding) => (await binding.hash(SELF_TEST)).toString('hex') === SELF_TEST_TAG);
  let last: Argon2Build | null = null;
  return {
    async hash(args) {
      checkLimits(args);
      const hash = await fast.run((binding) => binding.hash(optionsOf(args)));
      last = hash === null ? 'portable' : 'avx2';
      return hash === null ? portableHash(args) : new Uint8Array(hash);
    },
    lastBuild: () => last,
  };
}

let shared: Argon2 | null = null;

/** The process's Argon2, chosen on first use. */
export function argon2(): Argon2 {
  shared ??= createArgon2({ avx2File: nativePart('argon2-avx2.node', 'avx2') });
  return shared;
}

export function argon2Hash(args: Argon2Arguments): Promise<Uint8Array> {
  return argon2().hash(args);
}
