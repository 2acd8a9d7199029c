// The OpenAPI 3.1 document of every route the app serves, built once at start-up as a plain object.
import type { OpenAPIV3_1 } from 'openapi-types';
import { API_PATHS } from './api-paths';
import { CREDENTIAL_PATHS } from './credential-paths';
import { PARAMETERS } from './parameters';
import type { Paths } from './operation';
import { HEADERS } from './problem-responses';
import { publicPaths } from './public-paths';
import { schemasFor } from './schemas';

export interface DocumentOptions {
  /** The package version, as /health reports it. */
  readonly version: string;
  /** Whether /metrics is served (METRICS=false turns it off). */
  readonly metrics: boolean;
}

const DESCRIPTION = `
A read-only HTTP gateway that serves credentials from a KeePass (\`.kdbx\`) vault. It never writes the vault.

**Keys.** Every \`/api/v1\` route needs an API key, in \`X-API-Key: <key>\` or \`Authorization: Bearer <key>\` (either
scheme below; both headers with the same key are fine, with different keys 400). Keys from a text keys file and
\`API_KEY\` may read and reveal everything and call admin routes. A YAML or JSON keys file gives each key a policy:
\`allow\`/\`deny\` globs on the credential's name or path (deny wins; an allow glob with a \`/\` is tried on the path
only, and \`G/**\` covers what lies below the group G, not an entry titled G), \`reveal\` (passwords, protected fields, TOTP
codes, attachments), \`admin\`, and \`expires\` (then 401). A key that may not read a name gets 403 whether or not the name
exists (the name read as a path against its globs); a title its policy covers but whose entries its deny globs hide
gets the 404 a missing title would, so deny rules are no oracle either; lists and counts silently leave out what it
may not read. A value resolved from a field reference is served only to a key that may read every entry it drew on; any
other key sees the field as stored (\`{REF:…}\`).

**Every answer** carries \`Cache-Control: no-store\` and \`X-Request-Id\` (the client's own when it is 1–128 characters
of \`A-Z a-z 0-9 . _ : -\`, else a new UUID; it is in every log line of the request). Errors are RFC 9457
\`application/problem+json\` and never hold a secret, a key or a stack trace. Unknown routes are 404; a known route
with another method is 405 with \`Allow\`.

**Choices where the contract is silent.** Unknown query parameters are 400 with a "did you mean" hint, not ignored;
a parameter given twice is 400. A request body on any route is 400, and the connection is closed after the answer.
\`/api/v1/...\` without a key is 401 even for routes that do not exist. Repeated \`Authorization\` or \`X-API-Key\`
headers are 400. \`/api/v1/credentials/\` (an empty name) is 400, not the list. \`db-url\` takes \`version=\` too.
Express's automatic ETags are off. Server timeouts: headers within 10 s, the whole request within 15 s, idle keep-alive
5 s; a connection that never sends a byte is closed by the header limit, over HTTPS too. Requests Node refuses
itself (headers over 16 KB, unknown methods such as \`LIST\` and \`CONNECT\`, an \`Expect\` other than \`100-continue\`,
broken framing, a stalled request) get problem+json too (431, 405, 417, 400, 408), with
\`X-Request-Id\` (and \`Allow\` on a 405); an HTTP/1.1 request without \`Host\` is a problem+json 400.

**Limits.** \`RATE_LIMIT\` per key (per client address before authentication) and \`AUTH_FAIL_LIMIT\` failed
authentications per address answer 429 with \`Retry-After\`; they count \`/api/v1\` requests only. \`ALLOWED_IPS\` covers all
of \`/api\` and \`/v1\` (\`/api/health\` too; \`/health\`, \`/ready\`, \`/metrics\` and \`/docs\` stay open), and its refusals are 403; \`CORS_ORIGINS\` lists the browser origins allowed to call (none by default). Every \`/api/v1\` request that
names or lists credentials writes one audit line.
`.trim();

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenAPIV3_1.InfoObject;
  tags: OpenAPIV3_1.TagObject[];
  paths: Paths;
  components: OpenAPIV3_1.ComponentsObject;
}

export function buildOpenApiDocument(options: DocumentOptions): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'kdbx-gateway',
      version: options.version,
      summary: 'Read-only HTTP gateway serving credentials from a KeePass vault',
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'Credentials', description: 'Credentials, their versions, raw values, TOTP codes and attachments.' },
      { name: 'Database URLs', description: 'Ready connection URLs built from a credential.' },
      { name: 'Admin', description: 'For keys with the admin right.' },
      { name: 'Probes', description: 'Liveness and readiness; no key.' },
      ...(options.metrics ? [{ name: 'Operations', description: 'Metrics; no key.' }] : []),
      { name: 'Documentation', description: 'This document and Swagger UI; no key.' },
    ],
    paths: { ...CREDENTIAL_PATHS, ...API_PATHS, ...publicPaths(options) },
    components: {
      schemas: schemasFor(options.version),
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: {
        ApiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The API key in `X-API-Key`. Send it once: a repeated header is 400.',
        },
        BearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'The same API key as `Authorization: Bearer <key>`. A wrong, missing or expired key is 401 with `WWW-Authenticate: Bearer`.',
        },
      },
    },
  };
}
