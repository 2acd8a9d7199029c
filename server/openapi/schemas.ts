// The JSON bodies of API.md §2, §3, §5 and §10 as OpenAPI 3.1 (JSON Schema 2020-12) schemas, with examples.
import type { OpenAPIV3_1 } from 'openapi-types';

type Schema = OpenAPIV3_1.SchemaObject;

export const ref = (name: string): OpenAPIV3_1.ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

const VERSION_PATTERN = '^\\d{10}$';
const TIME = 'UTC to the second, as KeePass keeps times (`2026-03-04T05:06:07Z`).';
const nullableText = (description: string): Schema => ({ type: ['string', 'null'], description });
const time = (description: string): Schema => ({ type: ['string', 'null'], format: 'date-time', description: `${description} ${TIME}` });

/** The contract's own example values (API.md §2, §3, §5, §10, §6). */
export const EXAMPLES = {
  credential: {
    name: 'db-prod',
    path: 'Databases/Prod/db-prod',
    uuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    kind: 'credential',
    username: 'admin',
    password: '*****',
    url: 'db.internal:5432',
    notes: 'Production database',
    tags: ['prod'],
    fields: { database: 'app', sslmode: 'require', api_token: '*****' },
    version: '0000000003',
    created: '2026-01-02T03:04:05Z',
    modified: '2026-03-04T05:06:07Z',
    expires: null,
    expired: false,
    otp: false,
    attachments: [],
  },
  versions: {
    name: 'db-prod',
    versions: ['0000000001', '0000000002'],
    latest: '0000000002',
    history: [
      { version: '0000000001', modified: '2026-01-02T03:04:05Z' },
      { version: '0000000002', modified: '2026-03-04T05:06:07Z' },
    ],
  },
  dbUrl: {
    url: 'postgresql+psycopg://admin:*****@db.internal:5432/app?sslmode=require',
    dialect: 'postgresql',
    driver: 'psycopg',
    host: 'db.internal',
    port: 5432,
    database: 'app',
  },
  totp: { code: '492039', period: 30, digits: 6, algorithm: 'SHA1', expires_in: 17 },
  reloaded: { status: 'reloaded', entries: 42, keys: { status: 'reloaded', count: 3 } },
  keysFailed: {
    status: 'failed',
    count: 3,
    code: 'KeysFileInvalid',
    detail: "API_KEYS_FILE: /run/secrets/api_keys.txt: line 4: a sha256: value must be 64 hexadecimal characters; the previous keys stay in force",
  },
  keysNoFile: {
    status: 'no_file',
    count: 1,
    detail: 'no keys file is configured (API_KEYS_FILE, API_KEY_FILE): the keys in force change only with a restart',
  },
  ready: { status: 'ready' },
  notReady: { status: 'not_ready', reason: 'the vault has not been loaded yet' },
} as const;

export const DIALECTS = ['postgresql', 'mysql', 'mariadb', 'mssql', 'oracle', 'mongodb', 'redis'] as const;

