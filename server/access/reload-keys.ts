// Reads the keys file again and swaps the ring in place: on a change the watcher sees, and on every
// POST /api/v1/admin/reload, so keys rotate with RELOAD=off too (API.md §4: a broken file keeps the previous keys).
import type { Logger } from 'winston';
import { codeOf } from '../errors';
import type { Metrics } from '../metrics';
import type { KeyRing, KeyStore } from './key-ring';

/** Where the key ring comes from when it is read again; main.ts reads the files, the app only calls `read`. */
export interface KeysSource {
  /** The keys file and API_KEY_FILE, as far as configured: for the log. */
  readonly files: readonly string[];
  /** Reads and parses them into a ring, throwing (with a `code`) when they do not load. */
  readonly read: () => KeyRing;
}

/** What the admin reload answers of the keys (the OpenAPI document's `KeysReload`); no key or file content ever. */
export type KeysReload =
  | { readonly status: 'reloaded'; readonly count: number }
  | { readonly status: 'failed'; readonly count: number; readonly code: string; readonly detail: string }
  | { readonly status: 'no_file'; readonly count: number; readonly detail: string };

const NO_FILE = 'no keys file is configured (API_KEYS_FILE, API_KEY_FILE): the keys in force change only with a restart';

/**
 * Reads the keys again and swaps them in, or keeps the previous keys when they do not load. Never
 * throws: the caller (the watcher, the admin reload) goes on whatever the keys file holds.
 */
export function reloadKeys(
  keys: KeyStore,
  source: KeysSource | undefined,
  report: { readonly logger: Logger; readonly metrics?: Metrics | undefined; readonly context?: Readonly<Record<string, unknown>> },
): KeysReload {
  if (source === undefined) return { status: 'no_file', count: keys.current().size, detail: NO_FILE };
  const { logger, metrics, context = {} } = report;
  try {
    const ring = source.read();
    keys.swap(ring);
    metrics?.keysReloaded(true);
    logger.info('keys reloaded', { ...context, path: source.files.join(', '), keys: ring.size });
    return { status: 'reloaded', count: ring.size };
  } catch (error) {
    metrics?.keysReloaded(false);
    // KeysFileInvalid, NoKeys, ENOENT...
    const code = codeOf(error);
    // Keys-file errors name a line or an entry, never a key (API.md §13.14), so the message may be shown.
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn('keys file reload failed; the previous keys stay in force', { ...context, code, reason });
    return { status: 'failed', count: keys.current().size, code, detail: `${reason}; the previous keys stay in force` };
  }
}
