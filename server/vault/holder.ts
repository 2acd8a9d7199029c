// Holds the snapshot in force and swaps a new one in with a single assignment.
import type { Snapshot } from './snapshot';

export type SnapshotLoader = () => Promise<Snapshot>;

/**
 * Handlers call current() once per request and keep that snapshot to the end, so a reload never
 * shows them half a vault. A failed reload leaves the last good snapshot in place.
 */
export class VaultHolder {
  #snapshot: Snapshot | null;
  #loader: SnapshotLoader | null;
  #inflight: Promise<Snapshot> | null = null;
  #next: Promise<Snapshot> | null = null;
  #notReadyReason: string;
  readonly #listeners: ((ok: boolean) => void)[] = [];

  constructor(options: { snapshot?: Snapshot | null; loader?: SnapshotLoader | null } = {}) {
    this.#snapshot = options.snapshot ?? null;
    this.#loader = options.loader ?? null;
    this.#notReadyReason = this.#snapshot ? '' : 'the vault has not been loaded yet';
  }

  current(): Snapshot | null {
    return this.#snapshot;
  }

  /** Why the gateway is not ready, or null when it is. */
  notReadyReason(): string | null {
    return this.#snapshot && this.#notReadyReason === '' ? null : this.#notReadyReason || 'not ready';
  }

  /** Marks the gateway as not ready (shutting down) without dropping the snapshot in-flight requests use. */
  setNotReady(reason: string): void {
    this.#notReadyReason = reason;
  }

  swap(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    if (this.#notReadyReason === 'the vault has not been loaded yet') this.#notReadyReason = '';
  }

  /** Told the outcome of every reload (metrics count them). */
  onReload(listener: (ok: boolean) => void): void {
    this.#listeners.push(listener);
  }

  get canReload(): boolean {
    return this.#loader !== null;
  }

  /**
   * Loads the vault as it is now. A load already under way may have read the file before this call
   * (an admin reload, then a change the watcher saw), so it is not joined: one more load runs after
   * it, shared by every caller until it starts. Throws (and keeps the old snapshot) on failure.
   */
  reload(): Promise<Snapshot> {
    const loader = this.#loader;
    if (!loader) return Promise.reject(new Error('this vault holder has no loader'));
    if (!this.#inflight) return this.#load(loader);
    const settled = (): void => undefined;
    this.#next ??= this.#inflight.then(settled, settled).then(() => {
      this.#next = null;
      // Begun after the caller asked, so a load started in between serves it as well.
      return this.#inflight ?? this.#load(loader);
    });
    return this.#next;
  }

  #load(loader: SnapshotLoader): Promise<Snapshot> {
    this.#inflight = loader()
      .then(
        (snapshot) => {
          this.swap(snapshot);
          for (const listener of this.#listeners) listener(true);
          return snapshot;
        },
        (error: unknown) => {
          for (const listener of this.#listeners) listener(false);
          throw error;
        },
      )
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }
}
