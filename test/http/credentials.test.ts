// The credential routes against a real kdbxweb-made vault: lookups, versions, masking, lists, errors.
import request from 'supertest';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

mustNotLeak(...SECRET_VALUES);
checkLogsForLeaks();

const NOW = new Date(Date.UTC(2026, 5, 1));
let t: TestApp;
const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY_A);

beforeAll(async () => {
  t = buildApp({ snapshot: await snapshotOf(VAULT_PASSWORD, ENTRIES), keysText: KEYS_TEXT, now: () => NOW });
});

describe('one credential', () => {
  test('by title answers the §2 JSON, masked', async () => {
    const res = await get('/api/v1/credentials/db-prod');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      name: 'db-prod',
      path: 'Databases/Prod/db-prod',
      uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      kind: 'credential',
      username: 'admin',
      password: '*****',
      url: 'db.internal:5432',
      notes: 'Production database\nsecond line',
      tags: ['prod', 'env:prod'],
      fields: { database: 'app', sslmode: 'require', api_token: '*****', empty_field: '' },
      version: '0000000003',
      created: '2026-01-01T00:00:00Z',
      modified: '2026-01-03T00:00:00Z',
      expires: null,
      expired: false,
      otp: false,
      attachments: [],
    });
  });

  test('show_password reveals the password and protected fields', async () => {
    const res = await get('/api/v1/credentials/db-prod?show_password=true');
    expect(res.body.password).toBe('prod-pass-v3-Zq81');
    expect(res.body.fields.api_token).toBe('tok-secret-Wd93');
    for (const yes of ['1', 'YES', 'True']) {
      expect((await get(`/api/v1/credentials/db-prod?show_password=${yes}`)).body.password).toBe('prod-pass-v3-Zq81');
    }
    for (const no of ['0', 'no', 'false', '']) {
      expect((await get(`/api/v1/credentials/db-prod?show_password=${no}`)).body.password).toBe('*****');
    }
  });

  test('the path form works with literal slashes and with %2F, and uuid: in any case', async () => {
    const byPath = await get('/api/v1/credentials/Databases/Prod/db-prod');
    const encoded = await get('/api/v1/credentials/Databases%2FProd%2Fdb-prod');
    expect(byPath.status).toBe(200);
    expect(encoded.body).toEqual(byPath.body);
    const uuid = byPath.body.uuid as string;
    expect((await get(`/api/v1/credentials/uuid:${uuid}`)).body.path).toBe('Databases/Prod/db-prod');
    expect((await get(`/api/v1/credentials/UUID:${uuid.toUpperCase()}`)).body.path).toBe('Databases/Prod/db-prod');
    expect((await get('/api/v1/credentials/uuid:not-a-uuid')).status).toBe(400);
    expect((await get('/api/v1/credentials/uuid:00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test('a title shared by two entries is 409 with both paths; each path answers', async () => {
    const res = await get('/api/v1/credentials/shared');
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.candidates).toEqual(['Services/shared', 'Team/shared']);
    expect(res.body.detail).toContain('Services/shared');
    expect(res.body.detail).toContain('Team/shared');
    expect((await get('/api/v1/credentials/Team/shared')).body.username).toBe('team-user');
    expect((await get('/api/v1/credentials/Services%2Fshared')).body.username).toBe('svc-user');
  });

  test('the Recycle Bin is never served, even when a live entry shares the title', async () => {
    expect((await get('/api/v1/credentials/recycled-only')).status).toBe(404);
    expect((await get('/api/v1/credentials/Recycle%20Bin/Old/recycled-only')).status).toBe(404);
    expect((await get('/api/v1/credentials/db-prod')).body.username).toBe('admin');
  });

  test('unicode titles, spaces and root entries', async () => {
    const res = await get(`/api/v1/credentials/${encodeURIComponent('Ünïcødé ключ 🔑')}`);
    expect(res.status).toBe(200);
    expect(res.body.path).toBe('Intl/Deep/Ünïcødé ключ 🔑');
    expect(res.body.username).toBe('ユーザー');
    expect((await get('/api/v1/credentials/Odd/with%20spaces%20(and%20parens)')).body.username).toBe('s');
    expect((await get('/api/v1/credentials/root-entry')).body.path).toBe('root-entry');
  });

  test('kind is secret when only a password is set; an empty password reveals as null', async () => {
    expect((await get('/api/v1/credentials/api-secret')).body.kind).toBe('secret');
    const empty = await get('/api/v1/credentials/no-password?show_password=true');
    expect(empty.status).toBe(200);
    expect(empty.body.password).toBeNull();
    expect(empty.body.url).toBeNull();
    expect(empty.body.kind).toBe('credential');
  });

  test('expiry: expires and expired follow the entry', async () => {
    const expired = await get('/api/v1/credentials/expired-one');
    expect(expired.body.expires).toBe('2020-01-01T00:00:00Z');
    expect(expired.body.expired).toBe(true);
    const future = await get('/api/v1/credentials/future-one');
    expect(future.body.expired).toBe(false);
  });

  test('bad names are 400, never 500', async () => {
    expect((await get(`/api/v1/credentials/${'a'.repeat(256)}`)).status).toBe(400);
    expect((await get(`/api/v1/credentials/${'a'.repeat(255)}`)).status).toBe(404);
    expect((await get('/api/v1/credentials/a%00b')).status).toBe(400);
    expect((await get('/api/v1/credentials/a%7Fb')).status).toBe(400);
    expect((await get('/api/v1/credentials/%E0%A4%A')).status).toBe(400);
  });
});

