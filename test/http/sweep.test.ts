// A deterministic sweep of bad requests over every route: none may answer 5xx, and every error must be
// RFC 9457 problem+json with status, title and detail (API.md §6), never a stack trace or a secret.
//
// Requests go out through node:http against one listening server rather than supertest: superagent
// parses URLs with WHATWG `new URL()`, which would resolve `..`, `%2e%2e` and `//` before they reach the
// gateway and refuses some raw bytes, and the point here is to send exactly the bytes under test.
import { createHash } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEY_B, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

mustNotLeak(...SECRET_VALUES);
checkLogsForLeaks();

// ---- the requests -------------------------------------------------------------------------------

/** An exact status the contract demands, or just "some 4xx" where the contract leaves the choice open. */
type Expected = number | '4xx';

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body?: { readonly chunked: boolean; readonly data: string };
  readonly expect: Expected;
  /** Why this request is bad, for the failure message. */
  readonly why: string;
}

/** mulberry32: a small seeded PRNG, so the sweep sends the same requests on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(0x5eed_2026);
const int = (below: number): number => Math.floor(random() * below);
const pick = <T>(items: readonly T[]): T => {
  const item = items[int(items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};
const junk = (length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_.~'): string =>
  Array.from({ length }, () => pick([...alphabet])).join('');

const API = '/api/v1';
const withKey = { 'X-API-Key': KEY_A };
const enc = encodeURIComponent;
const pct = (code: number): string => `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
/** Every C0 control character and DEL (API.md §13.15). */
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f];

const probes: Probe[] = [];
const add = (probe: Probe): void => {
  probes.push(probe);
};
const get = (path: string, expect: Expected, why: string, headers: Record<string, string | string[]> = withKey): void =>
  add({ method: 'GET', path, headers, expect, why });

/** Each route that takes a credential name, as a function of an already-encoded name. */
const NAME_ROUTES: readonly { readonly label: string; readonly path: (name: string) => string }[] = [
  { label: 'credential', path: (n) => `${API}/credentials/${n}` },
  { label: 'versions', path: (n) => `${API}/credentials/${n}/versions` },
  { label: 'field', path: (n) => `${API}/credentials/${n}/fields/username` },
  { label: 'db-url', path: (n) => `${API}/db-url/${n}` },
];
const everyNameRoute = (name: string, expect: Expected, why: string): void => {
  for (const route of NAME_ROUTES) get(route.path(name), expect, `${why} (${route.label})`);
};

// Names: empty, too long (also multi-byte), control characters, malformed percent-encoding.
get(`${API}/credentials//versions`, 400, 'an empty name before /versions');
get(`${API}/credentials//fields/username`, 400, 'an empty name before /fields');
get(`${API}/credentials//fields/`, 400, 'an empty name and an empty field');
// `/credentials/` is the list itself (Express ignores a trailing slash), and `/db-url/` has no name segment
// at all, so the router may call it an unknown route: either way a 4xx, never a credential.
get(`${API}/db-url/`, '4xx', 'an empty name on db-url');
everyNameRoute('a'.repeat(256), 400, '256-character name');
everyNameRoute('a'.repeat(1000), 400, '1000-character name');
everyNameRoute(enc('é'.repeat(256)), 400, '256 two-byte characters');
everyNameRoute(enc('ключ'.repeat(64)), 400, '256 Cyrillic characters');
everyNameRoute(enc('🔑'.repeat(256)), 400, '256 astral characters');
everyNameRoute(enc(`${'x'.repeat(250)}🔑🔑🔑🔑🔑🔑`), 400, '256 characters ending in astral ones');
for (const code of CONTROLS) {
  everyNameRoute(`a${pct(code)}b`, 400, `control character ${pct(code)} inside the name`);
  get(`${API}/credentials/${pct(code)}`, 400, `the name is only ${pct(code)}`);
  get(`${API}/credentials/db-prod/fields/${pct(code)}`, 400, `control character ${pct(code)} as the field name`);
}
get(`${API}/credentials/Databases/Prod${pct(0)}/db-prod`, 400, 'a control character in a group of the path');
get(`${API}/credentials/db-prod/fields/${'f'.repeat(256)}`, 400, '256-character field name');
get(`${API}/credentials/db-prod/fields/a${pct(0x1b)}[31m`, 400, 'an ANSI escape in the field name');
// Broken escapes, and escapes of bytes that are not UTF-8 (a lone continuation, a surrogate, past U+10FFFF, overlong).
for (const bad of ['%', '%E0%A4%A', '%ZZ', '%G0', '%%', 'a%', 'a%2', 'db-prod%', '%C3%28', '%ED%A0%80', '%F4%90%80%80', '%C0%AF', '%FF%FE', '%80']) {
  everyNameRoute(bad, 400, `malformed percent-encoding ${JSON.stringify(bad)}`);
}
get(`${API}/credentials/db-prod/fields/%ZZ`, 400, 'malformed percent-encoding in the field name');
for (let i = 0; i < 40; i += 1) {
  // Seeded random names: junk with one control character somewhere, or junk past 255 characters.
  const head = junk(1 + int(40));
  const tail = junk(int(40));
  if (i % 2 === 0) {
    everyNameRoute(`${enc(head)}${pct(pick(CONTROLS))}${enc(tail)}`, 400, 'seeded junk with a control character');
  } else {
    const long = Array.from({ length: 256 + int(200) }, () => pick(['a', 'é', 'ж', 'ユ', '🔑', '-', '.'])).join('');
    everyNameRoute(enc(long), 400, `seeded ${[...long].length}-character name`);
  }
}
const NAME_COUNT = probes.length;

