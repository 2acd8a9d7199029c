// Notices when files change: a directory watch for speed, a stat-and-hash poll for what watches miss.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface FileWatcher {
  /** Looks at the files now (the poll calls it; tests may too); resolves after any reload it started. */
  check(): Promise<void>;
  close(): void;
}

export interface WatchOptions {
  /** How often to stat the files (and hash them when their stat changed, or every 10th poll). */
  readonly pollMs: number;
  /** Called once per change of the files' combined contents; failures are the caller's to report. */
  readonly onChange: () => Promise<void>;
  /**
   * When the caller read the files (ms since the epoch), if before this watch began. A file
   * modified since may have changed between that read and this watch's first look, so onChange
   * then runs once at the start; at worst that reloads what was just loaded.
   */
  readonly readAt?: number;
}

const MTIME_SLACK_MS = 20;

/** A stat signature that changes on rename (inode), in-place writes (size, mtime) and symlink swaps. */
function statOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
}

function digestOf(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    try {
      hash.update(readFileSync(file));
    } catch (error) {
      hash.update(`missing:${(error as NodeJS.ErrnoException).code ?? ''}`);
    }
    hash.update('\u0000');
  }
  return hash.digest('hex');
}

/**
 * Watches the directories, not the files: Kubernetes swaps a `..data` symlink and editors save by
 * rename, and a watch on the old file would see neither. The poll catches what the watch misses
 * (network filesystems, events lost under load).
 */
export function watchFiles(files: readonly string[], options: WatchOptions): FileWatcher {
  let stats = files.map(statOf).join('|');
  const { readAt } = options;
  // File times come from the kernel's coarse clock, up to a tick (1-10 ms) behind Date.now(): a
  // write just after the read may carry an earlier time. The margin covers that, and costs at most
  // one needless reload of a file written in the 20 ms before the read.
  const stale = readAt !== undefined && files.some((file) => modifiedAt(file) >= readAt - MTIME_SLACK_MS);
  // An empty digest differs from any real one: the first look reloads.
  let digest = stale ? '' : digestOf(files);
  let polls = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  async function look(force: boolean): Promise<void> {
    const nextStats = files.map(statOf).join('|');
    if (!force && nextStats === stats) return;
    stats = nextStats;
    const nextDigest = digestOf(files);
    if (nextDigest === digest) return;
    // Remembered even if the load fails: a broken file is reported once, and its next change retried.
    digest = nextDigest;
    await options.onChange();
  }

  function check(force = false): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = look(force)
      .catch(() => undefined)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void check(true);
        }
      });
    return running;
  }

  let debounce: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => path.dirname(path.resolve(f))))) {
    try {
      const watcher = watch(dir, { persistent: false }, () => {
        // Writers touch a file several times in a row; one look after they settle is enough.
        clearTimeout(debounce);
        debounce = setTimeout(() => void check(true), 100);
        debounce.unref();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // A directory that cannot be watched is still polled.
    }
  }
  const timer = setInterval(() => {
    polls += 1;
    void check(polls % 10 === 0);
  }, options.pollMs);
  timer.unref();
  if (stale) void check(true);

  return {
    check: () => check(true),
    close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
    },
  };
}