describe('versions', () => {
  test('native history: versions oldest first, each with its modified time', async () => {
    const res = await get('/api/v1/credentials/db-prod/versions');
    expect(res.body).toEqual({
      name: 'db-prod',
      versions: ['0000000001', '0000000002', '0000000003'],
      latest: '0000000003',
      history: [
        { version: '0000000001', modified: '2026-01-01T00:00:00Z' },
        { version: '0000000002', modified: '2026-01-02T00:00:00Z' },
        { version: '0000000003', modified: '2026-01-03T00:00:00Z' },
      ],
    });
  });

  test('?version picks a history item; padded, empty, 0, too long and missing', async () => {
    const pw = async (q: string) => (await get(`/api/v1/credentials/db-prod?show_password=true&version=${q}`)).body.password as string;
    expect(await pw('1')).toBe('prod-pass-v1-Hk27');
    expect(await pw('0000000002')).toBe('prod-pass-v2-Lm54');
    expect(await pw('')).toBe('prod-pass-v3-Zq81');
    expect((await get('/api/v1/credentials/db-prod?version=2')).body.version).toBe('0000000002');
    expect((await get('/api/v1/credentials/db-prod?version=0')).status).toBe(400);
    expect((await get('/api/v1/credentials/db-prod?version=00000000001')).status).toBe(400);
    expect((await get('/api/v1/credentials/db-prod?version=-1')).status).toBe(400);
    expect((await get('/api/v1/credentials/db-prod?version=abc')).status).toBe(400);
    expect((await get('/api/v1/credentials/db-prod?version=4')).status).toBe(404);
  });

  test('mattstash-style entries are one credential; the plain entry beside them is hidden', async () => {
    const res = await get('/api/v1/credentials/api-token?show_password=true');
    expect(res.body).toMatchObject({ name: 'api-token', path: 'Tokens/api-token', version: '0000000003', password: 'token-v3-Ef56', kind: 'secret' });
    expect((await get('/api/v1/credentials/api-token?show_password=1&version=1')).body.password).toBe('token-v1-Ab12');
    const versions = await get('/api/v1/credentials/Tokens/api-token/versions');
    expect(versions.body.versions).toEqual(['0000000001', '0000000002', '0000000003']);
    expect(versions.body.latest).toBe('0000000003');
    expect((await get('/api/v1/credentials/api-token@0000000002')).status).toBe(404);
  });

  test('route suffixes win; an entry named like a suffix is reached with %2F', async () => {
    expect((await get('/api/v1/credentials/Odd/versions')).status).toBe(404);
    const odd = await get('/api/v1/credentials/Odd%2Fversions');
    expect(odd.status).toBe(200);
    expect(odd.body.username).toBe('v');
    expect((await get('/api/v1/credentials/versions')).body.path).toBe('Odd/versions');
  });
});

