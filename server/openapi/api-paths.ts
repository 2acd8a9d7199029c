// The other /api/v1 routes: database URLs (API.md §5) and the admin reload.
import { apiOperation, json, type Paths } from './operation';
import { param } from './parameters';
import {
  NAME_400,
  NAME_400_EXAMPLES,
  POLICY_403,
  POLICY_EXAMPLES,
  ambiguous,
  apiBadRequest,
  forbidden,
  notFound,
  problem,
  unprocessable,
} from './problem-responses';
import { EXAMPLES } from './schemas';

const dbUrl = apiOperation({
  id: 'getDbUrl',
  tag: 'Database URLs',
  summary: 'A database URL built from a credential',
  description:
    "Built from the entry's `url` (`host`, `host:port` or a whole `scheme://host:port/db?x=y`), `username`, `password` " +
    'and the custom fields `database`/`dbname`, `port`, `dialect`, `driver`, `sslmode` and `param.<name>` (a query ' +
    'parameter). A missing port takes the dialect\'s default (postgresql 5432, mysql 3306, mariadb 3306, mssql 1433, ' +
    'oracle 1521, mongodb 27017, redis 6379). Username and password are percent-encoded, so any standard URL parser ' +
    'gives them back exactly. Send `Accept: text/plain` for the bare URL.',
  parameters: [
    param('Name'),
    param('Dialect'),
    param('Driver'),
    param('Database'),
    param('MaskPassword'),
    param('Format'),
    param('DbUrlVersion'),
  ],
  responses: {
    '200': {
      description: 'The URL and its parts; with `Accept: text/plain`, the URL alone.',
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/DbUrl' }, example: EXAMPLES.dbUrl },
        'text/plain': { schema: { type: 'string' }, example: EXAMPLES.dbUrl.url },
      },
    },
    '400': apiBadRequest(
      `${NAME_400} An unknown dialect (with a hint), a malformed or mismatched \`driver\`, \`driver\` with \`format=jdbc\`, ` +
        '`format=jdbc` for mongodb or redis, a bad `format`, boolean or `version`.',
      {
        ...NAME_400_EXAMPLES,
        dialect: "unknown dialect 'postgress' (did you mean 'postgresql'?); use one of postgresql, mysql, mariadb, mssql, oracle, mongodb, redis",
        plusSign: `driver 'postgresql psycopg' is not a driver name: use letters, digits and '_' only, as in 'psycopg' (a '+' in a URL query means a space: write it as %2B)`,
      },
    ),
    '403': forbidden(`${POLICY_403} Or \`mask_password=false\` with a key that may not reveal.`, {
      ...POLICY_EXAMPLES,
      reveal: 'this API key may not reveal passwords',
    }),
    '404': notFound('No credential by that name, path or uuid (the Recycle Bin counts as missing), or no such version.', {
      missing: 'Credential not found: db-prod',
    }),
    '409': ambiguous(),
    '422': unprocessable(
      'The entry cannot make a URL, and the detail says what is missing: a secret without a host, a SQL dialect ' +
        '(postgresql, mysql, mariadb, mssql, oracle) with no database, an unknown dialect in the entry, a bad port, several hosts, ' +
        'or, when the URL is masked, a protected URL, port, dialect or driver field (ask with mask_password=false).',
      {
        noDatabase: "postgresql needs a database: set the entry's `database` field or pass ?database=",
      },
    ),
  },
});

const reload = apiOperation(
  {
    id: 'reloadVault',
    tag: 'Admin',
    summary: 'Read the keys file and reload the vault now',
    description:
      'Reads the API keys file again (`keys` in the answer), then opens the vault file again and swaps it in at once ' +
      '(requests see the old vault or the new one, never a mix). With `RELOAD=off` this is how keys are rotated without ' +
      'a restart; with `RELOAD=watch` it does now what the watcher would do on the next change. A keys file that does not ' +
      'load keeps the previous keys and does not stop the vault reload, but the answer is then 409 (a revocation that did not take is no success). ' +
      'Admin keys only: text-file keys and `API_KEY` are; YAML/JSON keys need `admin: true`. No body.',
    responses: {
      '200': json('Reloaded', 'Reloaded; `entries` counts live entries; `keys` says whether the keys file was read again.', EXAMPLES.reloaded),
      '400': apiBadRequest('This route takes no query parameters.'),
      '403': forbidden('The key may not call admin routes.', { admin: 'this API key may not call admin routes' }),
      '409': problem(
        409,
        "The file could not be opened (kdbxweb's error code in `detail`: `FileCorrupt`, `InvalidKey`, `BadSignature`, " +
          "`OutOfMemory` when the new vault does not fit the heap, or the file system's), or the gateway has no vault file to reload. The last good vault stays served. " +
          'The keys file was read again all the same: `keys` says how that went. Also 409 when the vault reloaded but the keys file ' +
          'did not load (`KeysFileInvalid`, `NoKeys`, `ENOENT`): the previous keys stay in force, `entries` counts the new vault.',
        {
          failed:
            'reload failed (InvalidKey): invalid key; the last good vault is still served; the keys file was read again (3 keys in force)',
          keysFailed:
            "the keys file did not load (KeysFileInvalid): API_KEYS_FILE: /run/secrets/api_keys: line 2: a sha256: value must be 64 hexadecimal characters; the previous keys stay in force; the vault was reloaded (12 entries)",
        },
        { extras: { keys: EXAMPLES.reloaded.keys } },
      ),
    },
  },
  'POST',
);

export const API_PATHS: Paths = {
  '/api/v1/db-url/{name}': { get: dbUrl },
  '/api/v1/admin/reload': { post: reload },
};
