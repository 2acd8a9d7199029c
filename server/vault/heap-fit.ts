// Where the first open at start-up runs: in place, or in a worker when the vault is large for the heap.
import { getHeapStatistics } from 'node:v8';

// Opening takes about 18 times the file's size in heap (a generated 100,000-entry vault: a 10 MB
// file, 185 MB of heap; README, "Large vaults"). 40 leaves room for vaults that compress better,
// on top of what the process itself holds (V8's limit also counts the young generation).
const HEAP_PER_FILE_BYTE = 40;
const PROCESS_HEAP = 64 * 1024 * 1024;

/**
 * Whether the first open should run in a worker, as reloads do. A vault that outgrows the heap
 * kills a worker with ERR_WORKER_OUT_OF_MEMORY, which the gateway reports in one line; on the main
 * thread V8 would abort the process with its own report. Smaller vaults open in place, where the
 * KDF started before the modules loaded can be used. Kept apart from open-in-worker.ts, so that a
 * small vault's start-up does not load the worker's side.
 */
export function opensInWorker(fileBytes: number, heapLimitBytes = getHeapStatistics().heap_size_limit): boolean {
  return PROCESS_HEAP + fileBytes * HEAP_PER_FILE_BYTE > heapLimitBytes;
}
