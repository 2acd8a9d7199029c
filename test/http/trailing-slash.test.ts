// A name that ends with a slash is a name of its own: a 404 that says so only where dropping the slash would answer.
import request from 'supertest';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';

const KEY = 'slash-key-5e0b7d21c9f4';
const VAULT_PASSWORD = 'slash-vault-pass-77a1';
mustNotLeak(KEY, VAULT_PASSWORD);
checkLogsForLeaks();

let t: TestApp;
const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY);

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [{ group: 'Databases/Prod', title: 'db-prod', username: 'prod-user' }]);
  t = buildApp({ snapshot, keysText: `slash:${KEY}\n` });
});

test.each([
  ['a title', '/api/v1/credentials/db-prod/'],
  ['a path', '/api/v1/credentials/Databases/Prod/db-prod/'],
  ['a route of the entry', '/api/v1/credentials/Databases/Prod/db-prod/versions/'],
  ['two slashes', '/api/v1/credentials/db-prod//'],
])('%s with a trailing slash: 404 that says to ask without it', async (_what, url) => {
  const res = await get(url);
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((res.body as { detail: string }).detail).toMatch(/ \(the trailing slash is part of the name; ask without it\)$/);
  const without = await get(url.replace(/\/+$/, ''));
  expect(without.status).toBe(200);
});

test('a name that is not there with or without the slash gets the plain 404', async () => {
  const res = await get('/api/v1/credentials/db-stage/');
  expect(res.status).toBe(404);
  expect((res.body as { detail: string }).detail).toBe('Credential not found: db-stage/');
});
