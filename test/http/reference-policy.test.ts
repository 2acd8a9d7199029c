// Field references never carry a value past a key's policy: a key sees one only where it may read every entry it drew on.
import request from 'supertest';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';

const PUBLIC_KEY = 'public-reader-key-4e7a19c0';
const ALL_KEY = 'all-reader-key-b83d5f21';
const DENIER_KEY = 'denier-key-5a1c73e0';
const VAULT_PASSWORD = 'refs-policy-pass-2c6e';
const SECRET = 'bb000000000000000000000000000001';
const OWN = 'bb000000000000000000000000000002';
const HOP = 'bb000000000000000000000000000003';
const BINNED = 'bb000000000000000000000000000004';
const DELETED = 'bb000000000000000000000000000005';
const HIDDEN_VALUES = ['target-user-Wq1', 'target-pass-Zk8', 'target-notes-Jh3'];
mustNotLeak(PUBLIC_KEY, ALL_KEY, DENIER_KEY, VAULT_PASSWORD, ...HIDDEN_VALUES, 'deleted-secret-pass');
checkLogsForLeaks();

const KEYS = `
keys:
  - name: public
    key: ${PUBLIC_KEY}
    allow: ["Public/**"]
    reveal: true
  - name: all
    key: ${ALL_KEY}
    reveal: true
  - name: denier
    key: ${DENIER_KEY}
    allow: ["**"]
    deny: ["Secret/**"]
    reveal: true
`;

let t: TestApp;
const as = (key: string, url: string) => request(t.app).get(url).set('X-API-Key', key);

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [
    { group: 'Secret', title: 'target', uuid: SECRET, username: 'target-user-Wq1', password: 'target-pass-Zk8', notes: 'target-notes-Jh3' },
    {
      group: 'Public',
      title: 'holder',
      username: `{REF:U@I:${SECRET}}`,
      password: `{REF:P@I:${SECRET}}`,
      notes: `see {REF:N@I:${SECRET}}`,
      url: 'db.internal',
      fields: { copy: `{REF:U@I:${SECRET}}`, database: 'app' },
    },
    { group: 'Public', title: 'own', uuid: OWN, username: 'own-user' },
    { group: 'Public', title: 'local-ref', username: `{REF:U@I:${OWN}}` },
    // A chain through a readable entry into an unreadable one.
    { group: 'Public', title: 'hop', uuid: HOP, username: `{REF:U@I:${SECRET}}` },
    { group: 'Public', title: 'chain', username: `{REF:U@I:${HOP}}` },
    { group: 'Old', title: 'binned', uuid: BINNED, username: 'binned-user', recycled: true },
    { group: 'Public', title: 'bin-ref', username: `{REF:U@I:${BINNED}}` },
    // Deleted from Secret/: in the bin its path is no longer under Secret/**.
    { group: 'Secret', title: 'deleted', uuid: DELETED, password: 'deleted-secret-pass', recycled: true },
    { group: 'Public', title: 'app', password: `{REF:P@I:${DELETED}}` },
  ]);
  t = buildApp({ snapshot, keysText: KEYS, keysFile: 'keys.yaml' });
});

test('a key that may not read the target sees the reference as stored, on every route', async () => {
  const one = await as(PUBLIC_KEY, '/api/v1/credentials/holder?show_password=true');
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({
    username: `{REF:U@I:${SECRET}}`,
    password: `{REF:P@I:${SECRET}}`,
    notes: `see {REF:N@I:${SECRET}}`,
    fields: { copy: `{REF:U@I:${SECRET}}`, database: 'app' },
  });
  const answers = [
    one.text,
    (await as(PUBLIC_KEY, '/api/v1/credentials/holder')).text,
    (await as(PUBLIC_KEY, '/api/v1/credentials?show_password=true')).text,
    (await as(PUBLIC_KEY, '/api/v1/credentials?prefix=hold')).text,
    (await as(PUBLIC_KEY, '/api/v1/credentials/holder/fields/copy')).text,
    (await as(PUBLIC_KEY, '/api/v1/credentials/holder/fields/password')).text,
    (await as(PUBLIC_KEY, '/api/v1/db-url/holder?mask_password=false')).text,
    (await as(PUBLIC_KEY, '/api/v1/credentials/chain?show_password=true')).text,
  ];
  for (const answer of answers) for (const value of HIDDEN_VALUES) expect(answer).not.toContain(value);
  expect(answers[4]).toBe(`{REF:U@I:${SECRET}}`);
  expect((await as(PUBLIC_KEY, '/api/v1/credentials/chain')).body).toMatchObject({ username: `{REF:U@I:${HOP}}` });
});

test('within the policy, and for a key that reads everything, references resolve', async () => {
  expect((await as(PUBLIC_KEY, '/api/v1/credentials/local-ref')).body).toMatchObject({ username: 'own-user' });
  expect((await as(ALL_KEY, '/api/v1/credentials/holder?show_password=true')).body).toMatchObject({
    username: 'target-user-Wq1',
    password: 'target-pass-Zk8',
    notes: 'see target-notes-Jh3',
    fields: { copy: 'target-user-Wq1' },
  });
  expect((await as(ALL_KEY, '/api/v1/credentials/chain')).body).toMatchObject({ username: 'target-user-Wq1' });
  const list = (await as(ALL_KEY, '/api/v1/credentials?prefix=hold')).body as { credentials: { username: string }[] };
  expect(list.credentials.map((c) => c.username)).toEqual(['target-user-Wq1']);
});

test('a reference into the Recycle Bin resolves as KeePassXC shows it, for a key whose policy covers the bin', async () => {
  expect((await as(ALL_KEY, '/api/v1/credentials/bin-ref')).body).toMatchObject({ username: 'binned-user' });
  expect((await as(PUBLIC_KEY, '/api/v1/credentials/bin-ref')).body).toMatchObject({ username: `{REF:U@I:${BINNED}}` });
  // A key with deny rules: the entry it may not read was deleted, and its bin path escapes the rule.
  const app = await as(DENIER_KEY, '/api/v1/credentials/app?show_password=true');
  expect(app.body).toMatchObject({ password: `{REF:P@I:${DELETED}}` });
  expect(app.text).not.toContain('deleted-secret-pass');
  expect((await as(ALL_KEY, '/api/v1/credentials/app?show_password=true')).body).toMatchObject({ password: 'deleted-secret-pass' });
});
