// The fast lane answers the hot reads exactly as Express would: same status, headers, body, access
// line, audit line and metrics; and everything it does not take reaches Express untouched.
import request from 'supertest';
import { parseCidrs, parseRate, parseTrustProxy } from '../../server/config-parsers';
import type { AuditLine } from '../../server/audit';
import type { Snapshot } from '../../server/vault/snapshot';
import { OPEN_ACCESS, type AccessSettings } from '../../server/app';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

mustNotLeak(...SECRET_VALUES);
checkLogsForLeaks();

const READER = 'key-reader-0f3b5d7e9a1c2e46';
const KEYS = `${KEYS_TEXT}reader:${READER}\n`;
const POLICY_KEYS = JSON.stringify({
  keys: [
    { name: 'alpha', key: KEY_A, reveal: true, allow: ['**'] },
    { name: 'reader', key: READER, reveal: false, allow: ['Databases/**'], deny: ['Databases/db-mongo'] },
  ],
});
mustNotLeak(READER);

// What may differ between two answers to the same request: the clock and the connection.
const VARYING = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

let snapshot: Snapshot;
beforeAll(async () => {
  snapshot = await snapshotOf(VAULT_PASSWORD, ENTRIES);
});

function build(access: AccessSettings = OPEN_ACCESS, keysText = KEYS, keysFile?: string): TestApp {
  return buildApp({ snapshot, keysText, access, metrics: true, now: () => new Date(Date.UTC(2026, 5, 1)), ...(keysFile ? { keysFile } : {}) });
}

/** Counts the requests that reach Express: its app function hands every one to `handle`. */
function expressCalls(t: TestApp): () => number {
  const spy = jest.spyOn(t.app.express as unknown as { handle: (...args: unknown[]) => void }, 'handle');
  return () => spy.mock.calls.length;
}

type Headers = Record<string, string>;
const stable = (headers: Record<string, unknown>): Headers =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)).map(([name, value]) => [name, String(value)]));

function lastAudit(t: TestApp): Partial<AuditLine> {
  const { time: _time, request_id: _id, ...rest } = t.audit.at(-1) ?? ({} as AuditLine);
  return rest;
}

function lastAccess(t: TestApp): Record<string, unknown> {
  const line = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'request').at(-1) ?? {};
  const { timestamp: _ts, duration_ms: _ms, request_id: _id, ...rest } = line;
  return rest;
}

async function metricsOf(t: TestApp): Promise<string> {
  const text = (await t.metrics?.registry.metrics()) ?? '';
  return text
    .split('\n')
    .filter((l) => l.startsWith('kdbx_gateway_http_requests_total') || l.startsWith('kdbx_gateway_http_request_duration_seconds_count'))
    .join('\n');
}

/** Sends one request to the lane and to Express alone, each on a fresh app, and returns both sides. */
async function both(url: string, headers: Headers, access?: AccessSettings, keysText?: string, keysFile?: string) {
  const lane = build(access, keysText, keysFile);
  const plain = build(access, keysText, keysFile);
  const viaExpress = expressCalls(lane);
  const send = (t: TestApp, app: Parameters<typeof request>[0]) => {
    let r = request(app).get(url);
    for (const [name, value] of Object.entries(headers)) r = r.set(name, value);
    return r;
  };
  const a = await send(lane, lane.app);
  const b = await send(plain, plain.app.express);
  return {
    lane: { status: a.status, headers: stable(a.headers), body: a.text, audit: lastAudit(lane), access: lastAccess(lane), metrics: await metricsOf(lane), id: a.headers['x-request-id'] },
    express: { status: b.status, headers: stable(b.headers), body: b.text, audit: lastAudit(plain), access: lastAccess(plain), metrics: await metricsOf(plain) },
    reachedExpress: viaExpress(),
  };
}

