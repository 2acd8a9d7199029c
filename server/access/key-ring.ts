// The set of API keys in force, matched in constant time by digest, and the holder that lets it be replaced.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { digestOf, isUnnamed, type KeyRecord } from './keys-file';
import type { ReadCheck } from './policy';

/** Who is calling, as the rest of the request sees it: never the key itself. */
export interface Principal {
  readonly name: string;
  readonly reveal: boolean;
  readonly admin: boolean;
  readonly canRead: ReadCheck;
  /** True when no glob limits the key, so a missing name can honestly be 404. */
  readonly readsEverything: boolean;
  /** What the per-key rate limit counts on (in Redis too, with RATE_LIMIT_REDIS_URL). */
  readonly limitKey: string;
}

// An unnamed key's `line-N` moves when lines above it are added or removed, and would hand one
// key's budget to another: it is counted on a hash of its digest instead, the same in every replica.
// The prefix keeps it apart from the digest itself, which is a keys file's sha256: form.
const LIMIT_KEY_PREFIX = Buffer.from('kdbx-gateway rate limit\u0000');
const limitKeyOf = (record: KeyRecord): string =>
  isUnnamed(record.name) ? `key#${hash('sha256', Buffer.concat([LIMIT_KEY_PREFIX, record.digest]), 'hex').slice(0, 32)}` : `key:${record.name}`;

// Compared against on a miss: no SHA-256 digest of a presented key equals it in practice.
const NO_KEY = Buffer.alloc(32);

export type KeyMatch = { kind: 'ok'; principal: Principal } | { kind: 'expired'; name: string } | { kind: 'unknown' };

function principalOf(record: KeyRecord): Principal {
  return Object.freeze({
    name: record.name,
    reveal: record.reveal,
    admin: record.admin,
    canRead: record.canRead,
    readsEverything: record.policy.deny.length === 0 && record.policy.allow.includes('**'),
    limitKey: limitKeyOf(record),
  });
}

export class KeyRing {
  readonly #keys: readonly KeyRecord[];
  // Digests are indexed by SHA-256(secret ‖ digest) with a secret of this ring's own, so which entry
  // a lookup probes, and how long it takes, depends on nothing a client can predict. The secret and
  // the digest share one buffer: a one-shot hash of it costs a third of an HMAC object (0.35 µs).
  readonly #tagInput = Buffer.concat([randomBytes(32), Buffer.alloc(32)]);
  readonly #byTag: ReadonlyMap<string, { readonly record: KeyRecord; readonly principal: Principal }>;

  constructor(keys: readonly KeyRecord[]) {
    this.#keys = Object.freeze([...keys]);
    const byTag = new Map<string, { readonly record: KeyRecord; readonly principal: Principal }>();
    // The loaders refuse a key listed twice; should one get here, the first listed wins, as in the file.
    for (const record of keys) {
      const tag = this.#tagOf(record.digest);
      if (!byTag.has(tag)) byTag.set(tag, { record, principal: principalOf(record) });
    }
    this.#byTag = byTag;
  }

  #tagOf(digest: Buffer): string {
    digest.copy(this.#tagInput, 32);
    return hash('sha256', this.#tagInput, 'base64');
  }

  get size(): number {
    return this.#keys.length;
  }

  get names(): readonly string[] {
    return this.#keys.map((k) => k.name);
  }

  /** The keys `match` would call expired at `now`: each request with one is a 401, which start-up and reloads name. */
  expiredAt(now: Date): readonly { readonly name: string; readonly expires: Date }[] {
    return this.#keys.flatMap(({ name, expires }) => (expires !== null && now.getTime() > expires.getTime() ? [{ name, expires }] : []));
  }

  /**
   * One map hit and one constant-time comparison, whatever the number of keys (API.md §4): the
   * presented key's digest is found by its keyed tag, then compared with timingSafeEqual.
   */
  match(presented: string, now: Date): KeyMatch {
    const digest = digestOf(presented);
    const found = this.#byTag.get(this.#tagOf(digest));
    // A miss compares too, so a wrong key costs what a right one does up to here.
    const equal = timingSafeEqual(digest, found?.record.digest ?? NO_KEY);
    if (found === undefined || !equal) return { kind: 'unknown' };
    const { record, principal } = found;
    if (record.expires !== null && now.getTime() > record.expires.getTime()) return { kind: 'expired', name: record.name };
    return { kind: 'ok', principal };
  }
}

/** Holds the key ring in force; a reload swaps it in one step. */
export class KeyStore {
  #ring: KeyRing;
  constructor(ring: KeyRing) {
    this.#ring = ring;
  }
  current(): KeyRing {
    return this.#ring;
  }
  swap(ring: KeyRing): void {
    this.#ring = ring;
  }
}