describe('raw fields', () => {
  test('text/plain values, for shells', async () => {
    const pw = await get('/api/v1/credentials/db-prod/fields/password');
    expect(pw.status).toBe(200);
    expect(pw.headers['content-type']).toMatch(/^text\/plain/);
    expect(pw.text).toBe('prod-pass-v3-Zq81');
    expect((await get('/api/v1/credentials/db-prod/fields/username')).text).toBe('admin');
    expect((await get('/api/v1/credentials/db-prod/fields/api_token')).text).toBe('tok-secret-Wd93');
    expect((await get('/api/v1/credentials/db-prod/fields/database')).text).toBe('app');
    expect((await get('/api/v1/credentials/Databases/Prod/db-prod/fields/password?version=1')).text).toBe('prod-pass-v1-Hk27');
  });

  test('unset standard fields and unknown custom fields are 404; an empty custom field is 200 and empty', async () => {
    expect((await get('/api/v1/credentials/api-secret/fields/url')).status).toBe(404);
    expect((await get('/api/v1/credentials/no-password/fields/password')).status).toBe(404);
    expect((await get('/api/v1/credentials/db-prod/fields/nope')).status).toBe(404);
    for (const word of ['constructor', '__proto__', 'toString']) {
      expect((await get(`/api/v1/credentials/db-prod/fields/${word}`)).status).toBe(404);
    }
    const empty = await get('/api/v1/credentials/db-prod/fields/empty_field');
    expect(empty.status).toBe(200);
    expect(empty.text).toBe('');
  });
});

