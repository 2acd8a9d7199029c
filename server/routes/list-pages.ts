// Masked list pages for keys that may read everything, serialised once per snapshot and page.
import type { Snapshot } from '../vault/snapshot';

interface Page {
  readonly body: Buffer;
  /** The page stays right until one of its entries expires (its `expired` flag turns then). */
  readonly until: number;
}

interface Pages {
  readonly byKey: Map<string, Page>;
  bytes: number;
}

export interface PageCache {
  /**
   * The page `offset`/`limit` of the unfiltered masked list: bytes already made while no entry on
   * it has expired since, else `build()` made once more.
   */
  page(snapshot: Snapshot, offset: number, limit: number, now: Date, build: () => { body: string; until: number }): Buffer;
}

/**
 * Pages per snapshot (agents poll the same one or two), kept to `maxBytes` per snapshot, oldest
 * dropped first; a page larger than that on its own is built every time. Keyed by the snapshot,
 * so a reload leaves the old pages to the garbage collector.
 */
export function createPageCache(maxBytes: number): PageCache {
  const cache = new WeakMap<Snapshot, Pages>();
  return {
    page(snapshot, offset, limit, now, build) {
      let pages = cache.get(snapshot);
      if (!pages) {
        pages = { byKey: new Map(), bytes: 0 };
        cache.set(snapshot, pages);
      }
      const key = `${offset}:${limit}`;
      const found = pages.byKey.get(key);
      if (found && now.getTime() < found.until) return found.body;
      if (found) {
        pages.byKey.delete(key);
        pages.bytes -= found.body.length;
      }
      const made = build();
      const body = Buffer.from(made.body, 'utf8');
      if (body.length > maxBytes) return body;
      for (const [oldest, page] of pages.byKey) {
        if (pages.bytes + body.length <= maxBytes) break;
        pages.byKey.delete(oldest);
        pages.bytes -= page.body.length;
      }
      pages.byKey.set(key, { body, until: made.until });
      pages.bytes += body.length;
      return body;
    },
  };
}
