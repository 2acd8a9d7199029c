// Where `npm run build` puts the optional native parts (native/build.cjs), and whether this CPU can run them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The instruction-set flags Linux lists for the first CPU in /proc/cpuinfo (those the kernel also enables). */
export function cpuFlagsOf(cpuinfo: string): ReadonlySet<string> {
  return new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
}

let flags: ReadonlySet<string> | null = null;

function cpuFlags(): ReadonlySet<string> {
  if (flags === null) {
    try {
      flags = cpuFlagsOf(readFileSync('/proc/cpuinfo', 'latin1'));
    } catch {
      flags = new Set();
    }
  }
  return flags;
}

/**
 * The path of a native part built for x86-64 Linux, or null when this process cannot use it: another
 * platform, or a CPU without `flag`. From dist/server/vault it is dist/native; under ts-jest,
 * where there is no build beside the sources, the file is simply absent.
 */
export function nativePart(file: string, flag: string): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !cpuFlags().has(flag)) return null;
  return path.join(__dirname, '..', '..', 'native', file);
}

/** Loads a native part, or null when it is absent or does not load (built for another libc, say). */
export function loadNative<T extends object>(file: string, exported: keyof T): T | null {
  try {
    const loaded = createRequire(__filename)(file) as Partial<T>;
    return typeof loaded[exported] === 'function' ? (loaded as T) : null;
  } catch {
    return null;
  }
}

export interface CheckedNative<T> {
  /** The part's result, or null when there is no usable part: the caller then computes the portable way. */
  run(call: (part: T) => Promise<Uint8Array>): Promise<Uint8Array | null>;
}

/**
 * A native part that is trusted only once it gives a known answer. The check runs beside the
 * part's first real call, so it adds no wait; a part that fails it (or will not load) is dropped,
 * and `run` answers null so the caller computes the portable way, from then on.
 */
export function checkedNative<T extends object>(file: string | null, exported: keyof T, check: (part: T) => Promise<boolean>): CheckedNative<T> {
  let state: { part: T; verified: Promise<boolean> } | null | undefined = file === null ? null : undefined;
  return {
    async run(call) {
      if (state === undefined) {
        const part = loadNative<T>(file as string, exported);
        state = part === null ? null : { part, verified: check(part).catch(() => false) };
      }
      if (state === null) return null;
      const [ok, outcome] = await Promise.all([
        state.verified,
        call(state.part).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
      ]);
      if (ok) {
        if ('error' in outcome) throw outcome.error;
        return outcome.result;
      }
      if ('result' in outcome) outcome.result.fill(0);
      state = null;
      return null;
    },
  };
}
