// The worker side of opening a vault: decryption, XML, references and versions run here, off the event loop.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { VaultOpenError, credentialsFromRead, readVault, type VaultCredentials } from './open';
import { encodeCredentials } from './transfer';

interface Job {
  readonly bytes: Uint8Array;
  readonly credentials: VaultCredentials;
}

// Credentials go in path order, one slice per request from the main thread. Node delivers every
// message already queued on a port in one task, so slices posted all at once would be copied and
// mapped in one long turn; asked for one by one, each is a turn of its own and requests run between.
// All that needs the whole vault at once (references, mattstash groups, sorting) is done here.
const SLICE = 200;

// A reload competes for the cores with the event loop serving requests: let the scheduler prefer
// the event loop. On Linux, priority 0's "process" is the calling thread, so this worker alone is
// lowered; elsewhere it would be the whole process, so it is left as it is.
if (process.platform === 'linux') {
  try {
    setPriority(0, 10);
  } catch {
    // A sandbox that forbids it: the reload runs as before.
  }
}

const job = workerData as Job;
readVault(job.bytes, job.credentials).then(
  (read) => {
    const credentials = credentialsFromRead(read);
    let start = 0;
    const next = (): void => {
      if (start >= credentials.length) {
        parentPort?.postMessage({ kind: 'done', info: read.info });
        return;
      }
      parentPort?.postMessage({ kind: 'credentials', credentials: encodeCredentials(credentials.slice(start, start + SLICE)) });
      start += SLICE;
    };
    parentPort?.on('message', next);
    next();
  },
  (error: unknown) => {
    const code = error instanceof VaultOpenError ? error.code : 'FileCorrupt';
    const message = error instanceof Error ? error.message : String(error);
    parentPort?.postMessage({ kind: 'failed', code, message });
  },
);
