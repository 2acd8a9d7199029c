// Per-key policies from a YAML keys file: allow/deny globs, reveal and admin rights, expiry.
import { createHash } from 'node:crypto';
import request from 'supertest';
import { KeysFileError } from '../../server/access/keys-file';
import { compilePolicy } from '../../server/access/policy';
import { parsePolicyKeys } from '../../server/access/policy-file';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf, type EntrySpec } from '../support/vault';

const READER = 'reader-key-billing-6c1f02';
const REVEALER = 'revealer-key-all-9b3e77';
const ADMIN = 'admin-key-ops-2d8a41';
const EXPIRED = 'expired-key-old-5f0c19';
const VAULT_PASSWORD = 'policy-vault-pass-73e1';
const sha = (key: string): string => createHash('sha256').update(key).digest('hex');

const KEYS_YAML = `
keys:
  - name: billing-reader
    key: sha256:${sha(READER)}
    allow: ["billing/**"]
  - name: revealer
    key: ${REVEALER}
    deny: ["billing/legacy/**"]
    reveal: true
  - name: ops-admin
    key: sha256:${sha(ADMIN)}
    allow: ["**"]
    reveal: true
    admin: true
  - name: retired
    key: ${EXPIRED}
    expires: 2020-01-01
`;

const ENTRIES: EntrySpec[] = [
  { group: 'billing', title: 'invoices-db', username: 'inv', password: 'inv-pass-Aa11', url: 'db.billing:5432', fields: { database: 'inv' } },
  { group: 'billing/legacy', title: 'old-ledger', username: 'led', password: 'ledger-pass-Bb22', url: 'ledger.internal', fields: { database: 'l' } },
  { group: 'ops', title: 'grafana', username: 'admin', password: 'grafana-pass-Cc33' },
  { group: 'ops', title: 'shared-name', password: 'ops-shared-Dd44' },
  { group: 'billing', title: 'shared-name', password: 'billing-shared-Ee55' },
];
mustNotLeak(READER, REVEALER, ADMIN, EXPIRED, VAULT_PASSWORD, ...ENTRIES.map((e) => e.password));
checkLogsForLeaks();

let t: TestApp;
const as = (key: string, url: string) => request(t.app).get(url).set('X-API-Key', key);

beforeAll(async () => {
  t = buildApp({ snapshot: await snapshotOf(VAULT_PASSWORD, ENTRIES), keysText: KEYS_YAML, keysFile: 'keys.yaml', now: () => new Date(Date.UTC(2026, 5, 1)) });
});

type Case = [key: string, keyName: string, target: string, kind: 'allowed' | 'denied' | 'missing', reveal: boolean, status: number];
const TARGETS = {
  reader: { allowed: 'billing/invoices-db', denied: 'ops/grafana', missing: 'billing/nothing-here' },
  revealer: { allowed: 'ops/grafana', denied: 'billing/legacy/old-ledger', missing: 'billing/legacy/nothing-here' },
  admin: { allowed: 'billing/legacy/old-ledger', denied: null, missing: 'nowhere/nothing' },
} as const;

const cases: Case[] = [];
for (const reveal of [false, true]) {
  // billing-reader: no reveal right, so every revealing request is 403.
  cases.push([READER, 'billing-reader', TARGETS.reader.allowed, 'allowed', reveal, reveal ? 403 : 200]);
  cases.push([READER, 'billing-reader', TARGETS.reader.denied, 'denied', reveal, 403]);
  cases.push([READER, 'billing-reader', TARGETS.reader.missing, 'missing', reveal, reveal ? 403 : 404]);
  cases.push([READER, 'billing-reader', 'ops/nothing-here', 'missing', reveal, 403]);
  cases.push([REVEALER, 'revealer', TARGETS.revealer.allowed, 'allowed', reveal, 200]);
  cases.push([REVEALER, 'revealer', TARGETS.revealer.denied, 'denied', reveal, 403]);
  cases.push([REVEALER, 'revealer', TARGETS.revealer.missing, 'missing', reveal, 403]);
  cases.push([REVEALER, 'revealer', 'ops/nothing-here', 'missing', reveal, 404]);
  cases.push([ADMIN, 'ops-admin', TARGETS.admin.allowed, 'allowed', reveal, 200]);
  cases.push([ADMIN, 'ops-admin', TARGETS.admin.missing, 'missing', reveal, 404]);
}

