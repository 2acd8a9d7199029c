// A reload asked for while another runs must serve the file as it is after the ask, not the one the running load read.
import { VaultHolder } from '../../server/vault/holder';
import type { Snapshot } from '../../server/vault/snapshot';
import { snapshotOf } from '../support/vault';

/** A loader that reads "the file" when it starts and finishes only when released, as a slow KDF does. */
function slowLoader(files: { onDisk: Snapshot | Error }) {
  const started: { read: Snapshot | Error; release: () => void }[] = [];
  const loader = (): Promise<Snapshot> => {
    const read = files.onDisk;
    return new Promise<Snapshot>((resolve, reject) => {
      started.push({ read, release: () => (read instanceof Error ? reject(read) : resolve(read)) });
    });
  };
  return { loader, started };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
let A: Snapshot;
let B: Snapshot;
beforeAll(async () => {
  A = await snapshotOf('holder-pass', [{ group: '', title: 'a-entry', password: 'x' }]);
  B = await snapshotOf('holder-pass', [{ group: '', title: 'b-entry', password: 'y' }]);
});

test('a change made while a load runs is loaded after it; callers in the meantime share that one load', async () => {
  const files: { onDisk: Snapshot | Error } = { onDisk: A };
  const { loader, started } = slowLoader(files);
  const holder = new VaultHolder({ snapshot: null, loader });
  const first = holder.reload(); // an admin reload: reads A
  files.onDisk = B; // the file changes; the watcher asks, and so does another admin call
  const second = holder.reload();
  const third = holder.reload();
  expect(started).toHaveLength(1);
  started[0]?.release();
  await expect(first).resolves.toBe(A);
  await settle();
  expect(started).toHaveLength(2);
  expect(started[1]?.read).toBe(B);
  started[1]?.release();
  await expect(second).resolves.toBe(B);
  await expect(third).resolves.toBe(B);
  expect(holder.current()).toBe(B);
});

test('a running load that fails does not stand in for the next: the file is read again', async () => {
  const files: { onDisk: Snapshot | Error } = { onDisk: new Error('half-written') };
  const { loader, started } = slowLoader(files);
  const outcomes: boolean[] = [];
  const holder = new VaultHolder({ snapshot: A, loader });
  holder.onReload((ok) => outcomes.push(ok));
  const first = holder.reload();
  files.onDisk = B;
  const second = holder.reload();
  started[0]?.release();
  await expect(first).rejects.toThrow('half-written');
  await settle();
  started[1]?.release();
  await expect(second).resolves.toBe(B);
  expect(outcomes).toEqual([false, true]);
  expect(holder.current()).toBe(B);
});

test('with no load running, a reload starts at once and the next one after it starts afresh', async () => {
  const files: { onDisk: Snapshot | Error } = { onDisk: A };
  const { loader, started } = slowLoader(files);
  const holder = new VaultHolder({ snapshot: null, loader });
  const first = holder.reload();
  expect(started).toHaveLength(1);
  started[0]?.release();
  await first;
  files.onDisk = B;
  const next = holder.reload();
  expect(started).toHaveLength(2);
  started[1]?.release();
  await expect(next).resolves.toBe(B);
});
