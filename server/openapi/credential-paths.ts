// The credential routes (API.md §1–§3, §10): the list, one credential, its versions, a raw field, TOTP, attachments.
import { apiOperation, json, type Paths } from './operation';
import { param } from './parameters';
import {
  NAME_400,
  NAME_400_EXAMPLES,
  POLICY_403,
  POLICY_EXAMPLES,
  REVEAL_403,
  ambiguous,
  apiBadRequest,
  forbidden,
  notFound,
  unprocessable,
} from './problem-responses';
import { EXAMPLES } from './schemas';

const TAG = 'Credentials';
const BOOL_400 = { badBoolean: "query parameter 'show_password' must be true, false, 1, 0, yes or no (received \"maybe\")" };
const VERSION_400 = {
  badVersion: "query parameter 'version' must be a version number from 1 to 9999999999, such as 3 or 0000000003 (received \"0\")",
};
const NOT_FOUND = 'No credential by that name, path or uuid (entries in the Recycle Bin count as missing), or no such version.';
const NOT_FOUND_EXAMPLES = {
  missing: 'Credential not found: db-prod',
  noVersion: 'Credential Databases/Prod/db-prod has no version 0000000009',
};
const REVEAL_EXAMPLE = { reveal: 'this API key may not reveal passwords' };

const NAME = param('Name');
const VERSION = param('Version');

const list = apiOperation({
  id: 'listCredentials',
  tag: TAG,
  summary: 'List credentials',
  description:
    'The credentials the key may read (others are silently left out, and not counted), sorted by path in ordinal order, ' +
    'one page at a time. mattstash-style `base@NNNNNNNNNN` entries show once, as `base` at its latest version. ' +
    '`/api/v1/credentials/` (with a trailing slash) is 400: an empty name, not the list.',
  parameters: [
    param('Prefix'),
    param('Group'),
    param('Tag'),
    param('IncludeExpired'),
    param('ShowPassword'),
    param('Limit'),
    param('Offset'),
  ],
  responses: {
    '200': json('CredentialList', 'This page of the credentials and the total matched.', { credentials: [EXAMPLES.credential], count: 1 }),
    '400': apiBadRequest('A filter over 255 characters or with a control character, `limit` outside 1–10000, a negative `offset`, a bad boolean, or a trailing slash.', {
      ...BOOL_400,
      badLimit: "query parameter 'limit' must be an integer from 1 to 10000 (received \"0\")",
    }),
    '403': forbidden(`\`show_password=true\` with a key that may not reveal. ${REVEAL_403}`, REVEAL_EXAMPLE),
  },
});

const one = apiOperation({
  id: 'getCredential',
  tag: TAG,
  summary: 'One credential',
  description:
    'The credential at its latest version, or the version asked for. Values are masked (`"*****"`) unless ' +
    '`show_password=true` with a key allowed to reveal.',
  parameters: [NAME, VERSION, param('ShowPassword')],
  responses: {
    '200': json('Credential', 'The credential (API.md §2).', EXAMPLES.credential),
    '400': apiBadRequest(`${NAME_400} A bad \`version\` or boolean.`, { ...NAME_400_EXAMPLES, ...VERSION_400, ...BOOL_400 }),
    '403': forbidden(`${POLICY_403} Or \`show_password=true\` with a key that may not reveal.`, { ...POLICY_EXAMPLES, ...REVEAL_EXAMPLE }),
    '404': notFound(`${NOT_FOUND} \`base@NNNNNNNNNN\` is not an address either: ask \`?version=N\`.`, NOT_FOUND_EXAMPLES),
    '409': ambiguous(),
  },
});

const versions = apiOperation({
  id: 'getCredentialVersions',
  tag: TAG,
  summary: "A credential's versions",
  description:
    'Every version, oldest first, with its modification time. Version 1 is the oldest KeePass history item and the entry ' +
    'itself is the last; when KeePass trims old history items the numbers shift down, while each `modified` stays.',
  parameters: [NAME],
  responses: {
    '200': json('Versions', 'The versions (API.md §3, §13.3).', EXAMPLES.versions),
    '400': apiBadRequest(NAME_400, NAME_400_EXAMPLES),
    '403': forbidden(POLICY_403, POLICY_EXAMPLES),
    '404': notFound(NOT_FOUND, { missing: NOT_FOUND_EXAMPLES.missing }),
    '409': ambiguous(),
  },
});