// Odd path shapes: `..`, `//`, `%2F` at the ends, uuid: junk, mattstash `@NNNNNNNNNN` forms, very long paths.
for (const odd of ['..', '.', '%2e%2e', '..%2F..%2Fadmin%2Freload', '../../health', '%2F', '%2F%2F', '%2Fdb-prod', 'db-prod%2F', '%2Fdb-prod%2F', 'Databases%2F%2FProd%2Fdb-prod', 'Databases//Prod/db-prod', '/db-prod', 'db-prod/', 'Databases/Prod/db-prod/']) {
  everyNameRoute(odd, '4xx', `odd path ${JSON.stringify(odd)}`);
}
for (const uuid of ['uuid:', 'uuid:x', 'UUID:1234', 'uuid:%20', `uuid:${pct(0)}`, 'uuid:0a1b2c3d00004000800000000000abcd', 'uuid:{0a1b2c3d-0000-4000-8000-00000000abcd}', 'uuid:0a1b2c3d-0000-4000-8000-00000000abc', 'uuid:0a1b2c3d-0000-4000-8000-00000000abcdx', 'uuid:0a1b2c3d-0000-4000-8000-00000000abcg', 'uuid:%200a1b2c3d-0000-4000-8000-00000000abcd', 'uuid:0a1b2c3d-0000-4000-8000-00000000abcd%2Fx', 'uuid:uuid:0a1b2c3d-0000-4000-8000-00000000abcd', `uuid:${junk(36)}`, `uuid:${junk(300)}`]) {
  everyNameRoute(uuid, 400, `uuid: with junk ${JSON.stringify(uuid.slice(0, 50))}`);
}
everyNameRoute('uuid:0a1b2c3d-0000-4000-8000-00000000abcd', 404, 'a well-formed uuid no entry has');
for (const form of ['api-token@0000000001', 'api-token@0000000003', 'Tokens/api-token@0000000002', 'Tokens%2Fapi-token@0000000002', 'db-prod@0000000001', 'nothing@9999999999', 'api-token@1', 'api-token@00000000001', '@0000000001']) {
  everyNameRoute(form, 404, `name@version form ${form}`);
}
get(`${API}/credentials/${'a/'.repeat(2000)}a`, 400, 'a 4001-character path of many segments');
get(`${API}/credentials/${'seg/'.repeat(2000)}versions`, 400, 'an 8000-character path before /versions');
get(`${API}/db-url/${'%2F'.repeat(3000)}`, 400, '3000 encoded slashes as a name');
get(`${API}/credentials/${'x'.repeat(12000)}`, 400, 'a 12 KB name');
get(`${API}/${'nothing/'.repeat(1200)}`, 404, 'a 9.6 KB unknown path');
get(`/${'z'.repeat(12000)}`, 404, 'a 12 KB unknown path outside /api');
for (const route of ['totp', 'attachments/id_rsa', 'attachments/', 'fields', 'fields/', 'history']) {
  get(`${API}/credentials/db-prod/${route}`, '4xx', `a suffix that is not served: ${route}`);
}
const PATH_COUNT = probes.length - NAME_COUNT;

