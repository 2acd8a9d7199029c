// Rate limits, client addresses behind proxies, the IP allowlist, CORS, the audit trail and metrics.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { KeyRing } from '../../server/access/key-ring';
import { parseKeysFile } from '../../server/access/load-keys';
import type { KeysSource } from '../../server/access/reload-keys';
import { OPEN_ACCESS, type AccessSettings } from '../../server/app';
import { loadConfig } from '../../server/config';
import { parseBool, parseCidrs, parseOrigins, parseRate, parseTrustProxy } from '../../server/config-parsers';
import { loadKeys } from '../../server/load';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import type { Snapshot } from '../../server/vault/snapshot';

const KEY_A = 'ops-key-alpha-41c7e2';
const KEY_B = 'ops-key-bravo-9d03aa';
const KEYS = `alpha:${KEY_A}\nbravo:${KEY_B}\n`;
const VAULT_PASSWORD = 'ops-vault-pass-0b7d';
mustNotLeak(KEY_A, KEY_B, VAULT_PASSWORD, 'db-pass-Zx81', 'old-pass-Yw72');
checkLogsForLeaks();

let snapshot: Snapshot;
beforeAll(async () => {
  snapshot = await snapshotOf(VAULT_PASSWORD, [
    { group: 'Databases', title: 'db', username: 'admin', password: 'db-pass-Zx81', history: ['old-pass-Yw72'], url: 'db.internal', fields: { database: 'app' } },
  ]);
});

const build = (access: Partial<AccessSettings>, metrics = false): TestApp =>
  buildApp({ snapshot, keysText: KEYS, access: { ...OPEN_ACCESS, ...access }, metrics });
const from = (t: TestApp, ip: string, key?: string) => {
  const req = request(t.app).get('/api/v1/credentials/db').set('X-Forwarded-For', ip);
  return key ? req.set('X-API-Key', key) : req;
};

describe('RATE_LIMIT', () => {
  test('429 problem+json with Retry-After after the limit of one key; other keys go on', async () => {
    const t = build({ rateLimit: parseRate('RATE_LIMIT', '5/minute'), trustProxy: parseTrustProxy('loopback') });
    for (let i = 0; i < 5; i += 1) expect((await from(t, '10.0.0.1', KEY_A)).status).toBe(200);
    const limited = await from(t, '10.0.0.2', KEY_A);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body.detail).toMatch(/too many requests with this API key \(5\/minute\)/);
    // Counted per key: the same address with another key is not limited.
    expect((await from(t, '10.0.0.1', KEY_B)).status).toBe(200);
  });

  test('requests without a valid key are counted per address', async () => {
    const t = build({ rateLimit: parseRate('RATE_LIMIT', '3/minute'), trustProxy: parseTrustProxy('loopback') });
    for (let i = 0; i < 3; i += 1) expect((await from(t, '10.0.0.9')).status).toBe(401);
    expect((await from(t, '10.0.0.9')).status).toBe(429);
    expect((await from(t, '10.0.0.8')).status).toBe(401);
    // Unknown /api/v1 routes count too.
    expect((await request(t.app).get('/api/v1/no-such-route').set('X-Forwarded-For', '10.0.0.7')).status).toBe(401);
    const t2 = build({ rateLimit: parseRate('RATE_LIMIT', '2/minute') });
    for (let i = 0; i < 2; i += 1) expect((await request(t2.app).get('/api/v1/no-such-route').set('X-API-Key', KEY_A)).status).toBe(404);
    expect((await request(t2.app).get('/api/v1/no-such-route').set('X-API-Key', KEY_A)).status).toBe(429);
    // Probes are never counted.
    for (let i = 0; i < 10; i += 1) expect((await request(t.app).get('/health').set('X-Forwarded-For', '10.0.0.9')).status).toBe(200);
  });
});

