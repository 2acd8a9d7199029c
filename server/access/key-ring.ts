// The set of API keys in force, found by digest, and the holder that lets it be replaced.
import { digestOf, type KeyRecord } from './keys-file';
import type { ReadCheck } from './policy';

/** Who is calling, as the rest of the request sees it: never the key itself. */
export interface Principal {
  readonly name: string;
  readonly reveal: boolean;
  readonly admin: boolean;
  readonly canRead: ReadCheck;
  /** True when no glob limits the key, so a missing name can honestly be 404. */
  readonly readsEverything: boolean;
}

export type KeyMatch = { kind: 'ok'; principal: Principal } | { kind: 'expired'; name: string } | { kind: 'unknown' };

function principalOf(record: KeyRecord): Principal {
  return Object.freeze({
    name: record.name,
    reveal: record.reveal,
    admin: record.admin,
    canRead: record.canRead,
    readsEverything: record.policy.deny.length === 0 && record.policy.allow.includes('**'),
  });
}

export class KeyRing {
  readonly #keys: readonly KeyRecord[];
  readonly #byDigest: ReadonlyMap<string, { readonly record: KeyRecord; readonly principal: Principal }>;

  constructor(keys: readonly KeyRecord[]) {
    this.#keys = Object.freeze([...keys]);
    const byDigest = new Map<string, { readonly record: KeyRecord; readonly principal: Principal }>();
    // The loaders refuse a key listed twice; should one get here, the first listed wins, as in the file.
    for (const record of keys) {
      const digest = record.digest.toString('base64');
      if (!byDigest.has(digest)) byDigest.set(digest, { record, principal: principalOf(record) });
    }
    this.#byDigest = byDigest;
  }

  get size(): number {
    return this.#keys.length;
  }

  get names(): readonly string[] {
    return this.#keys.map((k) => k.name);
  }

  /**
   * Finds the presented key by its SHA-256 digest, a map hit. The lookup's timing depends only on
   * the digest, which a client cannot steer without a preimage, so it tells nothing about the
   * stored keys; comparing against every key would make each request's cost grow with the file.
   */
  match(presented: string, now: Date): KeyMatch {
    const found = this.#byDigest.get(digestOf(presented).toString('base64'));
    if (found === undefined) return { kind: 'unknown' };
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
