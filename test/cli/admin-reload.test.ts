// RELOAD=off: nothing watches the files, so POST /api/v1/admin/reload is how keys rotate without a restart.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { callWithKey, requireBuild, scratch, serve, type Served } from '../support/cli';
import { makeVault } from '../support/vault';

const PASSWORD = 'admin-reload-vault-pass-3c7e';
const KEY = 'admin-reload-key-19f4d2';
const NEW_KEY = 'admin-reload-new-key-6a08b1';
mustNotLeak(PASSWORD, KEY, NEW_KEY);
checkLogsForLeaks();

const call = (port: number, method: string, pathname: string, key: string) => callWithKey(port, method, pathname, key);

let dir: string;
let server: Served;
afterAll(async () => {
  await server?.stop();
});

beforeAll(async () => {
  requireBuild();
  dir = scratch();
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data/vault.kdbx'), await makeVault(PASSWORD, [{ group: 'app', title: 'db', username: 'u', password: 'p' }]));
  writeFileSync(path.join(dir, 'keys.txt'), `ops:${KEY}\n`);
  server = await serve({
    cwd: dir,
    env: { KDBX_PATH: path.join(dir, 'data/vault.kdbx'), KDBX_PASSWORD: PASSWORD, API_KEYS_FILE: path.join(dir, 'keys.txt'), RELOAD: 'off', LOG_LEVEL: 'info' },
  });
});

test('a key added to the file gets 401 until the admin reload, then 200; a broken file keeps the keys and says so', async () => {
  writeFileSync(path.join(dir, 'keys.txt'), `ops:${KEY}\nnewcomer:${NEW_KEY}\n`);
  // Nothing watches the file: well past the watcher's poll, the new key is still unknown.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await call(server.port, 'GET', '/api/v1/credentials/db', NEW_KEY)).status).toBe(401);
  const reloaded = await call(server.port, 'POST', '/api/v1/admin/reload', KEY);
  expect(reloaded.status).toBe(200);
  expect(JSON.parse(reloaded.body)).toEqual({ status: 'reloaded', entries: 1, keys: { status: 'reloaded', count: 2 } });
  expect((await call(server.port, 'GET', '/api/v1/credentials/db', NEW_KEY)).status).toBe(200);

  writeFileSync(path.join(dir, 'keys.txt'), `newcomer:${NEW_KEY}\nsha256:not-a-hash\n`);
  const broken = await call(server.port, 'POST', '/api/v1/admin/reload', NEW_KEY);
  expect(broken.status).toBe(409);
  const body = JSON.parse(broken.body) as { keys: { status: string; code: string; detail: string } };
  expect(body.keys).toMatchObject({ status: 'failed', count: 2, code: 'KeysFileInvalid' });
  expect(body.keys.detail).toMatch(/line 2: .*; the previous keys stay in force$/);
  expect((await call(server.port, 'GET', '/api/v1/credentials/db', KEY)).status).toBe(200);
  expect(server.output()).toMatch(/keys file reload failed; the previous keys stay in force/);
}, 30_000);
