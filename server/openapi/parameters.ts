// The routes' parameters, with the exact forms server/http/params.ts accepts and the defaults it applies.
import type { OpenAPIV3_1 } from 'openapi-types';
import { DIALECTS } from './schemas';

type Parameter = OpenAPIV3_1.ParameterObject;

export const param = (name: string): OpenAPIV3_1.ReferenceObject => ({ $ref: `#/components/parameters/${name}` });

const BOOLEAN_FORMS = ['true', 'false', '1', '0', 'yes', 'no'];

function bool(name: string, fallback: boolean, meaning: string): Parameter {
  return {
    name,
    in: 'query',
    required: false,
    description:
      `${meaning} Default \`${String(fallback)}\`. Accepts \`true/false/1/0/yes/no\` in any case; an empty value ` +
      'means the default; anything else is 400.',
    schema: { type: 'string', enum: BOOLEAN_FORMS, default: String(fallback) },
  };
}

const VERSION_TEXT =
  'A version number: `3` or `0000000003` (up to 10 digits). Empty means the latest (templated clients such as the ' +
  'External Secrets Operator send it empty). `0`, more than 10 digits or anything else is 400; a version that does ' +
  'not exist is 404. Versions are KeePass history items, oldest first (1 is the oldest; the entry itself is the last), ' +
  'or, for mattstash-style `base@NNNNNNNNNN` entries, their numbers.';

export const PARAMETERS: Record<string, Parameter> = {
  Name: {
    name: 'name',
    in: 'path',
    required: true,
    description:
      "The credential: its title (`db-prod`, exact and case-sensitive), its path (`Databases/Prod/db-prod`: the groups " +
      'below the root, then the title) or `uuid:<uuid>` (any case; survives renames and moves). **The name may contain ' +
      '`/`**, sent literally or as `%2F` (Swagger UI sends `%2F`). With literal slashes the route\'s own suffixes win ' +
      '(`…/versions`, `…/fields/{field}`, `…/totp`, `…/attachments/{file}`): an entry whose path ends that way is reached ' +
      'with `%2F` (`Odd%2Fversions`). A title several entries share is 409 with `candidates`. 1–255 characters, no ' +
      'control characters. `base@0000000002` is not an address (404): ask `?version=2`. Entries in the Recycle Bin are ' +
      'never served (404).',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    examples: {
      title: { summary: 'A title', value: 'db-prod' },
      path: { summary: 'A path (slashes sent as %2F)', value: 'Databases/Prod/db-prod' },
      uuid: { summary: 'A UUID address', value: 'uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
    },
  },
  Version: {
    name: 'version',
    in: 'query',
    required: false,
    description: VERSION_TEXT,
    schema: { type: 'string', pattern: '^$|^(?!0+$)\\d{1,10}$' },
  },
  ShowPassword: bool(
    'show_password',
    false,
    'Reveal the password and protected fields instead of `"*****"`. Needs a key allowed to reveal (403 otherwise).',
  ),
  Prefix: {
    name: 'prefix',
    in: 'query',
    required: false,
    description: "Only credentials whose name starts with this text (case-sensitive). At most 255 characters, no control characters.",
    schema: { type: 'string', maxLength: 255 },
  },
  Group: {
    name: 'group',
    in: 'query',
    required: false,
    description:
      'Only credentials in this group or below it: `group=Databases` matches `Databases/Prod/…`, not `DatabasesOld/…`. ' +
      'Leading and trailing `/` are ignored.',
    schema: { type: 'string', maxLength: 255 },
  },
  Tag: {
    name: 'tag',
    in: 'query',
    required: false,
    description: 'Only credentials with this exact tag (case-sensitive). Empty means no filter.',
    schema: { type: 'string', maxLength: 255 },
  },
  IncludeExpired: bool('include_expired', true, '`false` leaves out entries whose expiry time has passed.'),
  Limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'At most this many credentials in `credentials`: 1–10000, default 1000; outside that range is 400.',
    schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
  },
  Offset: {
    name: 'offset',
    in: 'query',
    required: false,
    description: 'Skip this many matches first (for paging with `limit`); default 0; negative is 400.',
    schema: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
  },
  Field: {
    name: 'field',
    in: 'path',
    required: true,
    description:
      '`username`, `password`, `url`, `notes`, or a custom field\'s name (exact). 1–255 characters, no control characters.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: 'password',
  },
  File: {
    name: 'file',
    in: 'path',
    required: true,
    description: "The attachment's name, as listed in the credential's `attachments`.",
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: 'id_ed25519',
  },
  Dialect: {
    name: 'dialect',
    in: 'query',
    required: false,
    description:
      "The database dialect, any case. Default: the entry's `dialect` field, else a scheme in its `url` (`postgres` " +
      'counts as postgresql), else `postgresql`; empty means the default. An unknown dialect is 400 with a "did you mean" hint.',
    schema: { type: 'string', enum: [...DIALECTS] },
  },
  Driver: {
    name: 'driver',
    in: 'query',
    required: false,
    description:
      "The driver alone (`psycopg` gives the scheme `postgresql+psycopg`); `postgresql+psycopg` is accepted when its " +
      'dialect part matches the dialect in force, else 400. **In a URL query a `+` means a space**, so that value is ' +
      'sent as `driver=postgresql%2Bpsycopg` (Swagger UI encodes it for you); a literal `+` arrives as a space and is ' +
      "refused with a hint saying so, never guessed back into a `+`. Default: the entry's `driver` field (or the driver in its " +
      'URL scheme) when the dialect is the entry\'s own, else none. With `format=jdbc` it is 400.',
    schema: { type: 'string', maxLength: 255 },
    examples: {
      driver: { summary: 'The driver alone', value: 'psycopg' },
      withDialect: { summary: 'With its dialect: in a URL, driver=postgresql%2Bpsycopg', value: 'postgresql+psycopg' },
    },
  },
  Database: {
    name: 'database',
    in: 'query',
    required: false,
    description: "The database, overriding the entry's `database`/`dbname` fields and the path of its `url`.",
    schema: { type: 'string', maxLength: 255 },
  },
  MaskPassword: bool(
    'mask_password',
    true,
    'Write the password as `*****`. `false` writes the real password and needs a key allowed to reveal (403 otherwise).',
  ),
  Format: {
    name: 'format',
    in: 'query',
    required: false,
    description: '`url` (default) or `jdbc` (any case; empty means `url`). mongodb and redis have no JDBC form (400).',
    schema: { type: 'string', enum: ['url', 'jdbc'], default: 'url' },
  },
  DbUrlVersion: {
    name: 'version',
    in: 'query',
    required: false,
    description: `${VERSION_TEXT} Here it builds the URL of an earlier password, for rollbacks (a choice where the contract is silent).`,
    schema: { type: 'string', pattern: '^$|^(?!0+$)\\d{1,10}$' },
  },
};
