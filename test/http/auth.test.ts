// API keys as a user meets them (API.md §4, §13.5, §13.14, §13.33): the two headers, the keys file's
// text forms, what anonymous callers may see, what the access log says, and rotation.
import { createHash } from 'node:crypto';
import request from 'supertest';
import { KeyRing } from '../../server/access/key-ring';
import { KeysFileError, parseKeysText } from '../../server/access/keys-file';
import type { Snapshot } from '../../server/vault/snapshot';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEY_B, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

// Keys only this file uses, for the keys-file forms and rotation; none may reach a log either.
const KEY_C = 'key-charlie-7b1d2e9f0a3c5e84';
const KEY_D = 'key-delta-2c8e4f6a0b9d1e37';
const KEY_E = 'key-echo-9a3f5c7e1b2d4f60';
const KEY_F = 'key-foxtrot-4e6a8c0b2d1f3a59';
const KEY_COLON = 'key:with:colons-6d0b8f2a';
const ROTATED = 'key-rotated-1f3e5a7c9b0d2e48';

mustNotLeak(...SECRET_VALUES, KEY_C, KEY_D, KEY_E, KEY_F, KEY_COLON, ROTATED);
checkLogsForLeaks();

const sha256 = (key: string): string => createHash('sha256').update(key).digest('hex');
const CREDENTIAL = '/api/v1/credentials/db-prod';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}
interface AccessLine {
  message: string;
  request_id: string;
  method: string;
  path: string;
  status: number;
  key: string | null;
}

let snapshot: Snapshot;
let t: TestApp;

beforeAll(async () => {
  snapshot = await snapshotOf(VAULT_PASSWORD, ENTRIES);
  t = buildApp({ snapshot, keysText: KEYS_TEXT, loader: () => Promise.resolve(snapshot) });
});

/** The access line a request with this id wrote. */
function accessLine(app: TestApp, requestId: string): AccessLine | undefined {
  return app.logs
    .map((line) => JSON.parse(line) as AccessLine)
    .find((line) => line.message === 'request' && line.request_id === requestId);
}

/** A 401 as §4 demands: the Bearer challenge and a problem+json body. */
function expectUnauthorized(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.body as Problem;
  expect(body).toMatchObject({ status: 401, title: 'Unauthorized' });
  expect(typeof body.detail).toBe('string');
  expect(JSON.stringify(body)).not.toContain(KEY_A);
}