// Versions: the forms §1 and §13.4 refuse, on each route that takes version=.
const VERSION_ROUTES = [`${API}/credentials/db-prod`, `${API}/credentials/db-prod/fields/username`, `${API}/db-url/db-prod`, `${API}/credentials/api-token`];
const BAD_VERSIONS = ['0', '00', '0000000000', '-1', '1.5', '1e3', '12345678901', '00000000001', '99999999999', enc('０'), enc('３'), enc('١'), '%201', '1%20', '+1', '%2B1', '0x1', 'abc', '1,2', 'Infinity', 'NaN', pct(0), '1%00', 'latest', 'v3', '3a', enc('²'), '-0'];
for (const route of VERSION_ROUTES) {
  for (const version of BAD_VERSIONS) get(`${route}?version=${version}`, 400, `version=${version}`);
  get(`${route}?version=1&version=2`, 400, 'version given twice');
  get(`${route}?version=2&version=2`, 400, 'the same version given twice');
  get(`${route}?version=&version=`, 400, 'empty version given twice');
  get(`${route}?version[]=1`, 400, 'version as an array');
  get(`${route}?version=9999999999`, 404, 'a version that does not exist');
}
get(`${API}/credentials/db-prod?version=4`, 404, 'version 4 of a three-version entry');
get(`${API}/credentials/db-prod/versions?version=1`, 400, 'version= on /versions');
get(`${API}/credentials?version=1`, 400, 'version= on the list');
for (let i = 0; i < 20; i += 1) {
  const digits = junk(11 + int(10), '0123456789');
  get(`${pick(VERSION_ROUTES)}?version=${digits}`, 400, `seeded ${digits.length}-digit version`);
}
const VERSION_COUNT = probes.length - NAME_COUNT - PATH_COUNT;

// Queries: booleans, limit/offset, unknown parameters, arrays, free-text filters, db-url options.
const BAD_BOOLEANS = ['maybe', '2', 'on', 'off', 'y', 'n', 't', 'f', 'tru', 'yess', '%20true', 'true%20', 'null', 'undefined', enc('１'), enc('ｔｒｕｅ'), pct(0), 'true%00', '-1', '1.0', '01', 'truefalse', 'yes,no', enc('是')];
for (const value of BAD_BOOLEANS) {
  get(`${API}/credentials/db-prod?show_password=${value}`, 400, `show_password=${value}`);
  get(`${API}/credentials?include_expired=${value}`, 400, `include_expired=${value}`);
  get(`${API}/db-url/db-prod?mask_password=${value}`, 400, `mask_password=${value}`);
}
get(`${API}/credentials?show_password=${'true'.repeat(100)}`, 400, 'a 400-character boolean');
get(`${API}/credentials/db-prod?show_password=true&show_password=false`, 400, 'show_password given twice');
const BAD_LIMITS = ['0', '-1', '10001', '99999', '1000000000', '99999999999999999999', '1.5', '1e3', 'abc', '0x10', enc('１０'), '%2010', '10%20', '+10', 'Infinity', 'NaN', pct(0), '10abc'];
for (const value of BAD_LIMITS) get(`${API}/credentials?limit=${value}`, 400, `limit=${value}`);
for (const value of ['-1', '-100', '1.5', 'abc', '1e3', '0x1', enc('１'), '%201', pct(0)]) {
  get(`${API}/credentials?offset=${value}`, 400, `offset=${value}`);
}
get(`${API}/credentials?limit=1&limit=2`, 400, 'limit given twice');
get(`${API}/credentials?offset=0&offset=1`, 400, 'offset given twice');
const QUERY_ROUTES = [`${API}/credentials`, `${API}/credentials/db-prod`, `${API}/credentials/db-prod/versions`, `${API}/credentials/db-prod/fields/username`, `${API}/db-url/db-prod`, '/health', '/api/health', '/ready'];
const UNKNOWN_PARAMS = ['foo=1', 'show_pasword=true', 'SHOW_PASSWORD=true', 'Version=1', 'show_password[]=1', 'a[b]=c', 'a[b][c]=d', '__proto__=1', '__proto__[admin]=1', 'constructor=x', 'hasOwnProperty=1', 'toString=1', '=1', '=', '%=1', '%ZZ=1', `${pct(0)}=1`, `api_key=${KEY_A}`, `key=${KEY_A}`, `${'p'.repeat(300)}=1`, 'flat=true', 'list=true'];
for (const route of QUERY_ROUTES) {
  for (const param of UNKNOWN_PARAMS) {
    const headers = route.startsWith(API) ? withKey : {};
    get(`${route}?${param}`, 400, `unknown parameter ${JSON.stringify(param.slice(0, 40))}`, headers);
  }
}
for (const name of ['prefix', 'group', 'tag']) {
  get(`${API}/credentials?${name}=${'a'.repeat(256)}`, 400, `${name} of 256 characters`);
  get(`${API}/credentials?${name}=${enc('🔑'.repeat(256))}`, 400, `${name} of 256 astral characters`);
  get(`${API}/credentials?${name}=a${pct(0x0a)}b`, 400, `${name} with a newline`);
  get(`${API}/credentials?${name}=${pct(0x7f)}`, 400, `${name} with DEL`);
  get(`${API}/credentials?${name}=a&${name}=b`, 400, `${name} given twice`);
}
const BAD_DIALECTS = ['oracle11', 'sqlite', 'db2', 'postgresqlx', 'mysql%00', '%20', 'postgresql+psycopg', '..%2F..', 'a'.repeat(256), junk(20), enc('ро́стгрес')];
for (const dialect of BAD_DIALECTS) get(`${API}/db-url/db-prod?dialect=${dialect}`, 400, `dialect=${dialect.slice(0, 40)}`);
const BAD_DRIVERS = ['mysql%2Bpymysql', 'postgresql%2Bpsycopg%2Bx', 'psy%20copg', 'psycopg%00', '%2B', '%2Bpsycopg', 'psycopg%2F..', 'a'.repeat(256), `${pct(0x1b)}`];
for (const driver of BAD_DRIVERS) get(`${API}/db-url/db-prod?driver=${driver}`, 400, `driver=${driver.slice(0, 40)}`);
for (const format of ['xml', 'URL%20', 'jdbcx', 'dsn', '1', pct(0), 'a'.repeat(300)]) {
  get(`${API}/db-url/db-prod?format=${format}`, 400, `format=${format.slice(0, 40)}`);
}
for (const database of [`a${pct(0)}`, `${pct(0x0d)}${pct(0x0a)}`, 'd'.repeat(256), enc('🗄'.repeat(256))]) {
  get(`${API}/db-url/db-prod?database=${database}`, 400, `database=${database.slice(0, 40)}`);
}
get(`${API}/db-url/db-prod?dialect=mysql&dialect=redis`, 400, 'dialect given twice');
get(`${API}/db-url/db-prod?dialect=mysql&driver=psycopg%2Bpostgresql`, 400, 'a driver with a scheme that is not a dialect');
get(`${API}/db-url/db-prod?dialect=mysql&driver=postgresql%2Bpsycopg`, 400, 'driver dialect part differs from the dialect (§13.28)');
add({ method: 'POST', path: `${API}/admin/reload?force=true`, headers: withKey, expect: 400, why: 'unknown parameter on reload' });
add({ method: 'POST', path: `${API}/admin/reload?${pct(0)}`, headers: withKey, expect: 400, why: 'a control character as a reload parameter' });
for (let i = 0; i < 40; i += 1) {
  // Seeded junk queries: a random known route, a random parameter name and value, all percent-encoded.
  const route = pick(QUERY_ROUTES);
  const name = junk(1 + int(12), 'abcdefghijklmnopqrstuvwxyz_[]');
  const value = junk(int(20), 'abcxyz0123456789%-.');
  get(`${route}?${enc(name)}=${enc(value)}`, 400, 'seeded unknown parameter', route.startsWith(API) ? withKey : {});
}
const QUERY_COUNT = probes.length - NAME_COUNT - PATH_COUNT - VERSION_COUNT;