describe('RATE_LIMIT follows a key, not the line it is on', () => {
  const UNNAMED_A = 'unnamed-key-alpha-7e51c0';
  const UNNAMED_B = 'unnamed-key-bravo-3f92d4';
  mustNotLeak(UNNAMED_A, UNNAMED_B);
  const ring = (text: string) => new KeyRing(parseKeysFile('keys.txt', text));

  test('an unnamed key that moves to another line keeps its budget, and does not hand it to the key now on its old line', async () => {
    const t = buildApp({ snapshot, keysText: `${UNNAMED_A}\n${UNNAMED_B}\n`, access: { ...OPEN_ACCESS, rateLimit: parseRate('RATE_LIMIT', '3/minute') } });
    const get = (key: string) => request(t.app).get('/api/v1/credentials/db').set('X-API-Key', key);
    for (let i = 0; i < 3; i += 1) expect((await get(UNNAMED_A)).status).toBe(200);
    expect((await get(UNNAMED_A)).status).toBe(429);
    // A's line goes: B is line-1 now, as A was.
    t.keys.swap(ring(`${UNNAMED_B}\n`));
    expect((await get(UNNAMED_B)).status).toBe(200);
    // A comes back below a comment, as line-3: still over its limit.
    t.keys.swap(ring(`${UNNAMED_B}\n# restored\n${UNNAMED_A}\n`));
    expect((await get(UNNAMED_A)).status).toBe(429);
    // The audit still names each by its line, as the README says.
    expect(t.audit.filter((a) => a.status === 200).map((a) => a.key)).toEqual(['line-1', 'line-1', 'line-1', 'line-1']);
  });

  test('a named key keeps its budget when its key is rotated', async () => {
    const t = buildApp({ snapshot, keysText: `alpha:${UNNAMED_A}\n`, access: { ...OPEN_ACCESS, rateLimit: parseRate('RATE_LIMIT', '2/minute') } });
    const get = (key: string) => request(t.app).get('/api/v1/credentials/db').set('X-API-Key', key);
    for (let i = 0; i < 2; i += 1) expect((await get(UNNAMED_A)).status).toBe(200);
    t.keys.swap(ring(`alpha:${UNNAMED_B}\n`));
    expect((await get(UNNAMED_B)).status).toBe(429);
  });
});

describe('AUTH_FAIL_LIMIT', () => {
  test('after the limit of bad keys from one address even a good key from it is refused; others are not', async () => {
    const t = build({ authFailLimit: parseRate('AUTH_FAIL_LIMIT', '4/minute'), trustProxy: parseTrustProxy('loopback') });
    for (let i = 0; i < 4; i += 1) expect((await from(t, '10.1.1.1', `wrong-${i}`)).status).toBe(401);
    const good = await from(t, '10.1.1.1', KEY_A);
    expect(good.status).toBe(429);
    expect(good.headers['retry-after']).toBeDefined();
    expect(good.body.detail).toMatch(/failed authentications/);
    expect((await from(t, '10.1.1.2', KEY_A)).status).toBe(200);
  });

  test('many good requests in flight at once never count as failures', async () => {
    const t = build({ authFailLimit: parseRate('AUTH_FAIL_LIMIT', '2/minute') });
    const answers = await Promise.all(Array.from({ length: 40 }, () => request(t.app).get('/api/v1/credentials/db').set('X-API-Key', KEY_A)));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
  });

  test('spoofed X-Forwarded-For does not change the client address when TRUST_PROXY is unset', async () => {
    const t = build({ authFailLimit: parseRate('AUTH_FAIL_LIMIT', '3/minute') });
    for (let i = 0; i < 3; i += 1) expect((await from(t, `203.0.113.${i}`, 'wrong')).status).toBe(401);
    expect((await from(t, '198.51.100.7', KEY_A)).status).toBe(429);
    expect(new Set(t.audit.map((a) => a.client_ip))).toEqual(new Set([expect.stringMatching(/127\.0\.0\.1$/)]));
  });
});