describe('presenting a key', () => {
  test('X-API-Key works', async () => {
    const res = await request(t.app).get(CREDENTIAL).set('X-API-Key', KEY_A);
    expect(res.status).toBe(200);
    expect((res.body as { name: string }).name).toBe('db-prod');
  });

  test('Authorization: Bearer works, with the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await request(t.app).get(CREDENTIAL).set('Authorization', `${scheme} ${KEY_A}`);
      expect({ scheme, status: res.status }).toEqual({ scheme, status: 200 });
    }
  });

  test('a key stored only as its hash (name:sha256:…) works in either header, with full rights', async () => {
    expect((await request(t.app).get(CREDENTIAL).set('X-API-Key', KEY_B)).status).toBe(200);
    expect((await request(t.app).get(CREDENTIAL).set('Authorization', `Bearer ${KEY_B}`)).status).toBe(200);
    // Text keys may reveal and call admin routes (§4).
    const revealed = await request(t.app).get(`${CREDENTIAL}/fields/password`).set('X-API-Key', KEY_B);
    expect(revealed.status).toBe(200);
    const reload = await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_B);
    expect(reload.status).toBe(200);
    expect((reload.body as { status: string }).status).toBe('reloaded');
  });

  test('the stored hash, or the keys-file line, is not itself a key', async () => {
    for (const notAKey of [`sha256:${sha256(KEY_B)}`, sha256(KEY_B), `bravo:sha256:${sha256(KEY_B)}`, `alpha:${KEY_A}`]) {
      expectUnauthorized(await request(t.app).get(CREDENTIAL).set('X-API-Key', notAKey));
    }
  });

  test('a missing key is 401 with WWW-Authenticate: Bearer, on every /api/v1 route', async () => {
    for (const path of ['/api/v1/credentials', CREDENTIAL, `${CREDENTIAL}/versions`, `${CREDENTIAL}/fields/password`, '/api/v1/db-url/db-prod']) {
      expectUnauthorized(await request(t.app).get(path));
    }
    expectUnauthorized(await request(t.app).post('/api/v1/admin/reload'));
  });

  test('a wrong key is 401, whether near the real one or not', async () => {
    for (const wrong of ['wrong-key-0000000000', KEY_A.toUpperCase(), KEY_A.slice(0, -1), `${KEY_A}x`, ` ${KEY_A}x `]) {
      expectUnauthorized(await request(t.app).get(CREDENTIAL).set('X-API-Key', wrong));
      expectUnauthorized(await request(t.app).get(CREDENTIAL).set('Authorization', `Bearer ${wrong.trim()}`));
    }
    expectUnauthorized(await request(t.app).get(CREDENTIAL).set('X-API-Key', 'k'.repeat(10 * 1024)));
  });

  test('both headers with the same key are fine; with different keys they are 400', async () => {
    const same = await request(t.app).get(CREDENTIAL).set('X-API-Key', KEY_A).set('Authorization', `Bearer ${KEY_A}`);
    expect(same.status).toBe(200);
    const sameB = await request(t.app).get(CREDENTIAL).set('X-API-Key', KEY_B).set('Authorization', `bearer ${KEY_B}`);
    expect(sameB.status).toBe(200);
    for (const [apiKey, bearer] of [
      [KEY_A, KEY_B],
      [KEY_A, 'wrong-key-0000000000'],
      ['wrong-key-0000000000', KEY_A],
    ] as const) {
      const res = await request(t.app).get(CREDENTIAL).set('X-API-Key', apiKey).set('Authorization', `Bearer ${bearer}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.body as Problem;
      expect(body).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(body.detail).toMatch(/X-API-Key/);
      expect(body.detail).not.toContain(KEY_A);
      expect(body.detail).not.toContain(KEY_B);
    }
  });

  test('Authorization: Basic, or Bearer with no token, is 401', async () => {
    for (const value of [
      `Basic ${Buffer.from(`alpha:${KEY_A}`).toString('base64')}`,
      `Basic ${KEY_A}`,
      'Bearer',
      'Bearer ',
      `Token ${KEY_A}`,
      KEY_A,
      `Bearer ${KEY_A} extra`,
    ]) {
      const res = await request(t.app).get(CREDENTIAL).set('Authorization', value);
      expectUnauthorized(res);
      expect((res.body as Problem).detail).toMatch(/Bearer/);
    }
  });
});

describe('what anonymous callers see', () => {
  test('/health, /api/health and /ready need no key, and a bad key does not break them', async () => {
    for (const path of ['/health', '/api/health', '/ready']) {
      expect((await request(t.app).get(path)).status).toBe(200);
      expect((await request(t.app).get(path).set('X-API-Key', 'wrong-key-0000000000')).status).toBe(200);
      expect((await request(t.app).get(path).set('Authorization', 'Basic Zm9vOmJhcg==')).status).toBe(200);
    }
  });

  test('unknown /api/v1 routes are 401 without a key, so routes are not revealed; 404 with one', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/v1/admin', '/api/v1/admin/secrets', '/api/v1', '/api/v1/db-url']) {
      expectUnauthorized(await request(t.app).get(path));
      expect((await request(t.app).get(path).set('X-API-Key', KEY_A)).status).toBe(404);
    }
    // Nor does the method: a wrong method without a key is 401, not 405.
    expectUnauthorized(await request(t.app).delete(CREDENTIAL));
    expect((await request(t.app).delete(CREDENTIAL).set('X-API-Key', KEY_A)).status).toBe(405);
  });
});

describe('the access log', () => {
  test("names the key's name, never the key", async () => {
    await request(t.app).get(CREDENTIAL).set('X-API-Key', KEY_A).set('X-Request-Id', 'auth-log-alpha');
    await request(t.app).get(CREDENTIAL).set('Authorization', `Bearer ${KEY_B}`).set('X-Request-Id', 'auth-log-bravo');
    await request(t.app).get(CREDENTIAL).set('X-API-Key', 'wrong-key-0000000000').set('X-Request-Id', 'auth-log-wrong');
    expect(accessLine(t, 'auth-log-alpha')).toMatchObject({ path: CREDENTIAL, status: 200, key: 'alpha' });
    expect(accessLine(t, 'auth-log-bravo')).toMatchObject({ path: CREDENTIAL, status: 200, key: 'bravo' });
    expect(accessLine(t, 'auth-log-wrong')).toMatchObject({ path: CREDENTIAL, status: 401, key: null });
    const all = t.logs.join('');
    for (const key of [KEY_A, KEY_B, 'wrong-key-0000000000', sha256(KEY_B)]) expect(all).not.toContain(key);
  });
});

describe('the keys file, text form', () => {
  const works = async (app: TestApp, key: string): Promise<number> =>
    (await request(app.app).get('/api/v1/credentials?limit=1').set('X-API-Key', key)).status;

  test('every line form builds a working app: key, name:key, sha256:, name:sha256:', async () => {
    const forms: [string, string, string | null][] = [
      [`${KEY_C}\n`, KEY_C, null],
      [`charlie:${KEY_C}\n`, KEY_C, 'charlie'],
      [`sha256:${sha256(KEY_C)}\n`, KEY_C, null],
      [`sha256:${sha256(KEY_C).toUpperCase()}\n`, KEY_C, null],
      [`charlie:sha256:${sha256(KEY_C)}\n`, KEY_C, 'charlie'],
      // §13.33: `name:key` splits at the first ':', so a key may hold colons.
      [`colons:${KEY_COLON}\n`, KEY_COLON, 'colons'],
    ];
    for (const [text, key, name] of forms) {
      const app = buildApp({ snapshot, keysText: text });
      expect({ text: text.replace(key, '<key>'), status: await works(app, key) }).toEqual({ text: text.replace(key, '<key>'), status: 200 });
      expect(await works(app, 'wrong-key-0000000000')).toBe(401);
      await request(app.app).get('/api/v1/credentials?limit=1').set('X-API-Key', key).set('X-Request-Id', 'forms-line');
      const logged = accessLine(app, 'forms-line')?.key;
      if (name !== null) expect(logged).toBe(name);
      expect(typeof logged).toBe('string');
      expect(logged).not.toContain(key);
    }
  });

  test('comments, blank lines, surrounding spaces and CRLF line endings are all read', async () => {
    const text = [
      '# keys for the gateway',
      '',
      `charlie:${KEY_C}`,
      '   ',
      `  delta:sha256:${sha256(KEY_D)}  `,
      `# old:${KEY_F}`,
      `sha256:${sha256(KEY_E)}`,
      `\t${KEY_F}-not-commented`,
      '',
    ].join('\r\n');
    const app = buildApp({ snapshot, keysText: text });
    expect(app.keys.current().size).toBe(4);
    for (const key of [KEY_C, KEY_D, KEY_E, `${KEY_F}-not-commented`]) expect(await works(app, key)).toBe(200);
    // A commented-out key is no key; neither is a line's hash.
    expect(await works(app, KEY_F)).toBe(401);
    expect(await works(app, `old:${KEY_F}`)).toBe(401);
    expect(await works(app, KEY_A)).toBe(401);
  });

  test('a malformed line rejects the whole file, naming `line N` and never the line', () => {
    const bad: [string, string][] = [
      [`sha256:${sha256(KEY_C).slice(0, 63)}`, 'sha256: with 63 hex'],
      [`charlie:sha256:${sha256(KEY_C).slice(0, 63)}`, 'name:sha256: with 63 hex'],
      [`sha256:${sha256(KEY_C)}0`, 'sha256: with 65 hex'],
      [`sha256:${sha256(KEY_C).slice(0, 63)}g`, 'sha256: with a non-hex character'],
      ['charlie:', 'name: with an empty key'],
      [`charlie:${KEY_C} trailing`, 'name:key with a space in the key'],
      [`${KEY_C} ${KEY_D}`, 'a bare key with a space'],
      [`:${KEY_C}`, 'an empty name'],
      [`char lie:${KEY_C}`, 'a name with a space'],
      [`charlie:${KEY_C}é`, 'a key with a non-ASCII character'],
      // Names tell keys apart in the audit and the rate limits; a key must lead to one name.
      [`alpha:${KEY_C}`, 'a name used twice'],
      [`charlie:${KEY_A}`, 'a key used twice'],
      [`sha256:${sha256(KEY_A)}`, 'a key used twice, once hashed'],
      [`API_KEY:${KEY_C}`, "the API_KEY variable's name"],
      [`line-9:${KEY_C}`, "an unnamed key's name"],
    ];
    for (const [line, why] of bad) {
      for (const eol of ['\n', '\r\n']) {
        const text = ['# header', `alpha:${KEY_A}`, line, `delta:${KEY_D}`, ''].join(eol);
        let thrown: unknown = null;
        try {
          parseKeysText(text);
        } catch (error) {
          thrown = error;
        }
        const message = thrown instanceof Error ? thrown.message : '';
        expect({ why, eol, threw: thrown instanceof KeysFileError }).toEqual({ why, eol, threw: true });
        expect({ why, eol, message: /\bline 3\b/.test(message) }).toEqual({ why, eol, message: true });
        expect((thrown as KeysFileError).line).toBe(3);
        // Neither the line nor any part of it that could be a key.
        expect(message).not.toContain(line);
        for (const part of [KEY_A, KEY_C, KEY_D, sha256(KEY_C).slice(0, 63), 'charlie', 'char lie']) expect(message).not.toContain(part);
        // The whole file is refused: no app is built with the good lines alone.
        expect(() => buildApp({ snapshot, keysText: text })).toThrow(KeysFileError);
      }
    }
  });
});

