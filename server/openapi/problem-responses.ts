// Error answers as OpenAPI responses: RFC 9457 problem+json bodies, their headers and example details.
import { STATUS_CODES } from 'node:http';
import type { OpenAPIV3_1 } from 'openapi-types';
import { ref } from './schemas';

type Response = OpenAPIV3_1.ResponseObject;
type Header = OpenAPIV3_1.HeaderObject;

export const PROBLEM = 'application/problem+json';

export const HEADERS: Record<string, Header> = {
  WWWAuthenticate: {
    description: 'The challenge: `Bearer realm="kdbx-gateway"`.',
    schema: { type: 'string', example: 'Bearer realm="kdbx-gateway"' },
  },
  RetryAfter: { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1, example: 17 } },
  Allow: { description: 'The methods this path answers.', schema: { type: 'string', example: 'GET, HEAD' } },
};

const header = (name: string): OpenAPIV3_1.ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/** One problem response; `examples` maps an example's name to its `detail`. */
export function problem(
  status: number,
  description: string,
  examples: Record<string, string>,
  options: { headers?: Record<string, OpenAPIV3_1.ReferenceObject>; extras?: Record<string, unknown> } = {},
): Response {
  const title = STATUS_CODES[status] ?? 'Error';
  const named: Record<string, OpenAPIV3_1.ExampleObject> = {};
  for (const [name, detail] of Object.entries(examples)) {
    named[name] = { summary: detail, value: { type: 'about:blank', title, status, detail, ...options.extras } };
  }
  return {
    description,
    ...(options.headers ? { headers: options.headers } : {}),
    content: { [PROBLEM]: { schema: ref('Problem'), examples: named } },
  };
}

const UNKNOWN_PARAMETER = `unknown query parameter "show_pasword"; did you mean 'show_password'?`;

/** 400 on any route: what every route refuses, plus what this route's own parameters refuse. */
export function badRequest(own: string, examples: Record<string, string> = {}): Response {
  return problem(
    400,
    `Bad request. ${own} On every route: an unknown query parameter (not ignored, so a misspelt \`show_pasword=true\` ` +
      'cannot quietly answer masked values; the detail suggests the parameter meant), a parameter given twice, or a ' +
      'request body (nothing here takes one; the connection is closed after the answer). A refused value that was sent ' +
      "with a literal `+` ends with `(a '+' in a URL query means a space: write it as %2B)`: the query is read the standard " +
      'way, so `version=+2` arrives as ` 2`.',
    {
      unknownParameter: UNKNOWN_PARAMETER,
      repeatedParameter: "query parameter 'limit' is given more than once",
      body: 'request bodies are not accepted on this API',
      ...examples,
    },
  );
}

/** 400 for `/api/v1` routes adds the key headers' own rules. */
export function apiBadRequest(own: string, examples: Record<string, string> = {}): Response {
  return badRequest(
    `${own} Repeated \`X-API-Key\` or \`Authorization\` headers, or both headers with different keys, are refused too ` +
      '(Node would keep only the first).',
    { repeatedKey: 'send one X-API-Key or one Authorization header, not several', ...examples },
  );
}

export const NAME_400 =
  'A name that is empty (`/api/v1/credentials/` with nothing after the slash is 400, not the list, so ' +
  '`curl …/credentials/$NAME` with `NAME` unset fails loudly), longer than 255 characters or holding a control ' +
  'character (C0 or DEL), or `uuid:` followed by something that is not a UUID.';

export const NAME_400_EXAMPLES = { emptyName: 'the credential name is empty', controlCharacter: 'the credential name contains a control character' };

export const unauthorized = (): Response =>
  problem(
    401,
    'A missing, wrong or expired API key. Every `/api/v1/...` path answers 401 without a valid key, even one that does not ' +
      'exist, so anonymous callers learn nothing about the API\'s shape. Failed authentications are audited and count ' +
      'toward `AUTH_FAIL_LIMIT`.',
    {
      missing: 'an API key is required: send X-API-Key: <key> or Authorization: Bearer <key>',
      wrong: 'the API key is not valid',
      expired: 'the API key has expired',
    },
    { headers: { 'WWW-Authenticate': header('WWWAuthenticate') } },
  );

export function forbidden(own: string, examples: Record<string, string> = {}): Response {
  return problem(
    403,
    `Forbidden. ${own} Also when \`ALLOWED_IPS\` is set and the client address is not in it.`,
    { allowedIps: 'the client address 203.0.113.7 may not call this API (ALLOWED_IPS)', ...examples },
  );
}

/** Per-key policies (README "Per-key policies"), in the words a 403 on a credential route needs. */
export const POLICY_403 =
  'The key\'s policy does not allow this name: the same 403, with the same detail, whether or not the name exists, so ' +
  'the answer says nothing about names outside the policy (a key whose policy is everything gets the honest 404).';

export const REVEAL_403 = 'Revealing a value (a password, a protected field, a TOTP code, an attachment) needs a key with `reveal: true`.';

export const POLICY_EXAMPLES = { policy: 'this API key may not read db-prod' };

export const notFound = (description: string, examples: Record<string, string>): Response =>
  problem(404, description, examples);

export const methodNotAllowed = (allow: string): Response =>
  problem(405, `This path answers only ${allow}; any other method is 405 with an \`Allow\` header.`, {
    wrongMethod: `DELETE is not allowed here; use ${allow}`,
  }, { headers: { Allow: header('Allow') } });

export const ambiguous = (): Response =>
  problem(
    409,
    'Several entries the key may read share this title: `candidates` lists their paths (or `uuid:` addresses when two share ' +
      'a path too); ask for one of them.',
    { ambiguous: '2 credentials are named shared; ask for one of: Services/shared, Team/shared' },
    { extras: { candidates: ['Services/shared', 'Team/shared'] } },
  );

export const unprocessable = (description: string, examples: Record<string, string>): Response =>
  problem(422, description, examples);

export const tooManyRequests = (): Response =>
  problem(
    429,
    'Over `RATE_LIMIT` (per key; per client address before authentication) or, for the client address, over ' +
      '`AUTH_FAIL_LIMIT` (then every `/api/v1` request from it is 429, a valid key included, until the window passes). ' +
      'Only `/api/v1` requests count, never the probes, `/metrics`, `/openapi.json` or `/docs`.',
    { byKey: 'too many requests with this API key (100/minute); retry in 17 s' },
    { headers: { 'Retry-After': header('RetryAfter') } },
  );

export const unavailable = (): Response =>
  problem(
    503,
    'The vault is not loaded yet (`Retry-After: 1`), or the shared rate-limit store (`RATE_LIMIT_REDIS_URL`) is ' +
      'unreachable (`Retry-After: 5`): the limiter fails closed rather than skip the limits.',
    {
      notLoaded: 'the vault is not loaded yet',
      redis: 'the shared rate-limit store (Redis at redis://redis:6379) is unreachable; try again shortly',
    },
    { headers: { 'Retry-After': header('RetryAfter') } },
  );
