// Every address a 409 offers must reach its entry, however titles and paths overlap.
import request from 'supertest';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';

const KEY = 'names-key-0d4c7e91b2a8';
const VAULT_PASSWORD = 'names-vault-pass-5b19';
mustNotLeak(KEY, VAULT_PASSWORD);
checkLogsForLeaks();

let t: TestApp;
const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY);

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [
    // KeePassXC puts new entries in the root group: its path is its title, which others share.
    { group: '', title: 'db-prod', username: 'root-user' },
    { group: 'Databases/Prod', title: 'db-prod', username: 'prod-user' },
    { group: 'Databases/Staging', title: 'db-prod', username: 'staging-user' },
    // Two entries at one path: only their UUIDs tell them apart.
    { group: 'Twins', title: 'same', username: 'twin-1' },
    { group: 'Twins', title: 'same', username: 'twin-2' },
  ]);
  t = buildApp({ snapshot, keysText: `names:${KEY}\n` });
});

test.each([
  ['a root title shared with entries in groups', 'db-prod', ['root-user', 'prod-user', 'staging-user']],
  ['two entries with one path', 'Twins/same', ['twin-1', 'twin-2']],
])('%s: 409, and each candidate reaches one entry', async (_what, name, users) => {
  const res = await get(`/api/v1/credentials/${name}`);
  expect(res.status).toBe(409);
  const candidates = (res.body as { candidates: string[] }).candidates;
  const reached = [];
  for (const address of candidates) {
    const one = await get(`/api/v1/credentials/${encodeURIComponent(address)}`);
    expect([address, one.status]).toEqual([address, 200]);
    reached.push((one.body as { username: string }).username);
  }
  expect(reached.sort()).toEqual([...users].sort());
});