describe('the list', () => {
  test('every live credential once, sorted by path, with count', async () => {
    const res = await get('/api/v1/credentials');
    expect(res.status).toBe(200);
    const paths = (res.body.credentials as { path: string }[]).map((c) => c.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toEqual([
      'Databases/Prod/db-prod',
      'Databases/db-mongo',
      'Databases/db-special',
      'Intl/Deep/Ünïcødé ключ 🔑',
      'Odd/versions',
      'Odd/with spaces (and parens)',
      'Services/api-secret',
      'Services/expired-one',
      'Services/future-one',
      'Services/no-password',
      'Services/shared',
      'Team/shared',
      'Tokens/api-token',
      'root-entry',
    ]);
    expect(res.body.count).toBe(14);
    expect((res.body.credentials as { password: string | null }[]).every((c) => c.password === '*****' || c.password === null)).toBe(true);
  });

  test('prefix, group, tag, include_expired, limit and offset', async () => {
    const paths = async (q: string) => {
      const res = await get(`/api/v1/credentials?${q}`);
      expect(res.status).toBe(200);
      return { paths: (res.body.credentials as { path: string }[]).map((c) => c.path), count: res.body.count as number };
    };
    expect((await paths('prefix=db-')).paths).toEqual(['Databases/Prod/db-prod', 'Databases/db-mongo', 'Databases/db-special']);
    expect((await paths('group=Databases')).count).toBe(3);
    expect((await paths('group=Databases/Prod')).paths).toEqual(['Databases/Prod/db-prod']);
    expect((await paths('group=Data')).count).toBe(0);
    expect((await paths('tag=env:prod')).paths).toEqual(['Databases/Prod/db-prod']);
    expect((await paths('include_expired=false')).paths).not.toContain('Services/expired-one');
    const page = await paths('limit=2&offset=1');
    expect(page.paths).toEqual(['Databases/db-mongo', 'Databases/db-special']);
    expect(page.count).toBe(14);
    expect((await get('/api/v1/credentials?limit=0')).status).toBe(400);
    expect((await get('/api/v1/credentials?limit=10001')).status).toBe(400);
    expect((await get('/api/v1/credentials?limit=10000')).status).toBe(200);
    expect((await get('/api/v1/credentials?offset=-1')).status).toBe(400);
  });

  test('show_password reveals in the list', async () => {
    const res = await get('/api/v1/credentials?prefix=root&show_password=yes');
    expect(res.body.credentials[0].password).toBe('root-pass-Nw33');
  });
});

describe('errors and HTTP rules', () => {
  test('unknown query parameters and repeated ones are 400 problem+json that teach', async () => {
    const typo = await get('/api/v1/credentials/db-prod?show_pasword=true');
    expect(typo.status).toBe(400);
    expect(typo.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(typo.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
    expect(typo.body.detail).toContain("did you mean 'show_password'");
    expect((await get('/api/v1/credentials/db-prod?version=1&version=2')).status).toBe(400);
    expect((await get('/api/v1/credentials/db-prod?show_password=maybe')).status).toBe(400);
    // Names of Object.prototype's members are words like any other, not booleans.
    for (const word of ['constructor', '__proto__', 'hasOwnProperty', 'toString']) {
      const one = await get(`/api/v1/credentials/db-prod?show_password=${word}`);
      expect([one.status, one.text]).toEqual([400, expect.not.stringContaining('prod-pass-v3-Zq81')]);
      expect((await get(`/api/v1/credentials?show_password=${word}`)).status).toBe(400);
      expect((await get(`/api/v1/credentials?include_expired=${word}`)).status).toBe(400);
    }
  });

  test('unknown routes 404, wrong methods 405 with Allow, bodies 400', async () => {
    const unknown = await get('/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await request(t.app).get('/nope')).status).toBe(404);
    const post = await request(t.app).post('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A);
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toContain('GET');
    expect((await request(t.app).delete('/api/v1/credentials').set('X-API-Key', KEY_A)).status).toBe(405);
    expect((await request(t.app).put('/health')).status).toBe(405);
    const body = await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A).set('Content-Type', 'application/json').send('{"a":1}');
    expect(body.status).toBe(400);
    expect(body.body.detail).toMatch(/bodies are not accepted/);
  });

  test('every answer says no-store, errors included', async () => {
    for (const res of [await get('/api/v1/credentials/none'), await request(t.app).get('/health'), await request(t.app).get('/api/v1/credentials')]) {
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  test('health, mattstash health and ready', async () => {
    expect((await request(t.app).get('/health')).body).toEqual({ status: 'healthy', version: '0.0.0-test' });
    expect((await request(t.app).get('/api/health')).body).toEqual({ status: 'healthy', version: '0.0.0-test' });
    expect((await request(t.app).get('/ready')).body).toEqual({ status: 'ready' });
    const empty = buildApp({ snapshot: null, keysText: KEYS_TEXT });
    const notReady = await request(empty.app).get('/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.headers['content-type']).toMatch(/^application\/json/);
    expect(notReady.body).toEqual({ status: 'not_ready', reason: expect.any(String) });
    expect((await request(empty.app).get('/health')).status).toBe(200);
    expect((await request(empty.app).get('/api/v1/credentials').set('X-API-Key', KEY_A)).status).toBe(503);
  });

  test('one access line per request, with a request id', async () => {
    const res = await get('/api/v1/credentials/db-prod').set('X-Request-Id', 'trace-123');
    expect(res.headers['x-request-id']).toBe('trace-123');
    const line = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['request_id'] === 'trace-123');
    expect(line).toMatchObject({ message: 'request', method: 'GET', path: '/api/v1/credentials/db-prod', status: 200, key: 'alpha' });
  });
});

describe('edges the schema states', () => {
  test('offset takes its documented maximum, 1000000000; one more digit is 400', async () => {
    const last = await get('/api/v1/credentials?offset=1000000000');
    expect(last.status).toBe(200);
    expect(last.body.credentials).toEqual([]);
    expect((await get('/api/v1/credentials?offset=1000000001')).status).toBe(400);
    expect((await get('/api/v1/credentials?offset=10000000000')).status).toBe(400);
  });

  test('an empty attachment name says attachment', async () => {
    const res = await get('/api/v1/credentials/db-prod/attachments/');
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('the attachment name is empty');
  });
});

describe('long query strings', () => {
  test('a parameter after a thousand empty pairs is still checked: unknown or repeated is 400', async () => {
    const padding = '&'.repeat(1000);
    const unknown = await get(`/api/v1/credentials/db-prod?${padding}show_pasword=true`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatch(/show_pasword/);
    expect((await get(`/api/v1/credentials/db-prod?version=1&${padding}version=2`)).status).toBe(400);
    expect((await get(`/api/v1/credentials/db-prod?${padding}version=1`)).body.version).toBe('0000000001');
  });
});
