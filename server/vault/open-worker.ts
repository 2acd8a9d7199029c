// The worker side of opening a vault: kdbxweb's seconds of synchronous work run here, off the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { VaultOpenError, readVault, type VaultCredentials } from './open';
import { encodeRead } from './transfer';

interface Job {
  readonly bytes: Uint8Array;
  readonly credentials: VaultCredentials;
}

const job = workerData as Job;
readVault(job.bytes, job.credentials).then(
  (read) => parentPort?.postMessage({ ok: true, read: encodeRead(read) }),
  (error: unknown) => {
    const code = error instanceof VaultOpenError ? error.code : 'FileCorrupt';
    const message = error instanceof Error ? error.message : String(error);
    parentPort?.postMessage({ ok: false, code, message });
  },
);