const credential: Schema = {
  type: 'object',
  description:
    'One credential (API.md §2). The password and every field KeePass marks protected are the literal `"*****"` unless ' +
    'the request says `show_password=true` with a key allowed to reveal. Unset standard fields are `null`, never masked.',
  required: [
    'name', 'path', 'uuid', 'kind', 'username', 'password', 'url', 'notes', 'tags', 'fields',
    'version', 'created', 'modified', 'expires', 'expired', 'otp', 'attachments',
  ],
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: "The entry's title (for mattstash-style `base@NNNNNNNNNN` entries, `base`)." },
    path: { type: 'string', description: 'The group path below the root group plus the name, joined by `/`.' },
    uuid: { type: 'string', format: 'uuid', description: "The entry's UUID, canonical lowercase 8-4-4-4-12; `uuid:<uuid>` addresses it." },
    kind: { type: 'string', enum: ['credential', 'secret'], description: '`secret` when only the password is set (username and url empty).' },
    username: nullableText('The user name; `null` when unset.'),
    password: nullableText('`"*****"` unless revealed; `null` when unset (never masked then).'),
    url: nullableText('The URL field; `null` when unset.'),
    notes: nullableText('The notes; `null` when unset.'),
    tags: { type: 'array', items: { type: 'string' }, description: 'Tags, split on `;` and `,`, trimmed, empty ones dropped.' },
    fields: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Custom string fields. Protected ones (and TOTP secrets) are `"*****"` unless revealed; an empty field is `""`.',
    },
    version: { type: 'string', pattern: VERSION_PATTERN, description: 'The version served, zero-padded to 10 digits.' },
    created: time('Creation time.'),
    modified: time('Last modification time of this version.'),
    expires: time('The expiry time when KeePass\'s "expires" flag is set, else `null`.'),
    expired: { type: 'boolean', description: '`expires` compared with the time of the answer.' },
    otp: { type: 'boolean', description: 'Whether the entry holds a TOTP setting (`GET …/{name}/totp` gives the code).' },
    attachments: {
      type: 'array',
      description: "The entry's attachments (`GET …/{name}/attachments/{file}` gives the bytes).",
      items: {
        type: 'object',
        required: ['name', 'size'],
        additionalProperties: false,
        properties: { name: { type: 'string' }, size: { type: 'integer', minimum: 0, description: 'Bytes.' } },
      },
    },
  },
  examples: [EXAMPLES.credential],
};

