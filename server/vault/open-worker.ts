// The worker side of opening a vault: kdbxweb's seconds of synchronous work run here, off the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { VaultOpenError, readVault, type VaultCredentials } from './open';
import { encodeRecords } from './transfer';

interface Job {
  readonly bytes: Uint8Array;
  readonly credentials: VaultCredentials;
}

// Records go in slices: each message is copied into the main thread as a separate, short task,
// so requests are served between them instead of waiting for one large copy.
const SLICE = 500;

const job = workerData as Job;
readVault(job.bytes, job.credentials).then(
  (read) => {
    for (let start = 0; start < read.all.length; start += SLICE) {
      parentPort?.postMessage({ kind: 'records', records: encodeRecords(read.all.slice(start, start + SLICE)) });
    }
    parentPort?.postMessage({ kind: 'done', live: read.live, info: read.info });
  },
  (error: unknown) => {
    const code = error instanceof VaultOpenError ? error.code : 'FileCorrupt';
    const message = error instanceof Error ? error.message : String(error);
    parentPort?.postMessage({ kind: 'failed', code, message });
  },
);