describe('rotation', () => {
  test('a swapped key ring takes effect at once: the old key 401, the new one 200', async () => {
    const app = buildApp({ snapshot, keysText: KEYS_TEXT });
    expect((await request(app.app).get(CREDENTIAL).set('X-API-Key', KEY_A)).status).toBe(200);
    expect((await request(app.app).get(CREDENTIAL).set('X-API-Key', ROTATED)).status).toBe(401);

    app.keys.swap(new KeyRing(parseKeysText(`alpha:sha256:${sha256(ROTATED)}\nbravo:sha256:${sha256(KEY_B)}\n`)));

    expectUnauthorized(await request(app.app).get(CREDENTIAL).set('X-API-Key', KEY_A));
    expectUnauthorized(await request(app.app).get(CREDENTIAL).set('Authorization', `Bearer ${KEY_A}`));
    expect((await request(app.app).get(CREDENTIAL).set('X-API-Key', ROTATED)).status).toBe(200);
    expect((await request(app.app).get(CREDENTIAL).set('Authorization', `Bearer ${ROTATED}`)).status).toBe(200);
    expect((await request(app.app).get(CREDENTIAL).set('X-API-Key', KEY_B)).status).toBe(200);
    await request(app.app).get(CREDENTIAL).set('X-API-Key', ROTATED).set('X-Request-Id', 'rotated-line');
    expect(accessLine(app, 'rotated-line')?.key).toBe('alpha');
  });
});
