// The routes that need no key: probes, metrics, this document and Swagger UI.
import type { OpenAPIV3_1 } from 'openapi-types';
import { json, publicOperation, type Paths } from './operation';
import { badRequest, notFound, problem } from './problem-responses';
import { EXAMPLES } from './schemas';

/** The files Swagger UI's page loads from `/docs/`; nothing else of swagger-ui-dist is served. */
export const DOCS_ASSETS = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'swagger-ui-init.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
] as const;

const PROBE = 'Probes are logged at `debug`, so a probe every few seconds does not flood the `info` log. Never rate-limited.';
const NO_QUERY = badRequest('This route takes no query parameters.');

function health(id: string, summary: string): OpenAPIV3_1.OperationObject {
  return publicOperation({
    id,
    tag: 'Probes',
    summary,
    description: `200 while the process runs, from the moment the port opens (the vault may still be opening: /ready says when it is in). ${PROBE}`,
    responses: { '200': json('Health', 'The process runs.'), '400': NO_QUERY },
  });
}

const ready = publicOperation({
  id: 'getReady',
  tag: 'Probes',
  summary: 'Readiness',
  description:
    `200 once a vault is loaded; 503 before (the port opens while the vault does, so a slow key derivation shows here), and from SIGTERM or SIGINT on while requests in flight finish. ${PROBE}`,
  responses: {
    '200': json('Ready', 'A vault is loaded.', EXAMPLES.ready),
    '400': NO_QUERY,
    '503': json(
      'NotReady',
      'Not ready: no vault loaded yet, or shutting down. Plain JSON, not problem+json: a probe\'s answer, not an API error.',
      EXAMPLES.notReady,
    ),
  },
});

const metrics = publicOperation({
  id: 'getMetrics',
  tag: 'Operations',
  summary: 'Prometheus metrics',
  description:
    'Prometheus text format: `kdbx_gateway_http_requests_total` and `kdbx_gateway_http_request_duration_seconds` by ' +
    'method, route template and status; vault entries, load time and reloads; keys-file reloads; ' +
    '`kdbx_gateway_vault_reload_failing` and `kdbx_gateway_keys_reload_failing` (1 from a failed reload until one succeeds); ' +
    '`kdbx_gateway_tls_certificate_expiry_timestamp_seconds` when it serves HTTPS itself; authentication ' +
    'failures; rate-limited requests by limiter; and Node\'s process metrics. Labels carry route templates and status ' +
    'codes, never a credential name or a key. Served unless `METRICS=false` (then 404).',
  responses: {
    '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
    '400': problem(400, 'A request body (nothing here takes one).', { body: 'request bodies are not accepted on this API' }),
  },
});

const openapi = publicOperation({
  id: 'getOpenApi',
  tag: 'Documentation',
  summary: 'This OpenAPI 3.1 document',
  description: 'Built once at start-up. No key.',
  responses: {
    '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } },
    '400': NO_QUERY,
  },
});

const docsRedirect = publicOperation({
  id: 'getDocs',
  tag: 'Documentation',
  summary: 'Swagger UI',
  description: 'Redirects to `/docs/`, the Swagger UI page (its assets load relative to it). No key.',
  responses: {
    '301': {
      description: 'To `/docs/`.',
      headers: { Location: { description: '`docs/` (relative, so it works behind a path prefix).', schema: { type: 'string' } } },
    },
    '400': NO_QUERY,
  },
});

const docsPage = publicOperation({
  id: 'getDocsPage',
  tag: 'Documentation',
  summary: 'Swagger UI page',
  description:
    'Swagger UI for this document, with its own Content-Security-Policy (scripts and styles from this origin only, ' +
    'calls to this origin only, no framing); every other answer keeps `default-src \'none\'`. "Authorize" takes an API ' +
    'key for `X-API-Key` or as a bearer token; it is not stored in the browser (`persistAuthorization: false`).',
  responses: {
    '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
    '400': NO_QUERY,
  },
});

const docsAsset = publicOperation({
  id: 'getDocsAsset',
  tag: 'Documentation',
  summary: "Swagger UI's scripts, styles and icons",
  description: 'The files the Swagger UI page loads; `swagger-ui-init.js` holds this document and the UI settings.',
  parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: [...DOCS_ASSETS] }, example: 'swagger-ui.css' }],
  responses: {
    '200': {
      description: 'The file.',
      content: {
        // swagger-ui-init.js is written here; the bundles come from swagger-ui-dist by their extension.
        'application/javascript': { schema: { type: 'string' } },
        'text/javascript': { schema: { type: 'string' } },
        'text/css': { schema: { type: 'string' } },
        'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
      },
    },
    '400': NO_QUERY,
    '404': notFound('Any other file.', { missing: 'no route GET "/docs/index.html"' }),
  },
});

export function publicPaths(options: { metrics: boolean }): Paths {
  return {
    '/health': { get: health('getHealth', 'Liveness') },
    '/api/health': { get: health('getApiHealth', "Liveness, at mattstash's path") },
    '/ready': { get: ready },
    ...(options.metrics ? { '/metrics': { get: metrics } } : {}),
    '/openapi.json': { get: openapi },
    '/docs': { get: docsRedirect },
    '/docs/': { get: docsPage },
    '/docs/{file}': { get: docsAsset },
  };
}
