// /api/v1/db-url over HTTP: masking by default, exact round trips of awkward passwords, clear 422s.
import request from 'supertest';
import type { DbUrl } from '../../server/present/db-url';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';

const KEY = 'db-url-test-key-71c9e2';
const PASSWORD = 'p@ss:w/rd#?%';
const VAULT_PASSWORD = 'db-url-vault-pass-4a0b';
mustNotLeak(KEY, VAULT_PASSWORD, PASSWORD, 'hunter2@example-9', 'secret-host.internal');
checkLogsForLeaks();

let t: TestApp;
const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY);

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [
    { group: 'Databases', title: 'db-special', username: 'svc@corp', password: PASSWORD, url: 'pg.internal', fields: { database: 'app', sslmode: 'require' } },
    { group: 'Databases', title: 'mongo', username: 'm', password: PASSWORD, url: 'mongodb://mongo.internal/admin?authSource=admin' },
    { group: 'Databases', title: 'no-db', username: 'u', password: 'hunter2@example-9', url: 'db.internal:6000' },
    { group: 'Services', title: 'token-only', password: 'hunter2@example-9' },
    { group: 'Protected', title: 'url', username: 'u', password: PASSWORD, url: { protected: 'secret-host.internal:6543' }, fields: { database: 'app' } },
    { group: 'Protected', title: 'port', username: 'u', password: PASSWORD, url: 'open.internal', fields: { database: 'app', port: { protected: '6543' } } },
    { group: 'Databases', title: 'history', username: 'h', password: 'new-pass-9Qz', history: ['old-pass-8Py'], url: 'h.internal', fields: { database: 'd' } },
  ]);
  t = buildApp({ snapshot, keysText: `tester:${KEY}\n` });
});

type DbUrlBody = DbUrl;

test.each([
  ['postgresql', 5432],
  ['mysql', 3306],
  ['mongodb', 27017],
])('%s: the password survives new URL() and decodeURIComponent unchanged', async (dialect, port) => {
  const res = await get(`/api/v1/db-url/db-special?mask_password=false&dialect=${dialect}`);
  expect(res.status).toBe(200);
  const body = res.body as DbUrlBody;
  const parsed = new URL(body.url);
  expect(parsed.protocol).toBe(`${dialect}:`);
  expect(decodeURIComponent(parsed.password)).toBe(PASSWORD);
  expect(decodeURIComponent(parsed.username)).toBe('svc@corp');
  expect(parsed.hostname).toBe('pg.internal');
  expect(Number(parsed.port)).toBe(port);
  expect(body).toMatchObject({ dialect, host: 'pg.internal', port, database: 'app' });
});

test('a protected URL or port field: masked, a 422 that says why; unmasked, the URL', async () => {
  for (const [name, part] of [['Protected/url', 'URL field'], ['Protected/port', 'port field']]) {
    const masked = await get(`/api/v1/db-url/${name}`);
    expect(masked.status).toBe(422);
    expect((masked.body as { detail: string }).detail).toBe(`the entry's ${part} is protected, so a masked URL cannot be built from it; ask with mask_password=false (needs the reveal right)`);
    expect(masked.text).not.toContain('secret-host');
    const revealed = await get(`/api/v1/db-url/${name}?mask_password=false`);
    expect(revealed.status).toBe(200);
    expect((revealed.body as DbUrlBody).port).toBe(6543);
  }
});

test('masked by default: no part of a password with @ in it shows', async () => {
  for (const name of ['db-special', 'Databases/db-special', 'no-db?dialect=redis']) {
    const res = await get(`/api/v1/db-url/${name}`);
    expect(res.status).toBe(200);
    const url = (res.body as DbUrlBody).url;
    expect(url).toContain(':*****@');
    for (const part of ['p@ss', 'w/rd', 'rd#', 'hunter2', 'example-9']) expect(url).not.toContain(part);
  }
  expect((await get('/api/v1/db-url/db-special')).body).toEqual({
    url: 'postgresql://svc%40corp:*****@pg.internal:5432/app?sslmode=require',
    dialect: 'postgresql',
    driver: null,
    host: 'pg.internal',
    port: 5432,
    database: 'app',
  });
});

