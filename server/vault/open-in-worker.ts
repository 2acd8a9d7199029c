// Opens a vault in a worker thread, so a reload of a large vault never stalls requests in flight.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { VaultOpenError, openVault, type VaultCredentials } from './open';
import { SnapshotBuilder, type Snapshot, type VaultInfo } from './snapshot';
import { decodeCredentials, type WireCredential } from './transfer';

type Reply =
  | { kind: 'credentials'; credentials: WireCredential[] }
  | { kind: 'done'; info: VaultInfo }
  | { kind: 'failed'; code: string; message: string };

const WORKER = path.join(__dirname, 'open-worker.js');

function outOfMemory(): VaultOpenError {
  return new VaultOpenError(
    'OutOfMemory',
    'the vault needs more memory than the heap of this process allows; give Node more with NODE_OPTIONS=--max-old-space-size=<MB> (README, "Large vaults": about 4 KB per entry)',
  );
}

/**
 * Falls back to opening in this thread where the compiled worker is absent (running from the
 * TypeScript sources); the built gateway always has it.
 */
export function openVaultInWorker(bytes: Uint8Array, credentials: VaultCredentials, now = new Date()): Promise<Snapshot> {
  if (!existsSync(WORKER)) return openVault(bytes, credentials, now);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { bytes, credentials } });
    let settled = false;
    // The maps grow one slice per message, so no single turn of the event loop builds them all.
    const builder = new SnapshotBuilder();
    worker.on('message', (reply: Reply) => {
      if (reply.kind === 'credentials') {
        builder.add(decodeCredentials(reply.credentials));
        worker.postMessage('next');
        return;
      }
      settled = true;
      void worker.terminate();
      if (reply.kind === 'done') resolve(builder.finish(reply.info, now));
      else reject(new VaultOpenError(reply.code, reply.message));
    });
    worker.once('error', (error: Error & { code?: string }) => {
      if (settled) return;
      reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory() : new VaultOpenError('FileCorrupt', `the vault could not be read: ${error.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new VaultOpenError('FileCorrupt', `the vault reader stopped (exit ${code})`));
    });
  });
}
