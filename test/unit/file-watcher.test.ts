// A watch that begins after its files were read reloads a file changed in between, and only then.
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { watchFiles } from '../../server/file-watcher';

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchFiles readAt', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdbx-watch-'));

  test('a file written after the caller read it, before the watch began, is reloaded once at the start', async () => {
    const file = path.join(dir, 'changed.txt');
    writeFileSync(file, 'as read\n');
    const readAt = Date.now();
    await settle(5);
    writeFileSync(file, 'saved while the gateway started\n');
    // File times come from the kernel's coarse clock, which may lag Date.now() by a tick: a write
    // just after the read can carry a time just before it, and must count all the same.
    const lagging = new Date(readAt - 10);
    utimesSync(file, lagging, lagging);
    let changes = 0;
    const watcher = watchFiles([file], { pollMs: 60_000, readAt, onChange: () => Promise.resolve(void (changes += 1)) });
    try {
      await settle(200);
      expect(changes).toBe(1);
      await watcher.check();
      expect(changes).toBe(1);
    } finally {
      watcher.close();
    }
  });

  test('a file last written before the read is not reloaded', async () => {
    const file = path.join(dir, 'unchanged.txt');
    writeFileSync(file, 'as read\n');
    const longBefore = new Date(Date.now() - 10_000);
    utimesSync(file, longBefore, longBefore);
    const readAt = Date.now();
    let changes = 0;
    const watcher = watchFiles([file], { pollMs: 60_000, readAt, onChange: () => Promise.resolve(void (changes += 1)) });
    try {
      await settle(200);
      await watcher.check();
      expect(changes).toBe(0);
      writeFileSync(file, 'edited\n');
      await watcher.check();
      expect(changes).toBe(1);
    } finally {
      watcher.close();
    }
  });
});