test('driver, database and format=jdbc', async () => {
  expect(((await get('/api/v1/db-url/db-special?driver=psycopg')).body as DbUrlBody).url).toMatch(/^postgresql\+psycopg:\/\//);
  expect((await get('/api/v1/db-url/db-special?driver=postgresql%2Bpsycopg')).status).toBe(200);
  expect((await get('/api/v1/db-url/db-special?driver=mysql%2Bpsycopg')).status).toBe(400);
  expect(((await get('/api/v1/db-url/db-special?database=other')).body as DbUrlBody).database).toBe('other');
  const jdbc = (await get('/api/v1/db-url/db-special?format=jdbc')).body as DbUrlBody;
  expect(jdbc.url.startsWith('jdbc:postgresql://pg.internal:5432/app')).toBe(true);
  expect(jdbc.url).not.toContain('p@ss');
  expect((await get('/api/v1/db-url/db-special?format=xml')).status).toBe(400);
  expect((await get('/api/v1/db-url/db-special?dialect=db2')).status).toBe(400);
});

describe("a '+' sent literally in the query is a space (API.md §13.28 writes driver=postgresql+psycopg)", () => {
  const HINT = "(a '+' in a URL query means a space: write it as %2B)";
  const detailOf = async (url: string): Promise<{ status: number; detail: string }> => {
    const res = await get(url);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return { status: res.status, detail: String((res.body as { detail: string }).detail) };
  };

  test('a refused value that came with a + says what the + became, and how to send one', async () => {
    expect(await detailOf('/api/v1/db-url/db-special?driver=postgresql+psycopg')).toEqual({
      status: 400,
      detail: `driver 'postgresql psycopg' is not a driver name: use letters, digits and '_' only, as in 'psycopg' ${HINT}`,
    });
    expect(await detailOf('/api/v1/db-url/db-special?version=+2')).toEqual({
      status: 400,
      detail: `query parameter 'version' must be a version number from 1 to 9999999999, such as 3 or 0000000003 (received " 2") ${HINT}`,
    });
    expect((await detailOf('/api/v1/db-url/db-special?dialect=postgresql+psycopg')).detail).toMatch(/^unknown dialect 'postgresql psycopg'.* \(a '\+' in a URL query means a space: write it as %2B\)$/);
    expect((await detailOf('/api/v1/db-url/db-special?mask_password=+false')).detail).toMatch(/\(received " false"\) \(a '\+' in a URL query/);
    expect((await detailOf('/api/v1/db-url/history?format=jdbc&dialect=oracle&database=app+1')).detail).toMatch(/^the Oracle service name 'app 1' .* \(a '\+' in a URL query/);
    // The parameter's name may itself be encoded: it is the value that matters.
    expect((await detailOf('/api/v1/db-url/db-special?%64river=postgresql+psycopg')).detail).toContain(HINT);
  });

  test('the same value sent as %2B is what the contract accepts; a space is not taken as a +', async () => {
    expect((await get('/api/v1/db-url/db-special?driver=postgresql%2Bpsycopg')).status).toBe(200);
    expect((await get('/api/v1/db-url/db-special?version=%2B2')).status).toBe(400);
    expect((await get('/api/v1/db-url/db-special?driver=postgresql%20psycopg')).status).toBe(400);
  });

  test('no hint where no + was sent, or where the + is not what was refused', async () => {
    // A space sent as %20 was meant as a space.
    expect((await detailOf('/api/v1/db-url/db-special?driver=postgresql%20psycopg')).detail).not.toContain(HINT);
    // The + is in another parameter than the refused one.
    expect((await detailOf('/api/v1/db-url/db-special?database=my+db&driver=bad-name')).detail).not.toContain(HINT);
    // The refusal is not about the value's characters, or does not show the value.
    expect((await detailOf('/api/v1/db-url/db-special?format=jdbc&driver=postgresql+psycopg')).detail).toBe('driver applies to format=url only; drop driver= or ask for format=url');
    expect((await detailOf(`/api/v1/db-url/db-special?database=a+${'b'.repeat(300)}`)).detail).toBe("query parameter 'database' must be at most 255 characters with no control characters");
    // A + that decodes to a space the parameter accepts is no error at all.
    expect(((await get('/api/v1/db-url/db-special?database=my+db')).body as DbUrlBody).database).toBe('my db');
  });
});

test('a whole URL in the entry gives dialect, database and its parameters', async () => {
  const body = (await get('/api/v1/db-url/mongo')).body as DbUrlBody;
  expect(body).toMatchObject({ dialect: 'mongodb', host: 'mongo.internal', port: 27017, database: 'admin' });
  expect(body.url).toContain('authSource=admin');
});

test('Accept: text/plain answers the bare URL', async () => {
  const res = await get('/api/v1/db-url/db-special?mask_password=false').set('Accept', 'text/plain');
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(decodeURIComponent(new URL(res.text).password)).toBe(PASSWORD);
});

test('a version of the credential can be asked for', async () => {
  const url = ((await get('/api/v1/db-url/history?mask_password=false&version=1')).body as DbUrlBody).url;
  expect(decodeURIComponent(new URL(url).password)).toBe('old-pass-8Py');
});

test('422 says what is missing: a host, a database', async () => {
  const noHost = await get('/api/v1/db-url/token-only');
  expect(noHost.status).toBe(422);
  expect(noHost.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((noHost.body as { detail: string }).detail).toMatch(/host/);
  for (const dialect of ['postgresql', 'mysql', 'mariadb', 'mssql', 'oracle']) {
    const noDb = await get(`/api/v1/db-url/no-db?dialect=${dialect}`);
    expect(noDb.status).toBe(422);
    expect((noDb.body as { detail: string }).detail).toMatch(/database/);
  }
  for (const dialect of ['mongodb', 'redis']) expect((await get(`/api/v1/db-url/no-db?dialect=${dialect}`)).status).toBe(200);
  expect(JSON.stringify(noHost.body)).not.toContain('hunter2');
});

test('unknown names are 404 and bad parameters 400', async () => {
  expect((await get('/api/v1/db-url/nothing')).status).toBe(404);
  expect((await get('/api/v1/db-url/db-special?mask_password=nah')).status).toBe(400);
  expect((await get('/api/v1/db-url/db-special?show_password=true')).status).toBe(400);
  expect((await request(t.app).post('/api/v1/db-url/db-special').set('X-API-Key', KEY)).status).toBe(405);
});

test('an empty name after /db-url/ is 400, as after /credentials/; /db-url alone is an unknown route', async () => {
  const empty = await get('/api/v1/db-url/');
  expect(empty.status).toBe(400);
  expect(empty.body.detail).toBe('the credential name is empty');
  const bare = await get('/api/v1/db-url');
  expect(bare.status).toBe(404);
  // The 404 names the path as asked, /api/v1 included.
  expect(bare.body.detail).toBe('no route GET "/api/v1/db-url"');
});

test('Accept: text/plain with a charset parameter gives the bare URL too', async () => {
  for (const accept of ['text/plain', 'text/plain; charset=utf-8', 'text/plain;charset=UTF-8']) {
    const res = await get('/api/v1/db-url/db-special').set('Accept', accept);
    expect({ accept, type: res.headers['content-type'] }).toEqual({ accept, type: 'text/plain; charset=utf-8' });
    expect(res.text).toBe('postgresql://svc%40corp:*****@pg.internal:5432/app?sslmode=require');
  }
});