test.each(cases)('%s (%s) → %s [%s, reveal=%s] answers %i', async (key, _name, target, _kind, reveal, status) => {
  const res = await as(key, `/api/v1/credentials/${target}${reveal ? '?show_password=true' : ''}`);
  expect(res.status).toBe(status);
  if (status === 403) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toMatch(/pass-/);
  }
  if (status === 200) expect((res.body as { password: string }).password).toBe(reveal ? ENTRIES.find((e) => `${e.group}/${e.title}` === target)?.password : '*****');
});

test('the same 403 whether or not a forbidden name exists: no existence oracle', async () => {
  const existing = await as(READER, '/api/v1/credentials/ops/grafana');
  const missing = await as(READER, '/api/v1/credentials/ops/grafanaX');
  expect(existing.status).toBe(403);
  expect(missing.status).toBe(403);
  const detail = (res: { body: unknown }): string => (res.body as { detail: string }).detail;
  expect(detail(existing).replace('grafana', '')).toBe(detail(missing).replace('grafanaX', ''));
});

test('a title the key may read by name but whose entries its deny rules hide answers as a missing one', async () => {
  // revealer denies billing/legacy/**: old-ledger exists only there.
  const hidden = await as(REVEALER, '/api/v1/credentials/old-ledger');
  const missing = await as(REVEALER, '/api/v1/credentials/no-such-ledger');
  expect([hidden.status, missing.status]).toEqual([404, 404]);
  const detail = (res: { body: unknown }): string => (res.body as { detail: string }).detail;
  expect(detail(hidden).replace('old-ledger', '')).toBe(detail(missing).replace('no-such-ledger', ''));
  expect((await as(REVEALER, '/api/v1/db-url/old-ledger')).status).toBe(404);
});

test('denials are audited with the key\'s name and 403, and never the key', async () => {
  await as(READER, '/api/v1/credentials/ops/grafana').set('X-Request-Id', 'denied-1');
  const line = t.audit.find((a) => a.request_id === 'denied-1');
  expect(line).toMatchObject({ key: 'billing-reader', credential: 'ops/grafana', status: 403, revealed: false });
  expect(JSON.stringify(t.audit)).not.toContain(READER);
});

test('lists and counts leave out what the key may not read', async () => {
  const count = async (key: string) => ((await as(key, '/api/v1/credentials')).body as { count: number }).count;
  expect(await count(READER)).toBe(3);
  expect(await count(REVEALER)).toBe(4);
  expect(await count(ADMIN)).toBe(5);
  expect((await as(READER, '/api/v1/credentials?show_password=true')).status).toBe(403);
});

test('a shared title resolves to the one the key may read, and 409 lists only readable paths', async () => {
  const reader = await as(READER, '/api/v1/credentials/shared-name');
  expect(reader.status).toBe(200);
  expect(reader.body.path).toBe('billing/shared-name');
  const admin = await as(ADMIN, '/api/v1/credentials/shared-name');
  expect(admin.status).toBe(409);
  expect(admin.body.candidates).toEqual(['billing/shared-name', 'ops/shared-name']);
});

test('every route applies the policy: versions, fields, db-url, uuid addresses', async () => {
  expect((await as(READER, '/api/v1/credentials/ops/grafana/versions')).status).toBe(403);
  expect((await as(READER, '/api/v1/credentials/billing/invoices-db/versions')).status).toBe(200);
  expect((await as(READER, '/api/v1/credentials/billing/invoices-db/fields/username')).status).toBe(200);
  expect((await as(READER, '/api/v1/credentials/billing/invoices-db/fields/password')).status).toBe(403);
  expect((await as(REVEALER, '/api/v1/credentials/billing/legacy/old-ledger/fields/username')).status).toBe(403);
  expect((await as(READER, '/api/v1/db-url/billing/invoices-db')).status).toBe(200);
  expect((await as(READER, '/api/v1/db-url/billing/invoices-db?mask_password=false')).status).toBe(403);
  expect((await as(REVEALER, '/api/v1/db-url/billing/legacy/old-ledger')).status).toBe(403);
  const uuid = ((await as(ADMIN, '/api/v1/credentials/ops/grafana')).body as { uuid: string }).uuid;
  expect((await as(READER, `/api/v1/credentials/uuid:${uuid}`)).status).toBe(403);
  expect((await as(REVEALER, `/api/v1/credentials/uuid:${uuid}`)).status).toBe(200);
});