const field = apiOperation({
  id: 'getCredentialField',
  tag: TAG,
  summary: 'One raw value, as text',
  description:
    'The raw value as `text/plain`, for shells: `PGPASSWORD=$(curl -sf -H "X-API-Key: $KEY" …/fields/password)`. ' +
    'The password and protected fields need a key allowed to reveal; `show_password` is not needed (nor accepted) here.',
  parameters: [NAME, param('Field'), VERSION],
  responses: {
    '200': {
      description: 'The value, unmasked. An existing but empty custom field is an empty body.',
      content: { 'text/plain': { schema: { type: 'string' }, example: 'admin' } },
    },
    '400': apiBadRequest(`${NAME_400} The same rules hold for the field name. A bad \`version\`.`, { ...NAME_400_EXAMPLES, ...VERSION_400 }),
    '403': forbidden(`${POLICY_403} Or the password or a protected field with a key that may not reveal.`, {
      ...POLICY_EXAMPLES,
      reveal: 'this API key may not reveal passwords or protected fields',
    }),
    '404': notFound(`${NOT_FOUND} Or a standard field that is unset, or no custom field by that name.`, {
      ...NOT_FOUND_EXAMPLES,
      unset: 'Credential Databases/Prod/db-prod has no notes set',
      noField: 'Credential Databases/Prod/db-prod has no field "port"',
    }),
    '409': ambiguous(),
  },
});

const totp = apiOperation({
  id: 'getCredentialTotp',
  tag: TAG,
  summary: 'The current TOTP code',
  description:
    "The code KeePassXC shows now, from KeePassXC's `otp` field (an `otpauth://totp/` URI or the KeeOtp form), KeePass " +
    "2.47+'s `TimeOtp-*` fields, or the older `TOTP Seed` + `TOTP Settings`. Needs a key allowed to reveal.",
  parameters: [NAME],
  responses: {
    '200': json('Totp', 'The code and how long it lasts (API.md §10).', EXAMPLES.totp),
    '400': apiBadRequest(NAME_400, NAME_400_EXAMPLES),
    '403': forbidden(`${POLICY_403} ${REVEAL_403}`, { ...POLICY_EXAMPLES, reveal: 'this API key may not reveal TOTP codes' }),
    '404': notFound(`${NOT_FOUND} Or the entry has no TOTP.`, {
      missing: NOT_FOUND_EXAMPLES.missing,
      noTotp: 'Credential Databases/Prod/db-prod has no TOTP',
    }),
    '409': ambiguous(),
    '422': unprocessable('The entry\'s TOTP settings cannot be used (a secret that is not base32, an algorithm other than SHA1, SHA256 or SHA512, digits outside 6–8, Steam Guard).', {
      steam: 'Steam Guard codes are not supported',
    }),
  },
});

const attachment = apiOperation({
  id: 'getCredentialAttachment',
  tag: TAG,
  summary: "An attachment's bytes",
  description: 'The attachment byte for byte, as a download. Needs a key allowed to reveal.',
  parameters: [NAME, param('File'), VERSION],
  responses: {
    '200': {
      description: 'The bytes.',
      headers: {
        'Content-Disposition': {
          description: '`attachment; filename="…"`',
          schema: { type: 'string', example: 'attachment; filename="id_ed25519"' },
        },
      },
      content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
    },
    '400': apiBadRequest(`${NAME_400} The same rules hold for the file name. A bad \`version\`.`, { ...NAME_400_EXAMPLES, ...VERSION_400 }),
    '403': forbidden(`${POLICY_403} ${REVEAL_403}`, { ...POLICY_EXAMPLES, reveal: 'this API key may not reveal attachments' }),
    '404': notFound(`${NOT_FOUND} Or no attachment by that name.`, {
      ...NOT_FOUND_EXAMPLES,
      noAttachment: 'Credential Databases/Prod/db-prod has no attachment "id_rsa"',
    }),
    '409': ambiguous(),
  },
});

export const CREDENTIAL_PATHS: Paths = {
  '/api/v1/credentials': { get: list },
  '/api/v1/credentials/{name}': { get: one },
  '/api/v1/credentials/{name}/versions': { get: versions },
  '/api/v1/credentials/{name}/fields/{field}': { get: field },
  '/api/v1/credentials/{name}/totp': { get: totp },
  '/api/v1/credentials/{name}/attachments/{file}': { get: attachment },
};