describe('TRUST_PROXY, ALLOWED_IPS and CORS', () => {
  test('TRUST_PROXY takes hop counts and CIDRs, and refuses true', () => {
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(() => parseTrustProxy('true')).toThrow(/TRUST_PROXY=true is refused/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/TRUST_PROXY/);
    // Each of these trusts any client's X-Forwarded-For, as true does.
    expect(() => parseTrustProxy('99')).toThrow(/TRUST_PROXY=99 is refused/);
    expect(() => parseTrustProxy('loopback, 0.0.0.0/0')).toThrow(/0\.0\.0\.0\/0 is refused/);
    expect(() => parseTrustProxy('::/0')).toThrow(/::\/0 is refused/);
  });

  test('settings named after Object members are refused, not taken as a unit or a boolean', () => {
    expect(() => parseRate('RATE_LIMIT', '5/constructor')).toThrow(/RATE_LIMIT must look like 100\/minute/);
    expect(() => parseRate('RATE_LIMIT', '5/__proto__')).toThrow(/RATE_LIMIT/);
    expect(() => parseBool('METRICS', 'constructor', true)).toThrow(/METRICS must be true or false/);
  });

  test('a trusted proxy\'s X-Forwarded-For is the client address in the audit trail', async () => {
    const t = build({ trustProxy: parseTrustProxy('loopback') });
    await from(t, '192.0.2.44', KEY_A);
    expect(t.audit.at(-1)?.client_ip).toBe('192.0.2.44');
  });

  test('ALLOWED_IPS refuses other addresses with 403 on /api and leaves the probes alone', async () => {
    const t = build({ allowedIps: parseCidrs('ALLOWED_IPS', '10.0.0.0/8, 192.0.2.7'), trustProxy: parseTrustProxy('loopback') });
    expect((await from(t, '10.20.30.40', KEY_A)).status).toBe(200);
    expect((await from(t, '192.0.2.7', KEY_A)).status).toBe(200);
    const outside = await from(t, '192.0.2.8', KEY_A);
    expect(outside.status).toBe(403);
    expect(outside.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await request(t.app).get('/health').set('X-Forwarded-For', '192.0.2.8')).status).toBe(200);
    expect((await request(t.app).get('/ready').set('X-Forwarded-For', '192.0.2.8')).status).toBe(200);
    // All of /api and /v1 (API.md §7): mattstash's /api/health, and paths with no route there yet.
    for (const path of ['/api/health', '/API/Health', '/api/other', '/v1/secret/data/x', '/V1']) {
      const refused = await request(t.app).get(path).set('X-Forwarded-For', '192.0.2.8');
      expect({ path, status: refused.status, type: refused.headers['content-type'] }).toEqual({ path, status: 403, type: expect.stringMatching(/^application\/problem\+json/) });
    }
    expect((await request(t.app).get('/api/health').set('X-Forwarded-For', '10.1.1.1')).status).toBe(200);
    expect((await request(t.app).get('/v1/secret/data/x').set('X-Forwarded-For', '10.1.1.1')).status).toBe(404);
    // /api/v1 refusals still go through its own guard, after the audit trail.
    await from(t, '192.0.2.8', KEY_A).set('X-Request-Id', 'outside-1');
    expect(t.audit.find((a) => a.request_id === 'outside-1')).toMatchObject({ status: 403 });
    expect(() => parseCidrs('ALLOWED_IPS', '10.0.0.0/8, nonsense')).toThrow(/ALLOWED_IPS: "nonsense" is not an IP address or a CIDR/);
  });

  test('CORS: listed origins get the headers and a preflight, others nothing; * is refused', async () => {
    const t = build({ corsOrigins: parseOrigins('https://app.example.com') });
    const allowed = await request(t.app).get('/api/v1/credentials/db').set('Origin', 'https://app.example.com').set('X-API-Key', KEY_A);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await request(t.app).get('/api/v1/credentials/db').set('Origin', 'https://evil.example').set('X-API-Key', KEY_A);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(t.app)
      .options('/api/v1/credentials/db')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'X-API-Key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-API-Key/i);
    const closed = build({});
    expect((await request(closed.app).get('/api/v1/credentials/db').set('Origin', 'https://app.example.com').set('X-API-Key', KEY_A)).headers['access-control-allow-origin']).toBeUndefined();
    expect(() => parseOrigins('*')).toThrow(/\* is refused/);
    expect(() => parseOrigins('https://app.example.com/path')).toThrow(/not an origin/);
  });
});

