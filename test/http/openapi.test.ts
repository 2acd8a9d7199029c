// The OpenAPI document against the app itself: valid 3.1, every route documented, every answer as documented.
import { createRequire } from 'node:module';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { OPEN_ACCESS } from '../../server/app';
import { DOCS_ASSETS } from '../../server/openapi/public-paths';
import type { GatewayApp } from '../../server/app';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf, type EntrySpec } from '../support/vault';
import { ENTRIES, KEY_A, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

mustNotLeak(...SECRET_VALUES, 'JBSWY3DPEHPK3PXP');
checkLogsForLeaks();

/** An entry with a TOTP and an attachment, so those routes can answer 200 too. */
const EXTRA: EntrySpec = {
  group: 'Keys',
  title: 'ssh-deploy',
  username: 'deploy',
  password: 'ssh-pass-Tq29',
  fields: { otp: { protected: 'otpauth://totp/gw:deploy?secret=JBSWY3DPEHPK3PXP' } },
  attachments: { id_ed25519: new TextEncoder().encode('not really a key\n') },
};
mustNotLeak(EXTRA.password);

interface Operation {
  parameters?: { $ref?: string; name?: string }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  info: { version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[]; examples?: unknown[] }>; securitySchemes: Record<string, unknown> };
}

/** What each documented operation is called with to answer its 2xx/3xx (the key is `METHOD path`). */
const SAMPLES: Record<string, { url: string; status: number }> = {
  'GET /health': { url: '/health', status: 200 },
  'GET /api/health': { url: '/api/health', status: 200 },
  'GET /ready': { url: '/ready', status: 200 },
  'GET /metrics': { url: '/metrics', status: 200 },
  'GET /openapi.json': { url: '/openapi.json', status: 200 },
  'GET /docs': { url: '/docs', status: 301 },
  'GET /docs/': { url: '/docs/', status: 200 },
  'GET /docs/{file}': { url: '/docs/swagger-ui.css', status: 200 },
  'GET /api/v1/credentials': { url: '/api/v1/credentials?group=Databases&limit=2', status: 200 },
  'GET /api/v1/credentials/{name}': { url: '/api/v1/credentials/db-prod', status: 200 },
  'GET /api/v1/credentials/{name}/versions': { url: '/api/v1/credentials/Databases%2FProd%2Fdb-prod/versions', status: 200 },
  'GET /api/v1/credentials/{name}/fields/{field}': { url: '/api/v1/credentials/db-prod/fields/username?version=2', status: 200 },
  'GET /api/v1/credentials/{name}/totp': { url: '/api/v1/credentials/ssh-deploy/totp', status: 200 },
  'GET /api/v1/credentials/{name}/attachments/{file}': { url: '/api/v1/credentials/ssh-deploy/attachments/id_ed25519', status: 200 },
  'GET /api/v1/db-url/{name}': { url: '/api/v1/db-url/db-prod?driver=psycopg', status: 200 },
  'POST /api/v1/admin/reload': { url: '/api/v1/admin/reload', status: 200 },
};

/** Express route templates (walked from the app's router) and the documented paths each one serves. */
const ROUTES: Record<string, string[]> = {
  '/health': ['/health'],
  '/api/health': ['/api/health'],
  '/ready': ['/ready'],
  '/metrics': ['/metrics'],
  '/openapi.json': ['/openapi.json'],
  '/docs': ['/docs'],
  '/docs/': ['/docs/'],
  '/docs/:file': ['/docs/{file}'],
  '/api/v1/credentials': ['/api/v1/credentials'],
  '/api/v1/credentials/*rest': [
    '/api/v1/credentials/{name}',
    '/api/v1/credentials/{name}/versions',
    '/api/v1/credentials/{name}/fields/{field}',
    '/api/v1/credentials/{name}/totp',
    '/api/v1/credentials/{name}/attachments/{file}',
  ],
  '/api/v1/db-url/*rest': ['/api/v1/db-url/{name}'],
  '/api/v1/admin/reload': ['/api/v1/admin/reload'],
};

// Ajv is swagger-parser's own dependency: take the copy it uses, with JSON Schema 2020-12 as OpenAPI 3.1 has it.
interface Ajv {
  addSchema(schema: object, key: string): Ajv;
  validate(schema: object, data: unknown): boolean;
  errorsText(): string;
}
const fromParser = createRequire(require.resolve('@apidevtools/swagger-parser'));
const Ajv2020 = (fromParser('ajv/dist/2020') as { default: new (options: object) => Ajv }).default;

