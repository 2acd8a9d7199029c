// The set of API keys in force, matched in constant time, and the holder that lets it be replaced.
import { timingSafeEqual } from 'node:crypto';
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
  readonly #principals: ReadonlyMap<KeyRecord, Principal>;

  constructor(keys: readonly KeyRecord[]) {
    this.#keys = Object.freeze([...keys]);
    this.#principals = new Map(keys.map((k) => [k, principalOf(k)]));
  }

  get size(): number {
    return this.#keys.length;
  }

  get names(): readonly string[] {
    return this.#keys.map((k) => k.name);
  }

  /**
   * Compares the presented key's digest with every stored digest, with no early exit, so the time
   * taken says nothing about which key (or how much of one) matched.
   */
  match(presented: string, now: Date): KeyMatch {
    const digest = digestOf(presented);
    let found: KeyRecord | null = null;
    for (const key of this.#keys) {
      const equal = timingSafeEqual(digest, key.digest);
      if (equal && found === null) found = key;
    }
    if (!found) return { kind: 'unknown' };
    if (found.expires !== null && now.getTime() > found.expires.getTime()) return { kind: 'expired', name: found.name };
    const principal = this.#principals.get(found);
    return principal ? { kind: 'ok', principal } : { kind: 'unknown' };
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