describe('shutdown', () => {
  test('a gateway shutting down answers /ready 503 (with its reason) and /health 200', async () => {
    const t = build({});
    t.holder.setNotReady('shutting down');
    const ready = await request(t.app).get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', reason: 'shutting down' });
    expect((await request(t.app).get('/health')).status).toBe(200);
    expect((await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', KEY_A)).status).toBe(200);
  });
});

describe('audit', () => {
  test('one line per /api/v1 request with the §13.32 fields: reads, lists, denials, failed authentications', async () => {
    const t = build({});
    await request(t.app).get('/api/v1/credentials/db?show_password=true&version=1').set('X-API-Key', KEY_A).set('X-Request-Id', 'audit-read');
    await request(t.app).get('/api/v1/credentials').set('X-API-Key', KEY_A).set('X-Request-Id', 'audit-list');
    await request(t.app).get('/api/v1/credentials/nope').set('X-API-Key', KEY_A).set('X-Request-Id', 'audit-missing');
    await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', 'not-a-key').set('X-Request-Id', 'audit-fail');
    await request(t.app).get('/api/v1/credentials/db/fields/password').set('X-API-Key', KEY_B).set('X-Request-Id', 'audit-field');
    await request(t.app).get('/api/v1/credentials/db?version=0').set('X-API-Key', KEY_A).set('X-Request-Id', 'audit-bad-version');
    await request(t.app).get('/api/v1/db-url/db?dialect=nosuch').set('X-API-Key', KEY_A).set('X-Request-Id', 'audit-bad-dialect');
    await request(t.app).get('/health').set('X-Request-Id', 'audit-health');
    const byId = new Map(t.audit.map((line) => [line.request_id, line]));
    expect(byId.get('audit-read')).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      audit: true,
      request_id: 'audit-read',
      key: 'alpha',
      client_ip: expect.stringMatching(/127\.0\.0\.1$/),
      method: 'GET',
      route: '/api/v1/credentials/{name}',
      credential: 'Databases/db',
      version: '0000000001',
      revealed: true,
      status: 200,
    });
    expect(byId.get('audit-list')).toMatchObject({ route: '/api/v1/credentials', credential: null, revealed: false, status: 200 });
    // An error answer keeps the route's full template, as a 200 does: one series per route in dashboards.
    expect(byId.get('audit-missing')).toMatchObject({ route: '/api/v1/credentials/{name}', credential: 'nope', status: 404 });
    // Refused before any route was matched: no template to give.
    expect(byId.get('audit-fail')).toMatchObject({ route: 'unmatched', key: null, status: 401 });
    expect(byId.get('audit-field')).toMatchObject({ key: 'bravo', route: '/api/v1/credentials/{name}/fields/{field}', revealed: true, status: 200 });
    // A query refused before the lookup is still audited under the name asked for.
    expect(byId.get('audit-bad-version')).toMatchObject({ route: '/api/v1/credentials/{name}', credential: 'db', version: null, revealed: false, status: 400 });
    expect(byId.get('audit-bad-dialect')).toMatchObject({ route: '/api/v1/db-url/{name}', credential: 'Databases/db', status: 400 });
    expect(byId.has('audit-health')).toBe(false);
    expect(JSON.stringify(t.audit)).not.toMatch(/ops-key-|db-pass|old-pass/);
  });
});