test('admin routes need the admin right', async () => {
  expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', REVEALER)).status).toBe(403);
  expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', READER)).status).toBe(403);
});

test('an expired key is refused with 401', async () => {
  const res = await as(EXPIRED, '/api/v1/credentials');
  expect(res.status).toBe(401);
  expect(res.body.detail).toMatch(/expired/);
});

describe('a malformed policy file names the key entry and the field, never the key', () => {
  test.each([
    ['keys:\n  - name: a\n    key: k-one-value\n    alow: ["x"]\n', /keys\[0\] \(a\): unknown field 'alow'; did you mean 'allow'\?/],
    ['keys:\n  - name: a\n    key: k-one-value\n    reveal: "yes"\n', /keys\[0\] \(a\): field 'reveal'/],
    ['keys:\n  - name: a\n    key: k-one-value\n  - name: b\n    key: sha256:abc-secret-looking\n', /keys\[1\] \(b\): field 'key': a sha256: value must be 64 hexadecimal/],
    ['keys:\n  - name: a\n    key: k-one-value\n    expires: someday\n', /keys\[0\] \(a\): field 'expires' must be a date/],
    ['keys:\n  - name: a\n    key: k-one-value\n    allow: "billing/**"\n', /keys\[0\] \(a\): field 'allow'/],
    ['keys:\n  - name: a\n    key: k-one-value\n  - name: a\n    key: k-two-value\n', /keys\[1\] \(a\): the name 'a' is already used by keys\[0\] \(a\)/],
    ['keys:\n  - name: a\n    key: k-one-value\n  - name: b\n    key: k-one-value\n', /keys\[1\] \(b\): the same key as keys\[0\] \(a\)/],
    ['keys:\n  - name: API_KEY\n    key: k-one-value\n', /keys\[0\] \(API_KEY\): the name 'API_KEY' is kept for the API_KEY variable/],
    ['keys: []\n', /keys.*at least one key/],
    ['keys:\n  - name: a\n    key: k-one-value\n    allow: ["!secret/**"]\n', /keys\[0\] \(a\): field 'allow'\[0\]: glob "!secret\/\*\*" begins with '!': list what the key may not read under deny instead/],
    ['keys:\n  - name: a\n    key: k-one-value\n    allow: ["{shared-*,billing/**}"]\n', /glob "\{shared-\*,billing\/\*\*\}" mixes alternatives with and without '\/' in \{…\}: write them as separate globs/],
    ['keys:\n  - name: a\n    key: k-one-value\n   bad indent: [\n', /not valid YAML/],
  ])('%j', (text, message) => {
    expect(() => parsePolicyKeys(text, 'yaml')).toThrow(KeysFileError);
    expect(() => parsePolicyKeys(text, 'yaml')).toThrow(message);
    try {
      parsePolicyKeys(text, 'yaml');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/k-one-value|k-two-value|abc-secret-looking/);
    }
  });

  test('a %YAML 1.1 file reads as YAML 1.2: a date stays a day, valid to its end', () => {
    const [key] = parsePolicyKeys('%YAML 1.1\n---\nkeys:\n  - name: a\n    key: k-one-value\n    expires: 2027-01-01\n', 'yaml');
    expect(key?.expires?.toISOString()).toBe('2027-01-01T23:59:59.999Z');
    expect(() => parsePolicyKeys('%YAML 1.1\n---\nkeys:\n  - name: a\n    key: k-one-value\n    reveal: yes\n', 'yaml')).toThrow(/field 'reveal': must be true or false/);
    const [tagged] = parsePolicyKeys('keys:\n  - name: a\n    key: k-one-value\n    expires: !!timestamp 2027-01-01\n', 'yaml');
    expect(tagged?.expires?.toISOString()).toBe('2027-01-01T23:59:59.999Z');
  });

  test('the JSON form parses the same', () => {
    const keys = parsePolicyKeys(JSON.stringify({ keys: [{ name: 'j', key: 'json-key-value-1', allow: ['a/**'], reveal: true }] }), 'json');
    expect(keys[0]).toMatchObject({ name: 'j', reveal: true, admin: false, expires: null });
    expect(keys[0]?.canRead('b', 'a/b')).toBe(true);
    expect(keys[0]?.canRead('a', 'b/a')).toBe(false);
  });
});