const problem: Schema = {
  type: 'object',
  description:
    'RFC 9457 problem details (`application/problem+json`). `detail` says what was wrong (a parameter, a name); it never ' +
    'holds a secret value, an API key or a stack trace. 5xx details other than 503 stay in the log.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'Always `about:blank`: the status says what kind of problem it is.' },
    title: { type: 'string', description: "The status code's standard phrase." },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    candidates: {
      type: 'array',
      items: { type: 'string' },
      description: 'Only on 409 for a name several entries share: the paths (or `uuid:` addresses) to ask for instead.',
    },
    keys: { ...ref('KeysReload'), description: "Only on the admin reload's 409: the keys file was read again even though the vault was not." },
  },
  examples: [{ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Credential not found: db-prod' }],
};

const SCHEMAS: Record<string, Schema> = {
  Credential: credential,
  CredentialList: {
    type: 'object',
    required: ['credentials', 'count'],
    additionalProperties: false,
    properties: {
      credentials: { type: 'array', items: ref('Credential'), description: 'This page of the matches, sorted by path (ordinal).' },
      count: { type: 'integer', minimum: 0, description: 'How many credentials matched in all, not only on this page.' },
    },
    examples: [{ credentials: [EXAMPLES.credential], count: 1 }],
  },
  Versions: {
    type: 'object',
    required: ['name', 'versions', 'latest', 'history'],
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string', pattern: VERSION_PATTERN }, description: 'Every version, oldest first.' },
      latest: { type: 'string', pattern: VERSION_PATTERN, description: 'The last of `versions`: the current entry.' },
      history: {
        type: 'array',
        description:
          'Every version with its modification time, oldest first. KeePass trims old history items, and the numbers then ' +
          'shift down; `modified` does not, so it tells a version apart across trims.',
        items: {
          type: 'object',
          required: ['version', 'modified'],
          additionalProperties: false,
          properties: { version: { type: 'string', pattern: VERSION_PATTERN }, modified: time('When this version was saved.') },
        },
      },
    },
    examples: [EXAMPLES.versions],
  },
  DbUrl: {
    type: 'object',
    required: ['url', 'dialect', 'driver', 'host', 'port', 'database'],
    additionalProperties: false,
    properties: {
      url: {
        type: 'string',
        description:
          'The URL (or JDBC string with `format=jdbc`). Username and password are percent-encoded; the password is ' +
          '`*****` unless `mask_password=false`. The port is always written, except for `mongodb+srv`, whose hosts and ports come from DNS.',
      },
      dialect: { type: 'string', enum: [...DIALECTS] },
      driver: { type: ['string', 'null'], description: 'The driver in the scheme (`postgresql+psycopg`), or `null`.' },
      host: { type: 'string' },
      port: { type: ['integer', 'null'], minimum: 1, maximum: 65535, description: '`null` only for `mongodb+srv` (DNS gives the ports).' },
      database: { type: ['string', 'null'], description: '`null` only for dialects that need none (mongodb, redis).' },
    },
    examples: [EXAMPLES.dbUrl],
  },
  Totp: {
    type: 'object',
    required: ['code', 'period', 'digits', 'algorithm', 'expires_in'],
    additionalProperties: false,
    properties: {
      code: { type: 'string', pattern: '^\\d{6,8}$', description: 'The code `keepassxc-cli show --totp` prints at that moment.' },
      period: { type: 'integer', minimum: 1, description: 'Seconds.' },
      digits: { type: 'integer', minimum: 6, maximum: 8 },
      algorithm: { type: 'string', enum: ['SHA1', 'SHA256', 'SHA512'] },
      expires_in: { type: 'integer', minimum: 0, description: 'Seconds until the code changes.' },
    },
    examples: [EXAMPLES.totp],
  },
  Reloaded: {
    type: 'object',
    required: ['status', 'entries', 'keys'],
    additionalProperties: false,
    properties: {
      status: { type: 'string', const: 'reloaded', description: 'The vault was opened again and is served.' },
      entries: { type: 'integer', minimum: 0, description: 'Live entries outside the Recycle Bin, as `kdbx-gateway check` counts them.' },
      keys: ref('KeysReload'),
    },
    examples: [EXAMPLES.reloaded, { status: 'reloaded', entries: 42, keys: EXAMPLES.keysFailed }],
  },
  KeysReload: {
    type: 'object',
    description:
      'What the admin reload did with the API keys. It reads the keys file (`API_KEYS_FILE`, and `API_KEY_FILE`) again ' +
      'every time, with `RELOAD=off` too, before the vault and whatever becomes of it: a rotated key works and a removed ' +
      'one is refused from this answer on. A keys file that does not load changes nothing (`failed`): the previous keys ' +
      'stay in force and the vault reload still goes ahead.',
    required: ['status', 'count'],
    additionalProperties: false,
    properties: {
      status: {
        type: 'string',
        enum: ['reloaded', 'failed', 'no_file'],
        description:
          '`reloaded`: the keys read now are in force. `failed`: they did not load; the previous keys stay. `no_file`: ' +
          'no keys file is configured (keys from `API_KEY` alone), so there was nothing to read.',
      },
      count: { type: 'integer', minimum: 1, description: 'The keys in force after this reload.' },
      code: {
        type: 'string',
        description: 'With `failed`: why, as a stable code (`KeysFileInvalid`, `NoKeys`, or the file system\'s, such as `ENOENT`).',
      },
      detail: {
        type: 'string',
        description: 'With `failed` and `no_file`: what happened, naming the variable, file and line, never a key.',
      },
    },
    examples: [EXAMPLES.reloaded.keys, EXAMPLES.keysFailed, EXAMPLES.keysNoFile],
  },
  Ready: {
    type: 'object',
    required: ['status'],
    additionalProperties: false,
    properties: { status: { type: 'string', const: 'ready' } },
    examples: [EXAMPLES.ready],
  },
  NotReady: {
    type: 'object',
    required: ['status', 'reason'],
    additionalProperties: false,
    properties: { status: { type: 'string', const: 'not_ready' }, reason: { type: 'string' } },
    examples: [EXAMPLES.notReady],
  },
  Problem: problem,
};

/** Every component schema; Health's example carries the version the document is built for. */
export function schemasFor(version: string): Record<string, Schema> {
  const health: Schema = {
    type: 'object',
    required: ['status', 'version'],
    additionalProperties: false,
    properties: { status: { type: 'string', const: 'healthy' }, version: { type: 'string', description: 'The package version.' } },
    examples: [{ status: 'healthy', version }],
  };
  return { ...SCHEMAS, Health: health };
}