let t: TestApp;
let doc: Document;
let ajv: Ajv;

const operations = (): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]): [string, string, Operation] => [method, path, op]));
const pointer = (...segments: string[]): string =>
  `openapi.json#${segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('')}`;

function call(app: GatewayApp, method: string, url: string) {
  const agent = request(app);
  return method === 'post' ? agent.post(url) : method === 'delete' ? agent.delete(url) : agent.get(url);
}

/** The answer is one the document lists for this operation, with a documented type and a body its schema accepts. */
function expectDocumented(method: string, path: string, res: request.Response): void {
  const where = `${method.toUpperCase()} ${path} → ${res.status}`;
  const response = doc.paths[path]?.[method]?.responses[String(res.status)];
  expect({ where, documented: response !== undefined }).toEqual({ where, documented: true });
  if (!response?.content) return;
  const type = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
  expect({ where, type, documented: Object.keys(response.content) }).toEqual({ where, type, documented: expect.arrayContaining([type]) });
  for (const name of Object.keys(response.headers ?? {})) {
    if (name !== 'Location') expect({ where, name, sent: res.headers[name.toLowerCase()] !== undefined }).toEqual({ where, name, sent: true });
  }
  if (!type.includes('json')) return;
  const valid = ajv.validate({ $ref: pointer('paths', path, method, 'responses', String(res.status), 'content', type, 'schema') }, res.body);
  expect({ where, errors: valid ? '' : ajv.errorsText() }).toEqual({ where, errors: '' });
}

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [...ENTRIES, EXTRA]);
  t = buildApp({ snapshot, keysText: KEYS_TEXT, metrics: true, loader: () => Promise.resolve(snapshot) });
  const res = await request(t.app).get('/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Document;
  ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).addSchema(structuredClone(doc), 'openapi.json');
});