describe('an allow glob reaches as far as it reads: `G/**` is what lies below the group G', () => {
  const KEY = 'public-reader-key-4d2a91';
  const TRAPS: EntrySpec[] = [
    { group: 'Public', title: 'status-page', password: 'public-pass-Ff66' },
    { group: 'Public/Sub', title: 'cdn', password: 'public-sub-pass-Gg77' },
    // A title equal to the group's name, at the root and elsewhere, and a title with a slash.
    { group: '', title: 'Public', password: 'root-titled-pass-Hh88' },
    { group: 'Private', title: 'Public', password: 'private-titled-pass-Ii99' },
    { group: 'Private', title: 'Public/leak', password: 'private-slash-pass-Jj00' },
    { group: 'Private', title: 'cdn-keys', password: 'private-cdn-pass-Kk11' },
  ];
  mustNotLeak(KEY, ...TRAPS.map((e) => e.password));
  let p: TestApp;
  const get = (url: string) => request(p.app).get(url).set('X-API-Key', KEY);

  beforeAll(async () => {
    const yaml = `keys:\n  - name: public-reader\n    key: ${KEY}\n    allow: ["Public/**", "status-*"]\n    reveal: true\n`;
    p = buildApp({ snapshot: await snapshotOf(VAULT_PASSWORD, TRAPS), keysText: yaml, keysFile: 'keys.yaml' });
  });

  test('the group\'s entries, at any depth, and names matched by a glob without a slash', async () => {
    expect((await get('/api/v1/credentials/Public/status-page')).status).toBe(200);
    expect((await get('/api/v1/credentials/Public/Sub/cdn')).status).toBe(200);
    expect((await get('/api/v1/credentials/status-page')).status).toBe(200);
  });

  test('not an entry titled like the group, nor a title that starts with it, wherever it is', async () => {
    for (const path of ['Public', 'Private/Public', 'Private%2FPublic', 'Private/Public%2Fleak', 'Private/cdn-keys']) {
      const res = await get(`/api/v1/credentials/${path}?show_password=true`);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(JSON.stringify(res.body)).not.toMatch(/titled-pass|slash-pass|cdn-pass/);
    }
    const list = (await get('/api/v1/credentials')).body as { count: number; credentials: { path: string }[] };
    expect(list.credentials.map((item) => item.path).sort()).toEqual(['Public/Sub/cdn', 'Public/status-page']);
    expect(list.count).toBe(2);
  });

  test('a title holding a / is no group: `G/**` does not reach it, nor `G/x/**` a title x/y in G', () => {
    const check = compilePolicy({ allow: ['billing/**', 'a/b/**'], deny: [] });
    expect(check('billing/x', 'billing/x')).toBe(false);
    expect(check('b/c', 'a/b/c')).toBe(false);
    expect(check('c', 'a/b/c')).toBe(true);
    expect(check('x', 'billing/x')).toBe(true);
    expect(check('y', 'billing/x/y')).toBe(true);
    // Braces on the group part work as in picomatch.
    expect(compilePolicy({ allow: ['{ops,billing}/**'], deny: [] })('x', 'ops/x')).toBe(true);
  });

  test('a missing name below a group the key reads is 404, as for a key that reads everything', async () => {
    expect((await get('/api/v1/credentials/Public/no-such-entry')).status).toBe(404);
    expect((await get('/api/v1/credentials/Private/no-such-entry')).status).toBe(403);
  });

  test('deny globs keep the wide reading: `G/**` hides an entry titled G too', () => {
    const check = compilePolicy({ allow: ['**'], deny: ['Public/**'] });
    expect(check('status-page', 'Public/status-page')).toBe(false);
    expect(check('Public', 'Private/Public')).toBe(false);
    expect(check('cdn-keys', 'Private/cdn-keys')).toBe(true);
  });
});