const TAKEN: [string, string, Headers][] = [
  ['a masked credential', '/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A }],
  ['a revealed credential by Bearer', '/api/v1/credentials/db-prod?show_password=true', { Authorization: `Bearer ${KEY_A}` }],
  ['an older version', '/api/v1/credentials/db-prod?version=1', { 'X-API-Key': KEY_A }],
  ['a path with %2F', '/api/v1/credentials/Databases%2FProd%2Fdb-prod', { 'X-API-Key': KEY_A }],
  ['a path with literal slashes', '/api/v1/credentials/Databases/Prod/db-prod', { 'X-API-Key': KEY_A }],
  ['a name with spaces', '/api/v1/credentials/with%20spaces%20(and%20parens)', { 'X-API-Key': KEY_A }],
  ['a unicode name', `/api/v1/credentials/${encodeURIComponent('Ünïcødé ключ 🔑')}`, { 'X-API-Key': KEY_A }],
  ['a uuid address', '', { 'X-API-Key': KEY_A }],
  ['a db-url', '/api/v1/db-url/db-prod', { 'X-API-Key': KEY_A }],
  ['a db-url with mask_password=false', '/api/v1/db-url/db-special?mask_password=false', { 'X-API-Key': KEY_A }],
  ['a db-url asking for JSON', '/api/v1/db-url/db-prod?format=jdbc', { 'X-API-Key': KEY_A, Accept: 'application/json' }],
  ['a list page', '/api/v1/credentials?limit=3&offset=2', { 'X-API-Key': KEY_A }],
  ['a revealed list', '/api/v1/credentials?show_password=true', { 'X-API-Key': KEY_A }],
  ['a list with an offered request id', '/api/v1/credentials', { 'X-API-Key': KEY_A, 'X-Request-Id': 'trace-123' }],
];

const HANDED_OVER: [string, string, Headers][] = [
  ['no key', '/api/v1/credentials/db-prod', {}],
  ['a wrong key', '/api/v1/credentials/db-prod', { 'X-API-Key': 'not-a-key-at-all' }],
  ['two keys', '/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A, Authorization: 'Bearer other' }],
  ['a missing name', '/api/v1/credentials/nope', { 'X-API-Key': KEY_A }],
  ['an ambiguous name', '/api/v1/credentials/shared', { 'X-API-Key': KEY_A }],
  ['a missing version', '/api/v1/credentials/db-prod?version=9', { 'X-API-Key': KEY_A }],
  ['an unknown parameter', '/api/v1/credentials/db-prod?show_pasword=true', { 'X-API-Key': KEY_A }],
  ['a bad boolean', '/api/v1/credentials/db-prod?show_password=maybe', { 'X-API-Key': KEY_A }],
  ['a boolean named after an Object member', '/api/v1/credentials/db-prod?show_password=constructor', { 'X-API-Key': KEY_A }],
  ['a repeated parameter', '/api/v1/credentials?limit=1&limit=2', { 'X-API-Key': KEY_A }],
  ['an encoded query', '/api/v1/credentials?prefix=db%2D', { 'X-API-Key': KEY_A }],
  ['a + in a refused driver', '/api/v1/db-url/db-prod?driver=postgresql+psycopg', { 'X-API-Key': KEY_A }],
  ['a + in a refused version', '/api/v1/credentials/db-prod?version=+2', { 'X-API-Key': KEY_A }],
  ['a + in a list parameter', '/api/v1/credentials?limit=+3', { 'X-API-Key': KEY_A }],
  ['a + the parameter takes as a space', '/api/v1/db-url/db-prod?database=my+db', { 'X-API-Key': KEY_A }],
  ['a trailing slash', '/api/v1/credentials/db-prod/', { 'X-API-Key': KEY_A }],
  ['malformed percent-encoding', '/api/v1/credentials/%E0%A4%A', { 'X-API-Key': KEY_A }],
  ['versions', '/api/v1/credentials/db-prod/versions', { 'X-API-Key': KEY_A }],
  ['a field', '/api/v1/credentials/db-prod/fields/username', { 'X-API-Key': KEY_A }],
  ['the mattstash form', '/api/v1/credentials/api-token@0000000002', { 'X-API-Key': KEY_A }],
  ['a db-url as text', '/api/v1/db-url/db-prod', { 'X-API-Key': KEY_A, Accept: 'text/plain' }],
  ['the upper-case prefix', '/API/v1/credentials/db-prod', { 'X-API-Key': KEY_A }],
];

describe('what the lane answers is what Express answers', () => {
  test.each(TAKEN)('%s', async (_what, url, headers) => {
    const target = url === '' ? `/api/v1/credentials/uuid:${snapshot.sorted.find((c) => c.name === 'db-prod')?.uuid ?? ''}` : url;
    const { lane, express, reachedExpress } = await both(target, headers);
    expect(reachedExpress).toBe(0);
    expect(lane.status).toBe(200);
    expect(lane.headers).toEqual(express.headers);
    expect(lane.body).toBe(express.body);
    expect(lane.audit).toEqual(express.audit);
    expect(lane.access).toEqual(express.access);
    expect(lane.metrics).toEqual(express.metrics);
    if (headers['X-Request-Id']) expect(lane.id).toBe(headers['X-Request-Id']);
    else expect(lane.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('what the lane does not take reaches Express, which answers as before', () => {
  test.each(HANDED_OVER)('%s', async (_what, url, headers) => {
    const { lane, express, reachedExpress } = await both(url, headers);
    expect(reachedExpress).toBe(1);
    expect(lane.status).toBe(express.status);
    expect(lane.body).toBe(express.body);
    expect(lane.audit).toEqual(express.audit);
  });
});

test('a request with a body reaches Express and is refused', async () => {
  const t = build();
  const calls = expressCalls(t);
  const res = await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A).set('Content-Type', 'text/plain').send('body');
  expect(res.status).toBe(400);
  expect(calls()).toBe(1);
});

describe('access settings hold on the lane', () => {
  test('a policy: readable names are served by the lane, others refused by Express with the same 403', async () => {
    const allowed = await both('/api/v1/credentials/db-special', { 'X-API-Key': READER }, OPEN_ACCESS, POLICY_KEYS, 'keys.json');
    expect(allowed.reachedExpress).toBe(0);
    expect(allowed.lane.status).toBe(200);
    for (const url of ['/api/v1/credentials/db-mongo', '/api/v1/credentials/root-entry', '/api/v1/credentials/db-special?show_password=true']) {
      const denied = await both(url, { 'X-API-Key': READER }, OPEN_ACCESS, POLICY_KEYS, 'keys.json');
      expect(denied.reachedExpress).toBe(1);
      expect(denied.lane.status).toBe(403);
      expect(denied.lane.body).toBe(denied.express.body);
    }
    const page = await both('/api/v1/credentials?limit=100', { 'X-API-Key': READER }, OPEN_ACCESS, POLICY_KEYS, 'keys.json');
    expect(page.reachedExpress).toBe(0);
    expect(page.lane.body).toBe(page.express.body);
    const listed = JSON.parse(page.lane.body) as { credentials: { path: string }[] };
    expect(listed.credentials.map((c) => c.path)).toEqual(['Databases/Prod/db-prod', 'Databases/db-special']);
  });

  test('RATE_LIMIT: the lane and Express count against one budget', async () => {
    const t = build({ ...OPEN_ACCESS, rateLimit: parseRate('RATE_LIMIT', '4/minute') });
    const calls = expressCalls(t);
    const statuses: number[] = [];
    // Alternate lane-served reads with Express-served ones: together they pass the limit of 4.
    for (const url of ['/api/v1/credentials/db-prod', '/api/v1/credentials/db-prod/versions', '/api/v1/credentials/db-prod', '/api/v1/credentials/db-prod/versions', '/api/v1/credentials/db-prod', '/api/v1/credentials/db-prod']) {
      statuses.push((await request(t.app).get(url).set('X-API-Key', KEY_A)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    // Both 429s came from Express (the lane hands over a request past the limit); the versions reads too.
    expect(calls()).toBe(4);
  });

  test('AUTH_FAIL_LIMIT: after the failures even a good key is refused, on the lane path too', async () => {
    const t = build({ ...OPEN_ACCESS, authFailLimit: parseRate('AUTH_FAIL_LIMIT', '2/minute') });
    expect((await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A)).status).toBe(200);
    for (let i = 0; i < 2; i += 1) expect((await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', 'wrong-key-xyz')).status).toBe(401);
    expect((await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A)).status).toBe(429);
  });

  test('ALLOWED_IPS: a client outside the ranges gets 403 from Express, inside it the lane answers', async () => {
    const outside = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A }, { ...OPEN_ACCESS, allowedIps: parseCidrs('ALLOWED_IPS', '10.0.0.0/8') });
    expect(outside.reachedExpress).toBe(1);
    expect(outside.lane.status).toBe(403);
    const inside = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A }, { ...OPEN_ACCESS, allowedIps: parseCidrs('ALLOWED_IPS', '127.0.0.0/8,::1/128') });
    expect(inside.reachedExpress).toBe(0);
    expect(inside.lane.status).toBe(200);
  });

  test('TRUST_PROXY: the lane reads the client address as Express does', async () => {
    for (const trust of ['1', 'loopback']) {
      const access = { ...OPEN_ACCESS, trustProxy: parseTrustProxy(trust) };
      const r = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A, 'X-Forwarded-For': '203.0.113.9' }, access);
      expect(r.reachedExpress).toBe(0);
      expect(r.lane.audit.client_ip).toBe('203.0.113.9');
      expect(r.lane.audit).toEqual(r.express.audit);
      expect(r.lane.access).toEqual(r.express.access);
    }
    const untrusted = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A, 'X-Forwarded-For': '203.0.113.9' });
    expect(untrusted.lane.audit.client_ip).not.toBe('203.0.113.9');
  });

  test('CORS: a request with an Origin is left to Express, whose CORS headers it gets', async () => {
    const access = { ...OPEN_ACCESS, corsOrigins: ['https://app.example'] };
    const r = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A, Origin: 'https://app.example' }, access);
    expect(r.reachedExpress).toBe(1);
    expect(r.lane.headers['access-control-allow-origin']).toBe('https://app.example');
    const plain = await both('/api/v1/credentials/db-prod', { 'X-API-Key': KEY_A }, access);
    expect(plain.reachedExpress).toBe(0);
    expect(plain.lane.headers).toEqual(plain.express.headers);
  });

  test('a vault not loaded yet: Express answers 503', async () => {
    const t = buildApp({ snapshot: null, keysText: KEYS });
    const calls = expressCalls(t);
    expect((await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A)).status).toBe(503);
    expect(calls()).toBe(1);
  });
});