describe('the document', () => {
  test('is valid OpenAPI 3.1 for swagger-parser, served without a key as JSON with the no-store policy', async () => {
    const res = await request(t.app).get('/openapi.json');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('0.0.0-test');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  test('documents exactly the routes the Express app serves', () => {
    type Listed = { path: string | RegExp; methods?: string[]; router?: Lister };
    type Lister = { listRoutes(): Listed[] };
    const found: Record<string, string[]> = {};
    const walk = (router: Lister, prefix: string): void => {
      for (const { path, methods, router: child } of router.listRoutes()) {
        const at = `${prefix}${path === '/' && child ? '' : String(path)}`;
        if (child) walk(child, at);
        else found[at] = (methods ?? []).map((m) => m.toLowerCase()).filter((m) => m !== '*' && m !== 'head');
      }
    };
    walk((t.app.express as unknown as { router: Lister }).router, '');
    expect(Object.keys(found).sort()).toEqual(Object.keys(ROUTES).sort());
    const served = Object.entries(found).flatMap(([route, methods]) =>
      (ROUTES[route] ?? []).flatMap((path) => methods.map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const documented = operations().map(([method, path]) => `${method.toUpperCase()} ${path}`);
    expect(served.sort()).toEqual(documented.sort());
    expect(Object.keys(SAMPLES).sort()).toEqual(documented.sort());
  });

  test('leaves /metrics out when METRICS=false', async () => {
    const off = buildApp({ snapshot: null, keysText: KEYS_TEXT });
    const res = await request(off.app).get('/openapi.json');
    expect(Object.keys((res.body as Document).paths)).not.toContain('/metrics');
    expect((await request(off.app).get('/metrics')).status).toBe(404);
  });

  test('the /api/v1 operations take either key scheme; the others none', () => {
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['ApiKeyHeader', 'BearerAuth']);
    expect(doc.components.securitySchemes['ApiKeyHeader']).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes['BearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [, path, op] of operations()) {
      expect({ path, security: op.security }).toEqual({
        path,
        security: path.startsWith('/api/v1/') ? [{ ApiKeyHeader: [] }, { BearerAuth: [] }] : [],
      });
    }
  });

  test("the credential route's statuses are the contract's, and its schema's required fields are a real answer's keys", async () => {
    // API.md §3 (200), §1 (400 bad names and versions, 404, 409), §4 (401, 403), §3 (405), §7 (429, 503).
    const contract = ['200', '400', '401', '403', '404', '405', '409', '429', '503'];
    expect(Object.keys(doc.paths['/api/v1/credentials/{name}']?.['get']?.responses ?? {}).sort()).toEqual(contract);
    const res = await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A);
    expect(res.status).toBe(200);
    expect([...(doc.components.schemas['Credential']?.required ?? [])].sort()).toEqual(Object.keys(res.body as object).sort());
  });

  test('every example matches its schema', () => {
    let checked = 0;
    const check = (schemaRef: string, value: unknown, where: string): void => {
      checked += 1;
      const valid = ajv.validate({ $ref: schemaRef }, value);
      expect({ where, errors: valid ? '' : ajv.errorsText() }).toEqual({ where, errors: '' });
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const example of schema.examples ?? []) check(pointer('components', 'schemas', name), example, name);
    }
    // Media types and parameters: anything with a schema beside an example or named examples.
    const walk = (node: unknown, at: string[]): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      if ('schema' in record && !at.includes('schemas')) {
        if ('example' in record) check(pointer(...at, 'schema'), record['example'], at.join('/'));
        for (const [name, example] of Object.entries((record['examples'] ?? {}) as Record<string, { value: unknown }>)) {
          check(pointer(...at, 'schema'), example.value, `${at.join('/')}/${name}`);
        }
      }
      for (const [key, value] of Object.entries(record)) walk(value, [...at, key]);
    };
    walk(doc, []);
    expect(checked).toBeGreaterThan(40);
  });

  test('describes the choices the contract leaves open and the per-key policies', () => {
    const text = JSON.stringify(doc);
    for (const phrase of [
      'did you mean',
      'given twice',
      'request body',
      'even for routes that do not exist',
      'X-Request-Id',
      'ETags are off',
      'Server timeouts',
      'Repeated `Authorization` or `X-API-Key`',
      '`group=Databases` matches `Databases/Prod/…`, not `DatabasesOld/…`',
      'rollbacks',
      'whether or not the name exists',
      'silently left out',
      'The name may contain `/`',
      '`%2F`',
      'driver=postgresql%2Bpsycopg',
      "(a '+' in a URL query means a space: write it as %2B)",
    ]) {
      expect({ phrase, found: text.includes(phrase) }).toEqual({ phrase, found: true });
    }
  });
});

