// A vault too large for the heap: one clear line and exit 1, never V8's out-of-memory report.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { opensInWorker } from '../../server/vault/heap-fit';
import { BIN, cleanEnv, requireBuild, run, scratch } from '../support/cli';
import { makeVault, type EntrySpec } from '../support/vault';

const MB = 1024 * 1024;

test('the first open goes to a worker when the file is large for the heap', () => {
  expect(opensInWorker(900 * 1024, 4144 * MB)).toBe(false);
  expect(opensInWorker(9 * MB, 4144 * MB)).toBe(false);
  expect(opensInWorker(9 * MB, 256 * MB)).toBe(true);
  expect(opensInWorker(900 * 1024, 60 * MB)).toBe(true);
});

test('check on a vault that outgrows a 12 MB heap says so in one line; with the default heap it opens', async () => {
  requireBuild();
  const dir = scratch();
  const entries: EntrySpec[] = Array.from({ length: 10_000 }, (_, i) => ({
    group: `Team-${String(Math.floor(i / 100)).padStart(3, '0')}`,
    title: `svc-${i}`,
    username: `user${i}`,
    password: `pw-${i}-new`,
    url: `https://svc-${i}.internal`,
    history: [`pw-${i}-old`],
  }));
  writeFileSync(path.join(dir, 'vault.kdbx'), await makeVault('heap-test-pw', entries));
  const env = { KDBX_PATH: 'vault.kdbx', KDBX_PASSWORD: 'heap-test-pw', API_KEY: 'heap-test-key' };
  const small = spawnSync(process.execPath, ['--max-old-space-size=12', BIN, 'check'], { cwd: dir, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  expect(small.status).toBe(1);
  expect(small.stdout).toBe('');
  expect(small.stderr).toMatch(/^kdbx-gateway: KDBX_PATH: cannot open vault\.kdbx: the vault needs more memory than the heap of this process allows; give Node more with NODE_OPTIONS=--max-old-space-size=<MB> .*\n$/);
  expect(small.stderr.split('\n')).toHaveLength(2);
  const fine = run(['check'], { cwd: dir, env });
  expect(fine.status).toBe(0);
  expect(fine.stdout).toMatch(/^entries: +10000 /m);
}, 120_000);