describe('metrics', () => {
  test('/metrics: route templates and statuses, vault gauges, auth failures, rate limits; never a name or key', async () => {
    const t = buildApp({ snapshot, keysText: KEYS, metrics: true, access: { ...OPEN_ACCESS, rateLimit: parseRate('RATE_LIMIT', '2/minute') } });
    await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', KEY_A);
    await request(t.app).get('/api/v1/credentials/db/versions').set('X-API-Key', KEY_A);
    await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', KEY_A);
    await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', 'bad-key-value');
    expect((await request(t.app).get('/api/v1/db-url/db?dialect=nosuch').set('X-API-Key', KEY_B)).status).toBe(400);
    // Routing ignores case; the labels keep the templates as written, whatever the client's casing.
    expect((await request(t.app).get('/API/V1/credentials/db/versions').set('X-API-Key', KEY_B)).status).toBe(200);
    expect((await request(t.app).get('/DOCS/swagger-ui.css')).status).toBe(200);
    expect((await request(t.app).post('/docs/swagger-ui.css')).status).toBe(405);
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/kdbx_gateway_http_requests_total\{method="GET",route="\/api\/v1\/credentials\/\{name\}",status="200"\} 1/);
    // Both /versions reads (one asked as /API/V1/…) are one series.
    expect(text).toMatch(/kdbx_gateway_http_requests_total\{method="GET",route="\/api\/v1\/credentials\/\{name\}\/versions",status="200"\} 2/);
    // Error answers are counted under the same template as successes.
    expect(text).toMatch(/kdbx_gateway_http_requests_total\{method="GET",route="\/api\/v1\/db-url\/\{name\}",status="400"\} 1/);
    expect(text).not.toMatch(/route="\/(credentials|db-url)/);
    expect(text).toMatch(/kdbx_gateway_http_requests_total\{method="GET",route="\/docs\/:file",status="200"\} 1/);
    expect(text).toMatch(/kdbx_gateway_http_requests_total\{method="POST",route="\/docs\/:file",status="405"\} 1/);
    expect(text).not.toMatch(/route="\/(API|DOCS|:file)/);
    expect(text).toMatch(/kdbx_gateway_rate_limited_total\{limiter="key"\} 1/);
    expect(text).toMatch(/kdbx_gateway_auth_failures_total 1/);
    expect(text).toMatch(/kdbx_gateway_vault_entries 1/);
    expect(text).toMatch(/kdbx_gateway_vault_loaded_timestamp_seconds \d/);
    expect(text).toMatch(/kdbx_gateway_http_request_duration_seconds_bucket/);
    expect(text).not.toMatch(/Databases|"db"|alpha|ops-key|bad-key/);
    expect((await request(build({}).app).get('/metrics')).status).toBe(404);
    // Like every other route, /metrics refuses query parameters it does not read.
    const asked = await request(t.app).get('/metrics?format=json');
    expect(asked.status).toBe(400);
    expect(asked.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('reloads are counted by result', async () => {
    let fail = false;
    const t = buildApp({ snapshot, keysText: KEYS, metrics: true, loader: () => (fail ? Promise.reject(Object.assign(new Error('bad file'), { code: 'FileCorrupt' })) : Promise.resolve(snapshot)) });
    // Every series exists from the start at 0: Prometheus' increase() misses a series born at 1.
    const fresh = (await request(t.app).get('/metrics')).text;
    for (const kind of ['vault', 'keys']) for (const result of ['success', 'failure']) expect(fresh).toMatch(new RegExp(`^kdbx_gateway_${kind}_reloads_total\\{result="${result}"\\} 0$`, 'm'));
    expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A)).status).toBe(200);
    fail = true;
    const failed = await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A);
    expect(failed.status).toBe(409);
    expect(failed.body.detail).toMatch(/FileCorrupt/);
    const text = (await request(t.app).get('/metrics')).text;
    expect(text).toMatch(/kdbx_gateway_vault_reloads_total\{result="success"\} 1/);
    expect(text).toMatch(/kdbx_gateway_vault_reloads_total\{result="failure"\} 1/);
  });

  test('kdbx_gateway_vault_reload_failing stays 1 from a failed reload until one succeeds', async () => {
    let fail = false;
    const t = buildApp({ snapshot, keysText: KEYS, metrics: true, loader: () => (fail ? Promise.reject(Object.assign(new Error('bad file'), { code: 'FileCorrupt' })) : Promise.resolve(snapshot)) });
    const failing = async (): Promise<string | undefined> => /^kdbx_gateway_vault_reload_failing (\d+)$/m.exec((await request(t.app).get('/metrics')).text)?.[1];
    expect(await failing()).toBe('0');
    fail = true;
    expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A)).status).toBe(409);
    expect(await failing()).toBe('1');
    expect(await failing()).toBe('1');
    fail = false;
    expect((await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A)).status).toBe(200);
    expect(await failing()).toBe('0');
  });
});

