// Argon2 in native code: node-argon2's AVX2 build (native/build-argon2.cjs) where the CPU has AVX2, else its prebuilt binary.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

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

/** Loads an AVX2 build, or null when there is none or it does not load (another libc, say). */
function loadBinding(file: string): Binding | null {
  try {
    const binding = createRequire(__filename)(file) as Partial<Binding>;
    return typeof binding.hash === 'function' ? (binding as Binding) : null;
  } catch {
    return null;
  }
}

/**
 * An Argon2 that uses the AVX2 build at `avx2File` when given (pass null where the CPU lacks
 * AVX2). The build's first use runs the RFC 9106 vector beside the first real hash, so checking
 * it adds no wait; if the vector fails, that hash is recomputed by the prebuilt binary, which
 * hashes from then on.
 */
export function createArgon2(options: { avx2File: string | null }): Argon2 {
  let fast: { binding: Binding; verified: Promise<boolean> } | null | undefined = options.avx2File === null ? null : undefined;
  let last: Argon2Build | null = null;

  function avx2(): typeof fast {
    if (fast === undefined) {
      const binding = loadBinding(options.avx2File as string);
      fast =
        binding === null
          ? null
          : {
              binding,
              verified: binding.hash(SELF_TEST).then(
                (tag) => tag.toString('hex') === SELF_TEST_TAG,
                () => false,
              ),
            };
    }
    return fast;
  }

  return {
    async hash(args) {
      checkLimits(args);
      const build = avx2();
      if (build) {
        const [ok, outcome] = await Promise.all([
          build.verified,
          build.binding.hash(optionsOf(args)).then(
            (hash) => ({ hash }),
            (error: unknown) => ({ error }),
          ),
        ]);
        if (ok) {
          if ('error' in outcome) throw outcome.error;
          last = 'avx2';
          return new Uint8Array(outcome.hash);
        }
        if ('hash' in outcome) outcome.hash.fill(0);
        fast = null;
      }
      const hash = await portableHash(args);
      last = 'portable';
      return hash;
    },
    lastBuild: () => last,
  };
}

/** True when Linux reports AVX2 for this CPU (and so that the kernel saves its registers). */
export function cpuHasAvx2(cpuinfo: string): boolean {
  return /^flags\s*:.*\bavx2\b/m.test(cpuinfo);
}

// dist/server/vault -> dist/native, where `npm run build` puts the AVX2 build.
const AVX2_FILE = path.join(__dirname, '..', '..', 'native', 'argon2-avx2.node');

function defaultAvx2File(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    return cpuHasAvx2(readFileSync('/proc/cpuinfo', 'latin1')) ? AVX2_FILE : null;
  } catch {
    return null;
  }
}

let shared: Argon2 | null = null;

/** The process's Argon2, chosen on first use. */
export function argon2(): Argon2 {
  shared ??= createArgon2({ avx2File: defaultAvx2File() });
  return shared;
}

export function argon2Hash(args: Argon2Arguments): Promise<Uint8Array> {
  return argon2().hash(args);
}