describe('the app answers as documented', () => {
  test('every documented operation answers its sample with a documented status, type and body', async () => {
    for (const [method, path] of operations()) {
      const sample = SAMPLES[`${method.toUpperCase()} ${path}`];
      if (!sample) throw new Error(`no sample for ${method} ${path}`);
      const res = await call(t.app, method, sample.url).set('X-API-Key', KEY_A);
      expect({ path, status: res.status }).toEqual({ path, status: sample.status });
      expectDocumented(method, path, res);
    }
  });

  test('every documented operation is a route: its example parameters give no "no route" 404', async () => {
    for (const [method, path] of operations()) {
      // The first example of each path parameter, so the parameters' own examples are tried too.
      const url = path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
        const found = (doc.paths[path]?.[method]?.parameters ?? []).find((p) => p.name === name || p.$ref?.toLowerCase().endsWith(`/${name}`));
        const ref = found?.$ref ? (doc as unknown as { components: { parameters: Record<string, unknown> } }).components.parameters[found.$ref.split('/').pop() ?? ''] : found;
        const p = ref as { example?: string; examples?: Record<string, { value: string }> } | undefined;
        return encodeURIComponent(p?.example ?? Object.values(p?.examples ?? {})[0]?.value ?? 'x');
      });
      const res = await call(t.app, method, url).set('X-API-Key', KEY_A);
      expect({ url, noRoute: res.status === 404 && /^no route/.test(String(res.body.detail)) }).toEqual({ url, noRoute: false });
      expectDocumented(method, path, res);
    }
  });

  test('wrong requests answer statuses the document lists, with problem bodies its schema accepts', async () => {
    for (const [method, path] of operations()) {
      const url = (SAMPLES[`${method.toUpperCase()} ${path}`]?.url ?? '').split('?')[0] ?? '';
      const cases = [
        call(t.app, method, url), // no key: 401 on /api/v1, fine elsewhere
        call(t.app, method === 'get' ? 'delete' : 'get', url).set('X-API-Key', KEY_A), // 405
        call(t.app, method, `${url}?bogus=1`).set('X-API-Key', KEY_A), // 400 (not /metrics: it takes any query)
        call(t.app, method, url).set('X-API-Key', KEY_A).set('Content-Type', 'text/plain').send('body'), // 400
      ];
      for (const res of await Promise.all(cases)) expectDocumented(method, path, res);
    }
    for (const path of ['/api/v1/credentials/{name}', '/api/v1/credentials/{name}/versions', '/api/v1/db-url/{name}']) {
      const url = path.replace('{name}', 'shared');
      const res = await request(t.app).get(url).set('X-API-Key', KEY_A);
      expect(res.status).toBe(409);
      expect(res.body.candidates).toEqual(['Services/shared', 'Team/shared']);
      expectDocumented('get', path, res);
      const missing = await request(t.app).get(path.replace('{name}', 'nope')).set('X-API-Key', KEY_A);
      expect(missing.status).toBe(404);
      expectDocumented('get', path, missing);
    }
    const unauthorized = await request(t.app).get('/api/v1/credentials');
    expect(unauthorized.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  test('a gateway with no vault yet answers 503 as documented', async () => {
    const empty = buildApp({ snapshot: null, keysText: KEYS_TEXT });
    for (const [method, path] of operations()) {
      const url = (SAMPLES[`${method.toUpperCase()} ${path}`]?.url ?? '').split('?')[0] ?? '';
      if (path === '/metrics') continue; // off in this app
      expectDocumented(method, path, await call(empty.app, method, url).set('X-API-Key', KEY_A));
    }
    expect((await request(empty.app).get('/ready')).status).toBe(503);
  });

  test('rate-limited requests answer 429 with Retry-After as documented', async () => {
    const limited = buildApp({
      snapshot: t.holder.current(),
      keysText: KEYS_TEXT,
      access: { ...OPEN_ACCESS, rateLimit: { limit: 1, windowMs: 60_000, text: '1/minute' } },
    });
    await request(limited.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A);
    const res = await request(limited.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A);
    expect(res.status).toBe(429);
    expectDocumented('get', '/api/v1/credentials/{name}', res);
  });

  test('undocumented paths are 404', async () => {
    for (const url of [
      '/',
      '/api',
      '/api/v1',
      '/api/v1/nope',
      '/api/v1/db-url',
      '/api/v1/admin',
      '/v1/secret/data/db-prod',
      '/openapi.yaml',
      '/swagger.json',
      '/docs/index.html',
      '/docs/swagger-initializer.js',
      '/docs/swagger-ui-bundle.js.map',
      '/docs/oauth2-redirect.html',
      '/docs/package.json',
      '/docs/swagger-ui.css/x',
    ]) {
      const res = await request(t.app).get(url).set('X-API-Key', KEY_A);
      expect({ url, status: res.status, detail: res.body.detail }).toEqual({ url, status: 404, detail: expect.stringMatching(/^no route GET/) });
    }
  });
});

describe('Swagger UI', () => {
  test('/docs redirects to /docs/, whose page has its own CSP with no inline scripts', async () => {
    const redirect = await request(t.app).get('/docs');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['location']).toBe('docs/');
    const page = await request(t.app).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    expect(page.text).toContain('src="./swagger-ui-init.js"');
  });

  test('the init script carries this document, and the API keeps its strict CSP', async () => {
    const init = await request(t.app).get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.headers['content-type']).toMatch(/javascript/);
    expect(init.text).toContain('"persistAuthorization": false');
    expect(init.text).toContain('"/api/v1/credentials/{name}"');
    const api = await request(t.app).get('/api/v1/credentials/db-prod').set('X-API-Key', KEY_A);
    expect(api.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(api.headers['x-frame-options']).toBe('DENY');
    expect((await request(t.app).get('/docs/')).headers['x-frame-options']).toBe('DENY');
  });

  test('every docs asset answers with a type the document lists', async () => {
    for (const file of DOCS_ASSETS) expectDocumented('get', '/docs/{file}', await request(t.app).get(`/docs/${file}`));
  });

  test('/docs takes no query (no ?url= to point the page at another document)', async () => {
    const res = await request(t.app).get('/docs/?url=https://example.com/evil.json');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/unknown query parameter "url"/);
  });
});