describe('admin reload reads the keys file again (RELOAD=off rotates keys this way)', () => {
  const ROTATED = 'ops-key-rotated-5e21b8';
  mustNotLeak(ROTATED);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kdbx-admin-reload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The keys file on disk, read back as main.ts reads it (loadConfig, then loadKeys). */
  function withKeysFile(text: string, loader?: () => Promise<Snapshot>): { t: TestApp; write: (text: string) => void } {
    const file = path.join(dir, 'api_keys.txt');
    writeFileSync(file, text);
    const config = loadConfig({ KDBX_PASSWORD: VAULT_PASSWORD, API_KEYS_FILE: file }, { readText: (f) => readFileSync(f, 'utf8'), exists: existsSync });
    const keysSource: KeysSource = { files: [file], read: () => loadKeys(config) };
    const t = buildApp({ snapshot, keysText: text, metrics: true, loader: loader ?? (() => Promise.resolve(snapshot)), keysSource });
    return { t, write: (next) => writeFileSync(file, next) };
  }
  const reload = (t: TestApp, key = KEY_A) => request(t.app).post('/api/v1/admin/reload').set('X-API-Key', key);
  // The fast lane answers the first; Express alone the second.
  const statuses = async (t: TestApp, key: string): Promise<number[]> => [
    (await request(t.app).get('/api/v1/credentials/db').set('X-API-Key', key)).status,
    (await request(t.app).get('/api/v1/credentials/db/versions').set('X-API-Key', key)).status,
  ];

  test('a key added to the file works after the reload, and a removed one stops, on both paths', async () => {
    const { t, write } = withKeysFile(KEYS);
    write(`alpha:${KEY_A}\nrotated:${ROTATED}\n`);
    expect(await statuses(t, ROTATED)).toEqual([401, 401]);
    const res = await reload(t);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'reloaded', entries: 1, keys: { status: 'reloaded', count: 2 } });
    expect(await statuses(t, ROTATED)).toEqual([200, 200]);
    expect(await statuses(t, KEY_B)).toEqual([401, 401]);
    expect(await statuses(t, KEY_A)).toEqual([200, 200]);
    const text = (await request(t.app).get('/metrics')).text;
    expect(text).toMatch(/^kdbx_gateway_keys_reloads_total\{result="success"\} 1$/m);
    const logged = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'keys reloaded');
    expect(logged).toMatchObject({ level: 'info', keys: 2, key: 'alpha' });
  });

  test('a broken keys file keeps the previous keys and is 409, saying why; the vault still reloads', async () => {
    const { t, write } = withKeysFile(KEYS);
    write(`alpha:${KEY_A}\nsha256:not-a-hash\nrotated:${ROTATED}\n`);
    const res = await reload(t);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/^the keys file did not load \(KeysFileInvalid\): API_KEYS_FILE: .*line 2: .*; the previous keys stay in force; the vault was reloaded \(1 entry\)$/);
    expect(res.body.entries).toBe(1);
    expect(res.body.keys).toEqual({ status: 'failed', count: 2, code: 'KeysFileInvalid', detail: expect.stringMatching(/^API_KEYS_FILE: .*api_keys\.txt: line 2: .*; the previous keys stay in force$/) });
    expect(await statuses(t, KEY_B)).toEqual([200, 200]);
    expect(await statuses(t, ROTATED)).toEqual([401, 401]);
    const text = (await request(t.app).get('/metrics')).text;
    expect(text).toMatch(/^kdbx_gateway_keys_reloads_total\{result="failure"\} 1$/m);
    expect(text).toMatch(/^kdbx_gateway_keys_reload_failing 1$/m);
    const warned = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'keys file reload failed; the previous keys stay in force');
    expect(warned).toMatchObject({ level: 'warn', code: 'KeysFileInvalid', key: 'alpha', reason: expect.stringMatching(/line 2/) });
    // An empty file and a missing one are refused the same way.
    write('# nothing here\n');
    expect((await reload(t)).body.keys).toMatchObject({ status: 'failed', count: 2, code: 'NoKeys' });
    rmSync(path.join(dir, 'api_keys.txt'));
    expect((await reload(t)).body.keys).toMatchObject({ status: 'failed', count: 2, code: 'ENOENT' });
    expect(await statuses(t, KEY_A)).toEqual([200, 200]);
  });

  test('a vault that fails to open is 409, and its answer says the keys were read all the same', async () => {
    const { t, write } = withKeysFile(KEYS, () => Promise.reject(Object.assign(new Error('bad file'), { code: 'FileCorrupt' })));
    write(`alpha:${KEY_A}\nrotated:${ROTATED}\n`);
    const res = await reload(t);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toBe('reload failed (FileCorrupt): bad file; the last good vault is still served; the keys file was read again (2 keys in force)');
    expect(res.body.keys).toEqual({ status: 'reloaded', count: 2 });
    expect(await statuses(t, ROTATED)).toEqual([200, 200]);
  });

  test('without a keys file the answer says there was none to read', async () => {
    const t = build({});
    const res = await request(t.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A);
    expect(res.status).toBe(409); // this app has no vault file either
    const withVault = buildApp({ snapshot, keysText: KEYS, loader: () => Promise.resolve(snapshot) });
    const ok = await request(withVault.app).post('/api/v1/admin/reload').set('X-API-Key', KEY_A);
    expect(ok.status).toBe(200);
    expect(ok.body.keys).toEqual({ status: 'no_file', count: 2, detail: expect.stringMatching(/^no keys file is configured/) });
  });
});
