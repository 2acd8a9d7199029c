// The set of API keys in force, matched in constant time, and the holder that lets it be replaced.
import { timingSafeEqual } from 'node:crypto';
import { digestOf, type KeyRecord } from './keys-file';

/** Who is calling, as the rest of the request sees it: never the key itself. */
export interface Principal {
  readonly name: string;
  readonly reveal: boolean;
  readonly admin: boolean;
}

export class KeyRing {
  readonly #keys: readonly KeyRecord[];

  constructor(keys: readonly KeyRecord[]) {
    this.#keys = Object.freeze([...keys]);
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
  match(presented: string): Principal | null {
    const digest = digestOf(presented);
    let found: KeyRecord | null = null;
    for (const key of this.#keys) {
      const equal = timingSafeEqual(digest, key.digest);
      if (equal && found === null) found = key;
    }
    return found ? { name: found.name, reveal: found.reveal, admin: found.admin } : null;
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