// Headers: keys in the wrong shape, both key headers, request ids and Accept values that are junk.
const API_ROUTES: readonly { readonly method: string; readonly path: string }[] = [
  { method: 'GET', path: `${API}/credentials` },
  { method: 'GET', path: `${API}/credentials/db-prod` },
  { method: 'GET', path: `${API}/credentials/db-prod/versions` },
  { method: 'GET', path: `${API}/credentials/db-prod/fields/password` },
  { method: 'GET', path: `${API}/db-url/db-prod` },
  { method: 'POST', path: `${API}/admin/reload` },
  { method: 'GET', path: `${API}/nothing-here` },
  { method: 'GET', path: `${API}/credentials/${'a'.repeat(300)}` },
];
const hash = (key: string): string => createHash('sha256').update(key).digest('hex');
/** A JS string whose code units are the UTF-8 bytes of `text`: node:http writes it out byte for byte. */
const rawUtf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const BIG_KEY = `k${junk(10 * 1024 - 1)}`;
// Two 10 KB keys pass Node's 16 KB header limit, which answers before the app is reached; 7 KB each stays inside.
const BIG_KEY_7K = BIG_KEY.slice(0, 7 * 1024);
const BASIC_A = Buffer.from(`alpha:${KEY_A}`).toString('base64');
const HEADER_CASES: readonly { readonly headers: Record<string, string | string[]>; readonly expect: Expected; readonly why: string }[] = [
  { headers: {}, expect: 401, why: 'no key' },
  { headers: { 'X-API-Key': 'wrong-key-0000000000' }, expect: 401, why: 'a wrong key' },
  { headers: { 'X-API-Key': '' }, expect: 401, why: 'an empty X-API-Key' },
  { headers: { 'X-API-Key': '    ' }, expect: 401, why: 'a blank X-API-Key' },
  { headers: { 'X-API-Key': KEY_A.toUpperCase() }, expect: 401, why: 'the key in upper case' },
  { headers: { 'X-API-Key': KEY_A.slice(0, -1) }, expect: 401, why: 'the key less its last character' },
  { headers: { 'X-API-Key': `${KEY_A}x` }, expect: 401, why: 'the key with one more character' },
  { headers: { 'X-API-Key': `alpha:${KEY_A}` }, expect: 401, why: 'the keys-file line instead of the key' },
  { headers: { 'X-API-Key': `sha256:${hash(KEY_B)}` }, expect: 401, why: 'the stored hash instead of the key' },
  { headers: { 'X-API-Key': hash(KEY_B) }, expect: 401, why: 'the bare stored hash instead of the key' },
  { headers: { 'X-API-Key': BIG_KEY }, expect: 401, why: 'a 10 KB X-API-Key' },
  { headers: { Authorization: `Bearer ${BIG_KEY}` }, expect: 401, why: 'a 10 KB bearer token' },
  { headers: { 'X-API-Key': rawUtf8(`${KEY_A}é`) }, expect: 401, why: 'the key plus a UTF-8 é' },
  { headers: { 'X-API-Key': rawUtf8('ключ-🔑-key') }, expect: 401, why: 'a key of UTF-8 bytes' },
  { headers: { 'X-API-Key': '\u00ff\u00fe\u0080' }, expect: 401, why: 'a key of raw high bytes' },
  { headers: { Authorization: `Bearer ${rawUtf8(`${KEY_A}\u200b`)}` }, expect: 401, why: 'a bearer token with a zero-width space' },
  { headers: { 'X-API-Key': KEY_A, Authorization: `Bearer ${KEY_B}` }, expect: 400, why: 'both headers with different valid keys' },
  { headers: { 'X-API-Key': KEY_A, Authorization: 'Bearer wrong-key-0000000000' }, expect: 400, why: 'both headers, the bearer one wrong' },
  { headers: { 'X-API-Key': 'wrong-key-0000000000', Authorization: `Bearer ${KEY_A}` }, expect: 400, why: 'both headers, X-API-Key wrong' },
  { headers: { 'X-API-Key': BIG_KEY, Authorization: `Bearer ${KEY_A}` }, expect: 400, why: 'both headers, one of 10 KB' },
  { headers: { 'X-API-Key': BIG_KEY_7K, Authorization: `Bearer ${BIG_KEY_7K}` }, expect: 401, why: 'both headers with the same 7 KB wrong key' },
  { headers: { Authorization: `Basic ${BASIC_A}` }, expect: 401, why: 'Basic credentials' },
  { headers: { Authorization: `Basic ${KEY_A}` }, expect: 401, why: 'Basic with the raw key' },
  { headers: { Authorization: 'Bearer' }, expect: 401, why: 'Bearer with no token' },
  { headers: { Authorization: 'Bearer ' }, expect: 401, why: 'Bearer and a space' },
  { headers: { Authorization: 'Bearer      ' }, expect: 401, why: 'Bearer and spaces' },
  { headers: { Authorization: `Bearer ${KEY_A} ${KEY_B}` }, expect: 401, why: 'Bearer with two tokens' },
  { headers: { Authorization: `Bearer\t${KEY_A}` }, expect: 401, why: 'Bearer and a tab' },
  { headers: { Authorization: `Bearer${KEY_A}` }, expect: 401, why: 'Bearer glued to the token' },
  { headers: { Authorization: `Token ${KEY_A}` }, expect: 401, why: 'another scheme' },
  { headers: { Authorization: KEY_A }, expect: 401, why: 'the key with no scheme' },
  { headers: { Authorization: '' }, expect: 401, why: 'an empty Authorization' },
  { headers: { Authorization: `Bearer "${KEY_A}"` }, expect: 401, why: 'a quoted bearer token' },
  { headers: { 'X-API-Key': ['wrong-key-0000000000', KEY_A] }, expect: '4xx', why: 'X-API-Key twice, the first wrong' },
  { headers: { 'X-API-Key': [KEY_A, KEY_B] }, expect: '4xx', why: 'X-API-Key twice with different keys' },
  { headers: { 'X-Request-Id': 'a b c' }, expect: 401, why: 'no key, a request id with spaces' },
  { headers: { 'X-Request-Id': 'r'.repeat(300) }, expect: 401, why: 'no key, a 300-character request id' },
  { headers: { 'X-Request-Id': rawUtf8('ид-🔑') }, expect: 401, why: 'no key, a UTF-8 request id' },
  { headers: { 'X-Request-Id': '<script>alert(1)</script>' }, expect: 401, why: 'no key, markup as the request id' },
  { headers: { 'X-Request-Id': ['one', 'two'] }, expect: 401, why: 'no key, two request ids' },
  { headers: { Accept: 'text/html' }, expect: 401, why: 'no key, Accept: text/html' },
  { headers: { Accept: 'text/plain' }, expect: 401, why: 'no key, Accept: text/plain' },
  { headers: { ...withKey, Accept: 'application/xml' }, expect: '4xx', why: 'Accept: application/xml with a key' },
];
for (const route of API_ROUTES) {
  for (const c of HEADER_CASES) {
    // Where the request is otherwise fine, only the headers decide; a bad name or route still needs a key first.
    const fine = !route.path.includes('nothing-here') && !route.path.includes('aaaa');
    let expect: Expected = c.expect;
    if (!fine && c.expect !== 401 && c.expect !== 400) expect = '4xx';
    if (!fine && c.why.startsWith('Accept: application/xml')) expect = route.path.includes('nothing-here') ? 404 : 400;
    if (fine && c.why.startsWith('Accept: application/xml')) continue;
    add({ method: route.method, path: route.path, headers: c.headers, expect, why: c.why });
  }
}
// Junk request ids and Accept values on answers that are errors for other reasons: still problem+json.
const ODD_ACCEPTS = ['text/html', 'text/plain', 'application/xml', '*/*;q=0', 'application/json;q=0', 'image/png', ';;;', 'garbage', `${'a/b,'.repeat(250)}c/d`, rawUtf8('текст/html')];
const ODD_IDS = ['', ' ', 'a b', 'r'.repeat(129), '../../etc/passwd', '"quoted"', 'id;drop', rawUtf8('ид'), '\u00ff'];
const ERRORS_FOR_OTHER_REASONS: readonly { readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly expect: number }[] = [
  { method: 'GET', path: `${API}/credentials/a${pct(1)}b`, headers: withKey, expect: 400 },
  { method: 'GET', path: `${API}/db-url/nothing-by-this-name`, headers: withKey, expect: 404 },
  { method: 'GET', path: `${API}/db-url/db-prod?dialect=sqlite`, headers: withKey, expect: 400 },
  { method: 'GET', path: `${API}/credentials/shared`, headers: withKey, expect: 409 },
  { method: 'GET', path: `${API}/credentials`, headers: {}, expect: 401 },
  { method: 'DELETE', path: `${API}/credentials/db-prod`, headers: withKey, expect: 405 },
  { method: 'GET', path: '/nothing-here', headers: {}, expect: 404 },
  { method: 'POST', path: '/health', headers: {}, expect: 405 },
];
for (const base of ERRORS_FOR_OTHER_REASONS) {
  for (const accept of ODD_ACCEPTS) add({ ...base, headers: { ...base.headers, Accept: accept }, why: `Accept: ${accept.slice(0, 30)}` });
  for (const id of ODD_IDS) add({ ...base, headers: { ...base.headers, 'X-Request-Id': id }, why: `X-Request-Id ${JSON.stringify(id.slice(0, 30))}` });
}
const HEADER_COUNT = probes.length - NAME_COUNT - PATH_COUNT - VERSION_COUNT - QUERY_COUNT;

