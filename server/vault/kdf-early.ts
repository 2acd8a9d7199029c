// Starts a vault's key derivation before kdbxweb has loaded; kdbxweb's KDF hooks pick up the result.
import { timingSafeEqual } from 'node:crypto';
import { aesKdf } from './aes-kdf-rounds';
import { argon2Hash, type Argon2Arguments } from './argon2-hash';
import { compositeKey } from './composite-key';
import { headerKdf } from './kdbx-header';

const ARGON2_TYPES = { Argon2d: 0, Argon2id: 2 } as const;

/** What the early derivation was started with; a hook call must match every field to take its result. */
type Started =
  | { readonly kind: 'argon2'; readonly args: Argon2Arguments; readonly result: Promise<Uint8Array> }
  | {
      readonly kind: 'aes';
      readonly credentials: Uint8Array;
      readonly seed: Uint8Array;
      readonly rounds: number;
      readonly result: Promise<Uint8Array>;
    };

// One derivation at most per process, taken once: the first open at start-up.
let begun = false;
let early: Promise<Started | null> | null = null;
// The settled value of `early`, for the hooks, which must answer kdbxweb synchronously.
let started: Started | null = null;

const same = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && timingSafeEqual(a, b);

function wipe(entry: Started): void {
  if (entry.kind === 'argon2') entry.args.password.fill(0);
  else entry.credentials.fill(0);
}

/** Forgets a derivation nobody took, wiping its key and, once it settles, its result. */
function drop(entry: Started): void {
  wipe(entry);
  entry.result.then((key) => key.fill(0), () => undefined);
}

/**
 * Reads the vault's header and starts its KDF on the given password and key file, so that the
 * derivation runs while the rest of the program loads. A guess that turns out wrong costs only
 * the work: the hooks hand the result over only for the very same key, salt and parameters.
 */
export function startEarlyKdf(vault: Uint8Array, password: string | null, keyFile: Uint8Array | null): void {
  if (begun || (password === null && keyFile === null)) return;
  const kdf = headerKdf(vault);
  if (kdf === null) return;
  begun = true;
  const pending = compositeKey(password, keyFile)
    .then((key): Started | null => {
      if (kdf.name === 'AES-KDF') {
        const result = aesKdf(key, kdf.seed, kdf.rounds);
        result.catch(() => undefined);
        return { kind: 'aes', credentials: key, seed: kdf.seed, rounds: kdf.rounds, result };
      }
      const args: Argon2Arguments = {
        password: key,
        salt: kdf.salt,
        memory: kdf.memoryKiB,
        iterations: kdf.iterations,
        length: 32,
        parallelism: kdf.parallelism,
        type: ARGON2_TYPES[kdf.name],
        version: kdf.version,
      };
      const result = argon2Hash(args);
      result.catch(() => undefined);
      return { kind: 'argon2', args, result };
    })
    // A key file kdbxweb cannot read, say: kdbxweb will tell precisely when it opens the vault.
    .catch(() => null);
  early = pending;
  void pending.then((entry) => {
    // Taken (or discarded) before it settled: nobody will ask for it any more.
    if (early === pending) started = entry;
    else if (entry !== null) drop(entry);
  });
}

/** Settles the start-up guess, so the hooks can compare against it; main awaits this before opening. */
export async function earlyKdfReady(): Promise<void> {
  await early;
}

function take(): Started | null {
  const entry = started;
  started = null;
  early = null;
  return entry;
}

/** The early Argon2 result when it was started with exactly these arguments, else null (and it is dropped). */
export function takeEarlyArgon2(args: Argon2Arguments): Promise<Uint8Array> | null {
  const entry = take();
  if (entry === null) return null;
  const a = entry.kind === 'argon2' ? entry.args : null;
  const match =
    a !== null &&
    same(a.password, args.password) &&
    same(a.salt, args.salt) &&
    a.memory === args.memory &&
    a.iterations === args.iterations &&
    a.length === args.length &&
    a.parallelism === args.parallelism &&
    a.type === args.type &&
    a.version === args.version;
  if (!match) {
    drop(entry);
    return null;
  }
  wipe(entry);
  return entry.result;
}

/** The early AES-KDF result when it was started with exactly these arguments, else null (and it is dropped). */
export function takeEarlyAesKdf(credentials: Uint8Array, seed: Uint8Array, rounds: number): Promise<Uint8Array> | null {
  const entry = take();
  if (entry === null) return null;
  const match = entry.kind === 'aes' && same(entry.credentials, credentials) && same(entry.seed, seed) && entry.rounds === rounds;
  if (!match) {
    drop(entry);
    return null;
  }
  wipe(entry);
  return entry.result;
}

/** Drops a derivation nobody took (the vault did not open, or opened another way). */
export function discardEarlyKdf(): void {
  const entry = take();
  if (entry !== null) drop(entry);
}