// Methods and bodies: every route with every other method, with and without a key, and bodies everywhere.
interface RouteSpec {
  readonly path: string;
  readonly allowed: string | null;
  readonly api: boolean;
}
const ROUTES: readonly RouteSpec[] = [
  { path: `${API}/credentials`, allowed: 'GET', api: true },
  { path: `${API}/credentials/db-prod`, allowed: 'GET', api: true },
  { path: `${API}/credentials/Databases/Prod/db-prod/versions`, allowed: 'GET', api: true },
  { path: `${API}/credentials/db-prod/fields/password`, allowed: 'GET', api: true },
  { path: `${API}/credentials/nothing-by-this-name`, allowed: 'GET', api: true },
  { path: `${API}/db-url/db-prod`, allowed: 'GET', api: true },
  { path: `${API}/admin/reload`, allowed: 'POST', api: true },
  { path: '/health', allowed: 'GET', api: false },
  { path: '/api/health', allowed: 'GET', api: false },
  { path: '/ready', allowed: 'GET', api: false },
  { path: `${API}/nothing-here`, allowed: null, api: true },
  { path: `${API}/admin`, allowed: null, api: true },
  { path: `${API}/db-url`, allowed: null, api: true },
  { path: `${API}`, allowed: null, api: true },
  { path: '/nothing-here', allowed: null, api: false },
  { path: '/api/v2/credentials', allowed: null, api: false },
  { path: '/v1/secret/data/db-prod', allowed: null, api: false },
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'];
for (const route of ROUTES) {
  for (const method of METHODS) {
    if (method === route.allowed) continue;
    const known = route.allowed !== null;
    add({ method, path: route.path, headers: route.api ? withKey : {}, expect: known ? 405 : 404, why: `${method} with a key` });
    if (route.api) add({ method, path: route.path, headers: {}, expect: 401, why: `${method} without a key` });
  }
  const method = route.allowed ?? 'GET';
  const bodies = [
    { chunked: false, data: '{"name":"db-prod"}', type: 'application/json' },
    { chunked: false, data: 'x', type: 'text/plain' },
    { chunked: false, data: 'a=1&b=2', type: 'application/x-www-form-urlencoded' },
    { chunked: true, data: '{"chunked":true}', type: 'application/json' },
    { chunked: true, data: '', type: 'application/octet-stream' },
  ];
  for (const body of bodies) {
    const headers = { ...(route.api ? withKey : {}), 'Content-Type': body.type };
    const expect = route.allowed !== null ? 400 : '4xx';
    const why = `${method} with a ${body.chunked ? 'chunked' : 'Content-Length'} body of ${body.data.length} bytes`;
    add({ method, path: route.path, headers, body: { chunked: body.chunked, data: body.data }, expect, why });
  }
  add({ method, path: route.path, headers: {}, body: { chunked: false, data: 'no key, a body' }, expect: route.allowed !== null ? 400 : '4xx', why: 'a body and no key' });
}
const METHOD_COUNT = probes.length - NAME_COUNT - PATH_COUNT - VERSION_COUNT - QUERY_COUNT - HEADER_COUNT;

// ---- sending and judging ------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

interface ProblemBody {
  type?: unknown;
  title?: unknown;
  status?: unknown;
  detail?: unknown;
}

let t: TestApp;
let server: Server;
let port = 0;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
let sent = 0;

function send(probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { ...probe.headers };
    if (probe.body && !probe.body.chunked) headers['Content-Length'] = String(Buffer.byteLength(probe.body.data));
    if (probe.body?.chunked) headers['Transfer-Encoding'] = 'chunked';
    const req = httpRequest({ host: '127.0.0.1', port, method: probe.method, path: probe.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (probe.body && probe.body.data !== '') req.write(probe.body.data);
    req.end();
  });
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// A V8 stack frame (`at fn (/path/file.js:1:2)`, `at /path`, `at node:internal…`) or a dependency path.
const STACK = /(?:^|\s)at (?:[^\s()]+ \()?(?:\/|[A-Za-z]:\\|file:|node:)|node_modules|\.(?:ts|js):\d+:\d+/m;

/** What is wrong with one answer, as short phrases; empty when it keeps the contract. */
function judge(probe: Probe, answer: Answer): string[] {
  const wrong: string[] = [];
  const { status } = answer;
  if (status >= 500) wrong.push('a 5xx');
  else if (status < 400) wrong.push('not an error');
  if (typeof probe.expect === 'number' && status !== probe.expect) wrong.push(`the contract says ${probe.expect}`);
  if (answer.headers['cache-control'] !== 'no-store') wrong.push(`Cache-Control ${String(answer.headers['cache-control'])}`);
  const id = answer.headers['x-request-id'];
  if (typeof id !== 'string' || !SAFE_ID.test(id)) wrong.push('X-Request-Id missing or unsafe');
  if (STACK.test(answer.text)) wrong.push('the body holds a stack trace');
  const leaked = SECRET_VALUES.filter((secret) => answer.text.includes(secret) || JSON.stringify(answer.headers).includes(secret));
  if (leaked.length > 0) wrong.push(`the answer holds ${leaked.length} secret value(s)`);
  if (status < 400) return wrong;
  if (status === 401 && !/^Bearer\b/.test(answer.headers['www-authenticate'] ?? '')) wrong.push('a 401 without WWW-Authenticate: Bearer');
  if (status === 405 && !answer.headers['allow']) wrong.push('a 405 without Allow');
  if (!/^application\/problem\+json(;|$)/.test(answer.headers['content-type'] ?? '')) {
    wrong.push(`Content-Type ${String(answer.headers['content-type'])}`);
    return wrong;
  }
  let body: ProblemBody;
  try {
    body = JSON.parse(answer.text) as ProblemBody;
  } catch {
    wrong.push('the body is not JSON');
    return wrong;
  }
  if (body.status !== status) wrong.push(`body.status is ${JSON.stringify(body.status)}`);
  if (typeof body.title !== 'string' || body.title === '') wrong.push('no string title');
  if (typeof body.detail !== 'string' || body.detail === '') wrong.push('no string detail');
  if (typeof body.type !== 'string') wrong.push('no string type');
  return wrong;
}

// Failure messages end up in CI logs: keys are named there, never printed, and a leaked secret shows as <secret>.
const NAMED: readonly [string, string][] = [
  [BIG_KEY, '<10 KB key>'],
  [BIG_KEY_7K, '<7 KB key>'],
  [BASIC_A, '<base64 alpha:KEY_A>'],
  [KEY_A, '<KEY_A>'],
  [KEY_B, '<KEY_B>'],
  ...SECRET_VALUES.map((secret): [string, string] => [secret, '<secret>']),
];
const mask = (value: string): string => NAMED.reduce((text, [secret, name]) => text.split(secret).join(name), value);
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/** A request as a reader can repeat it, with API keys named rather than printed and long values cut. */
function describeProbe(probe: Probe): string {
  const show = (value: string): string => cut(mask(value), 80);
  const headers = Object.entries(probe.headers).map(([name, value]) =>
    `${name}: ${Array.isArray(value) ? value.map(show).join(' | ') : show(value)}`,
  );
  if (probe.body) headers.push(probe.body.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${Buffer.byteLength(probe.body.data)}`);
  return `${probe.method} ${cut(mask(probe.path), 120)}${headers.length ? ` [${headers.join('; ')}]` : ''} — ${probe.why}`;
}

async function sweep(batch: readonly Probe[]): Promise<void> {
  const failures: string[] = [];
  const queue = [...batch];
  const worker = async (): Promise<void> => {
    for (let probe = queue.shift(); probe; probe = queue.shift()) {
      let answer: Answer;
      try {
        answer = await send(probe);
      } catch (error) {
        failures.push(`${describeProbe(probe)}\n    → no answer: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      sent += 1;
      const wrong = judge(probe, answer);
      if (wrong.length > 0) {
        const got = cut(mask(answer.text), 200);
        failures.push(`${describeProbe(probe)}\n    → got ${answer.status}: ${wrong.join(', ')}\n      body ${got}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  if (failures.length > 0) {
    const shown = failures.slice(0, 30).join('\n');
    const more = failures.length > 30 ? `\n… and ${failures.length - 30} more` : '';
    throw new Error(`${failures.length} of ${batch.length} bad requests broke the contract:\n${shown}${more}`);
  }
}

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, ENTRIES);
  // A loader makes POST /admin/reload a working route, so a bad reload request can only fail for its badness.
  t = buildApp({ snapshot, keysText: KEYS_TEXT, loader: () => Promise.resolve(snapshot), now: () => new Date(Date.UTC(2026, 5, 1)) });
  server = createServer(t.app).listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const start = (count: number, before: number): Probe[] => probes.slice(before, before + count);
const GROUPS: readonly [string, Probe[]][] = [
  ['names: empty, too long, control characters, malformed percent-encoding', start(NAME_COUNT, 0)],
  ['odd paths: .., //, %2F, uuid: junk, name@version, long paths', start(PATH_COUNT, NAME_COUNT)],
  ['versions', start(VERSION_COUNT, NAME_COUNT + PATH_COUNT)],
  ['queries: booleans, limit/offset, unknown parameters, arrays, db-url options', start(QUERY_COUNT, NAME_COUNT + PATH_COUNT + VERSION_COUNT)],
  ['headers: keys, both key headers, request ids, Accept', start(HEADER_COUNT, NAME_COUNT + PATH_COUNT + VERSION_COUNT + QUERY_COUNT)],
  ['methods and bodies on every route', start(METHOD_COUNT, NAME_COUNT + PATH_COUNT + VERSION_COUNT + QUERY_COUNT + HEADER_COUNT)],
];

describe('a sweep of bad requests: no 5xx, every error problem+json', () => {
  test('the generated sweep is large and every request is in a group', () => {
    expect(probes.length).toBeGreaterThanOrEqual(600);
    expect(GROUPS.reduce((n, [, batch]) => n + batch.length, 0)).toBe(probes.length);
  });

  test.each(GROUPS.map(([name, batch]) => [name, batch.length, batch] as const))('%s (%i requests)', async (_name, _count, batch) => {
    await sweep(batch);
  });

  test('at least 500 bad requests were sent and answered', () => {
    expect(sent).toBeGreaterThanOrEqual(500);
  });
});
