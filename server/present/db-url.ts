// Builds a database connection URL (or JDBC string) from a KeePass entry's host, credentials and custom fields.
import { isIPv6 } from 'node:net';
import { badQuery, unprocessable, type GatewayError } from '../errors';

export type Dialect = 'postgresql' | 'mysql' | 'mariadb' | 'mssql' | 'oracle' | 'mongodb' | 'redis';

export const DIALECTS: Readonly<Record<Dialect, { defaultPort: number; needsDatabase: boolean }>> = Object.freeze({
  postgresql: { defaultPort: 5432, needsDatabase: true },
  mysql: { defaultPort: 3306, needsDatabase: true },
  mariadb: { defaultPort: 3306, needsDatabase: true },
  mssql: { defaultPort: 1433, needsDatabase: true },
  oracle: { defaultPort: 1521, needsDatabase: true },
  mongodb: { defaultPort: 27017, needsDatabase: false },
  redis: { defaultPort: 6379, needsDatabase: false },
});

export interface DbUrlSource {
  username: string | null;
  /** Already masked ("*****") or revealed by the caller; this module writes whatever it is given. */
  password: string | null;
  url: string | null;
  /** Custom fields, values as the caller wants them written. */
  fields: Readonly<Record<string, string>>;
}

export interface DbUrlRequest {
  dialect?: string | undefined;
  driver?: string | undefined;
  database?: string | undefined;
  format: 'url' | 'jdbc';
}

export interface DbUrl {
  url: string;
  dialect: Dialect;
  driver: string | null;
  host: string;
  port: number;
  database: string | null;
}

/** The caller can fix its own request (400); only the vault's owner can fix the entry's data (422). */
type Origin = 'request' | 'entry';
const REFUSE: Readonly<Record<Origin, (detail: string) => GatewayError>> = { request: badQuery, entry: unprocessable };

const isDialect = (name: string): name is Dialect => Object.hasOwn(DIALECTS, name);
const DIALECT_NAMES: readonly Dialect[] = Object.keys(DIALECTS).filter(isDialect);
const DIALECT_LIST = DIALECT_NAMES.join(', ');

/** Only a URL scheme may say `postgres`: that spelling is what libpq and most drivers write in URLs. */
const SCHEME_ALIASES: Readonly<Record<string, Dialect>> = { postgres: 'postgresql' };

/** Names people reach for that edit distance alone would not map to the dialect they mean. */
const NEAR_NAMES: Readonly<Record<string, Dialect>> = {
  postgres: 'postgresql',
  pg: 'postgresql',
  pgsql: 'postgresql',
  psql: 'postgresql',
  sqlserver: 'mssql',
  mongo: 'mongodb',
  maria: 'mariadb',
  oracledb: 'oracle',
};

const DRIVER_NAME = /^[A-Za-z0-9_]+$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const PORT_TEXT = /^\d{1,5}$/;
const HOST_NAME = /^[\p{L}\p{N}_.-]+$/u;
const PARAM_PREFIX = 'param.';
const NO_HOST =
  "the entry has no host: its URL field should hold `host`, `host:port` or a URL such as `postgresql://host:5432/db`";

/**
 * The parts of the entry's URL field this module uses. Userinfo is never kept,
 * so a password written there cannot escape the caller's masking.
 */
interface Location {
  readonly scheme: string | null;
  readonly host: string;
  readonly port: string;
  readonly path: string;
  readonly query: string;
}

interface SchemeParts {
  readonly raw: string;
  readonly dialect: string;
  readonly driver: string | null;
}

/** A dialect the entry names (known or not), with the words that say where it came from. */
interface Declared {
  readonly name: string;
  readonly raw: string;
  readonly fromScheme: boolean;
}

interface DriverSpec {
  readonly text: string;
  readonly dialectPart: string | null;
  readonly name: string;
}

/** Everything resolved, ready to be written in one of the formats. */
interface Target {
  readonly dialect: Dialect;
  readonly driver: string | null;
  readonly host: string;
  readonly port: number;
  readonly database: string | null;
  readonly databaseOrigin: Origin;
  readonly username: string | null;
  readonly password: string | null;
  readonly params: URLSearchParams;
}

type Writer = (target: Target) => string;

export function buildDbUrl(source: DbUrlSource, request: DbUrlRequest): DbUrl {
  const requestedDialect = request.dialect === undefined ? null : requestDialect(request.dialect);
  const requestedDriver = request.driver === undefined ? null : requestDriver(request.driver, request.format);
  const location = parseLocation(source.url);
  const scheme = location.scheme === null ? null : splitScheme(location.scheme);
  const declared = declaredDialect(source.fields, scheme);
  const dialect = requestedDialect ?? entryDialect(declared) ?? 'postgresql';
  const write = writerFor(request.format, dialect);
  const driver =
    request.format === 'jdbc' ? null : resolveDriver(dialect, requestedDriver, source.fields, declared, scheme);
  const host = requireHost(location.host);
  const port = resolvePort(source.fields, location.port, dialect);
  const { database, databaseOrigin } = resolveDatabase(request.database, source.fields, location.path, dialect);
  const params = queryParams(location.query, source.fields);
  const url = write({
    dialect,
    driver,
    host,
    port,
    database,
    databaseOrigin,
    username: source.username,
    password: source.password,
    params,
  });
  return { url, dialect, driver, host, port, database };
}

// ---- dialect --------------------------------------------------------------------------------

function requestDialect(text: string): Dialect {
  const name = text.toLowerCase();
  if (isDialect(name)) return name;
  throw badQuery(`unknown dialect ${quote(text)}${didYouMean(name)}; use one of ${DIALECT_LIST}`);
}

function declaredDialect(fields: DbUrlSource['fields'], scheme: SchemeParts | null): Declared | null {
  const fromField = trimmedField(fields, 'dialect');
  if (fromField !== null) return { name: fromField.toLowerCase(), raw: fromField, fromScheme: false };
  if (scheme !== null) return { name: scheme.dialect, raw: scheme.raw, fromScheme: true };
  return null;
}

/** Only consulted when the request names no dialect, so a request can rescue an entry whose URL is, say, `https://…`. */
function entryDialect(declared: Declared | null): Dialect | null {
  if (declared === null) return null;
  if (isDialect(declared.name)) return declared.name;
  const subject = declared.fromScheme
    ? `the entry's URL scheme ${quote(declared.raw)} is not a database dialect`
    : `the entry's \`dialect\` field names unknown dialect ${quote(declared.raw)}`;
  throw unprocessable(`${subject}${didYouMean(declared.name)}; use one of ${DIALECT_LIST}, or pass ?dialect=`);
}

function splitScheme(raw: string): SchemeParts {
  const plus = raw.indexOf('+');
  const dialectPart = plus < 0 ? raw : raw.slice(0, plus);
  return { raw, dialect: own(SCHEME_ALIASES, dialectPart) ?? dialectPart, driver: plus < 0 ? null : raw.slice(plus + 1) };
}

function didYouMean(name: string): string {
  const hint = closestDialect(name);
  return hint === null ? '' : ` (did you mean '${hint}'?)`;
}

function closestDialect(name: string): Dialect | null {
  const known = own(NEAR_NAMES, name);
  if (known !== undefined) return known;
  let best: Dialect | null = null;
  let bestDistance = 3; // further than two edits is a different word, not a typo
  for (const dialect of DIALECT_NAMES) {
    const distance = editDistance(name, dialect);
    if (distance < bestDistance) {
      best = dialect;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// ---- driver ---------------------------------------------------------------------------------

function requestDriver(text: string, format: DbUrlRequest['format']): DriverSpec {
  if (format === 'jdbc') throw badQuery('driver applies to format=url only; drop driver= or ask for format=url');
  return parseDriver(text, 'request', 'driver');
}

function parseDriver(text: string, origin: Origin, subject: string): DriverSpec {
  const plus = text.indexOf('+');
  const spec = { text, dialectPart: plus < 0 ? null : text.slice(0, plus), name: text.slice(plus + 1) };
  if (!DRIVER_NAME.test(spec.name)) {
    throw REFUSE[origin](
      `${subject} ${quote(text)} is not a driver name: use letters, digits and '_' only, as in 'psycopg'`,
    );
  }
  return spec;
}

function matchDriver(dialect: Dialect, spec: DriverSpec, origin: Origin, subject: string): string {
  if (spec.dialectPart !== null && spec.dialectPart.toLowerCase() !== dialect) {
    throw REFUSE[origin](
      `${subject} ${quote(spec.text)} is for dialect ${quote(spec.dialectPart)} but the dialect is '${dialect}'; ` +
        `give the driver alone, as '${spec.name}'`,
    );
  }
  return spec.name;
}

/** The entry's driver belongs to the entry's own dialect: a request that switches dialect leaves it behind. */
function resolveDriver(
  dialect: Dialect,
  requested: DriverSpec | null,
  fields: DbUrlSource['fields'],
  declared: Declared | null,
  scheme: SchemeParts | null,
): string | null {
  if (requested !== null) return matchDriver(dialect, requested, 'request', 'driver');
  if (declared !== null && declared.name !== dialect) return null;
  const fromField = trimmedField(fields, 'driver');
  if (fromField !== null) {
    const subject = "the entry's `driver` field";
    return matchDriver(dialect, parseDriver(fromField, 'entry', subject), 'entry', subject);
  }
  if (scheme === null || scheme.driver === null || scheme.dialect !== dialect) return null;
  return parseDriver(scheme.driver, 'entry', "the driver in the entry's URL scheme").name;
}

// ---- host, port, database, parameters --------------------------------------------------------

function parseLocation(url: string | null): Location {
  const text = (url ?? '').trim();
  const scheme = SCHEME.exec(text);
  const rest = scheme ? text.slice(scheme[0].length) : text;
  const [authority, tail] = splitAt(rest, /[/?#]/);
  const [beforeFragment] = splitAt(tail, /#/);
  const [path, query] = splitAt(beforeFragment, /\?/);
  const { host, port } = splitHostPort(authority.slice(authority.lastIndexOf('@') + 1));
  return {
    scheme: scheme?.[1]?.toLowerCase() ?? null,
    host,
    port,
    path: path.replace(/^\//, ''),
    query: query.replace(/^\?/, ''),
  };
}

function splitAt(text: string, separator: RegExp): [string, string] {
  const at = text.search(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at)];
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    const after = close < 0 ? '' : hostPort.slice(close + 1);
    const host = close < 0 ? '' : hostPort.slice(1, close);
    if (!isIPv6(host) || (after !== '' && !after.startsWith(':'))) {
      throw unprocessable("the entry's URL field has a malformed bracketed host: write an IPv6 host as `[::1]:5432`");
    }
    return { host, port: after.slice(1) };
  }
  // A bare IPv6 address has no room for a port: its last colon belongs to the address.
  if (isIPv6(hostPort)) return { host: hostPort, port: '' };
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? { host: hostPort, port: '' } : { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

function requireHost(host: string): string {
  if (host === '') throw unprocessable(NO_HOST);
  // A zone index (`%eth0`) would need its own escaping in every format; no database server needs one here.
  if ((isIPv6(host) && !host.includes('%')) || HOST_NAME.test(host)) return host;
  if (host.includes(',')) {
    throw unprocessable("the entry's URL field names several hosts; a URL built here has exactly one host");
  }
  throw unprocessable(
    "the host in the entry's URL field has characters a host name cannot have; write `host`, `host:port` or a URL",
  );
}

function resolvePort(fields: DbUrlSource['fields'], urlPort: string, dialect: Dialect): number {
  const fromField = trimmedField(fields, 'port');
  if (fromField !== null) return parsePort(fromField, "the entry's `port` field");
  if (urlPort !== '') return parsePort(urlPort, "the port in the entry's URL field");
  return DIALECTS[dialect].defaultPort;
}

/** Neither value is echoed: a malformed URL may have shifted part of a password into the port. */
function parsePort(text: string, subject: string): number {
  const port = PORT_TEXT.test(text) ? Number(text) : Number.NaN;
  if (port >= 1 && port <= 65535) return port;
  throw unprocessable(`${subject} must be a port: a whole number from 1 to 65535`);
}

function resolveDatabase(
  requested: string | undefined,
  fields: DbUrlSource['fields'],
  path: string,
  dialect: Dialect,
): { database: string | null; databaseOrigin: Origin } {
  if (requested !== undefined && requested !== '') return { database: requested, databaseOrigin: 'request' };
  const database = field(fields, 'database') ?? field(fields, 'dbname') ?? pathDatabase(path);
  if (database === null && DIALECTS[dialect].needsDatabase) {
    throw unprocessable(`${dialect} needs a database: set the entry's \`database\` field or pass ?database=`);
  }
  return { database, databaseOrigin: 'entry' };
}

function pathDatabase(path: string): string | null {
  if (path === '') return null;
  try {
    return decodeURIComponent(path);
  } catch {
    throw unprocessable(
      "the database in the entry's URL path is not valid percent-encoding; fix it or set the entry's `database` field",
    );
  }
}

/** The URL's own parameters keep their places; a field of the same name replaces the value where it stands. */
function queryParams(query: string, fields: DbUrlSource['fields']): URLSearchParams {
  const params = new URLSearchParams(query);
  // The caller masks only the password it passes; a copy in the URL's query would slip past that.
  for (const name of [...params.keys()]) if (name.toLowerCase() === 'password') params.delete(name);
  const sslmode = trimmedField(fields, 'sslmode');
  if (sslmode !== null) params.set('sslmode', sslmode);
  for (const [name, value] of paramFields(fields)) params.set(name, value);
  return params;
}

function paramFields(fields: DbUrlSource['fields']): Array<[string, string]> {
  const keys = Object.keys(fields).filter((key) => key.startsWith(PARAM_PREFIX)).sort();
  return keys.flatMap((key): Array<[string, string]> => {
    const name = key.slice(PARAM_PREFIX.length);
    if (name === '') {
      throw unprocessable("the entry's custom field `param.` has no parameter name; name it `param.<name>`");
    }
    const value = field(fields, key);
    return value === null ? [] : [[name, value]];
  });
}

// ---- writing --------------------------------------------------------------------------------

const JDBC_WRITERS: Readonly<Record<Dialect, Writer | null>> = {
  postgresql: jdbcWithQuery('postgresql'),
  mysql: jdbcWithQuery('mysql'),
  mariadb: jdbcWithQuery('mariadb'),
  mssql: jdbcSqlServer,
  oracle: jdbcOracle,
  mongodb: null,
  redis: null,
};

function writerFor(format: DbUrlRequest['format'], dialect: Dialect): Writer {
  if (format === 'url') return writeUrl;
  const writer = JDBC_WRITERS[dialect];
  if (writer !== null) return writer;
  const jdbcDialects = DIALECT_NAMES.filter((name) => JDBC_WRITERS[name] !== null).join(', ');
  throw badQuery(
    `${dialect} has no JDBC form, so format=jdbc cannot be used with it; use format=url (JDBC: ${jdbcDialects})`,
  );
}

function writeUrl(target: Target): string {
  const scheme = target.driver === null ? target.dialect : `${target.dialect}+${target.driver}`;
  const query = target.params.toString();
  // MongoDB refuses `host:port?options` without the slash, so a query always brings one.
  const path = target.database !== null ? `/${encodeURIComponent(target.database)}` : query !== '' ? '/' : '';
  return `${scheme}://${userinfo(target)}${bracketed(target.host)}:${target.port}${path}${query === '' ? '' : `?${query}`}`;
}

function userinfo({ username, password }: Target): string {
  const user = present(username) ? encodeURIComponent(username) : '';
  const pass = present(password) ? `:${encodeURIComponent(password)}` : '';
  return user === '' && pass === '' ? '' : `${user}${pass}@`;
}

/** pgjdbc, Connector/J and MariaDB Connector/J all read credentials from the query and percent-decode it. */
function jdbcWithQuery(subprotocol: string): Writer {
  return (target) => {
    const params = new URLSearchParams();
    if (present(target.username)) params.set('user', target.username);
    if (present(target.password)) params.set('password', target.password);
    const credentialNames = new Set(params.keys());
    for (const [name, value] of target.params) if (!credentialNames.has(name)) params.append(name, value);
    const query = params.toString();
    const database = encodeURIComponent(target.database ?? '');
    return `jdbc:${subprotocol}://${bracketed(target.host)}:${target.port}/${database}${query === '' ? '' : `?${query}`}`;
  };
}

const SQL_SERVER_PROPERTY = /^[A-Za-z0-9_.]+$/;

function jdbcSqlServer(target: Target): string {
  // The driver's URL parser ends the server name at the first ':', so an IPv6 host must travel as properties.
  const server = isIPv6(target.host)
    ? `;serverName=${target.host};portNumber=${target.port}`
    : `${target.host}:${target.port}`;
  const properties: Array<[string, string]> = [];
  if (target.database !== null) properties.push(['databaseName', target.database]);
  if (present(target.username)) properties.push(['user', target.username]);
  if (present(target.password)) properties.push(['password', target.password]);
  // Property names are case-insensitive to the driver, so a parameter must not shadow one written above.
  const written = new Set(properties.map(([name]) => name.toLowerCase()));
  for (const [name, value] of target.params) if (!written.has(name.toLowerCase())) properties.push([name, value]);
  const pairs = properties.map(([name, value]) => `;${sqlServerName(name)}=${sqlServerValue(value)}`);
  return `jdbc:sqlserver://${server}${pairs.join('')}`;
}

function sqlServerName(name: string): string {
  if (SQL_SERVER_PROPERTY.test(name)) return name;
  throw unprocessable(
    `the parameter name ${quote(name)} cannot be written in a SQL Server JDBC URL; use letters, digits, '_' and '.'`,
  );
}

/** Braces per the Microsoft driver: they protect ';' and braces, and keep the edge spaces it would otherwise trim. */
function sqlServerValue(value: string): string {
  return /[;{}]|^\s|\s$/.test(value) ? `{${value.replaceAll('}', '}}')}}` : value;
}

const ORACLE_USER = /^[^\s/@"]+$/;
const ORACLE_SERVICE = /^[A-Za-z0-9._$#-]+$/;
const ORACLE_PARAM_NAME = /^[A-Za-z0-9_.]+$/;
const ORACLE_PARAM_VALUE = /^[A-Za-z0-9._~:/,@+-]*$/;

/** Easy Connect strings are not percent-decoded, so anything that would need escaping is refused rather than mangled. */
function jdbcOracle(target: Target): string {
  const credentials = oracleCredentials(target);
  const service = oracleService(target);
  const query = oracleQuery(target.params);
  return `jdbc:oracle:thin:${credentials}@//${bracketed(target.host)}:${target.port}/${service}${query}`;
}

/** The thin driver's syntax is `[user/password]@`: both or neither. */
function oracleCredentials({ username, password }: Target): string {
  if (!present(username) || !present(password)) return '';
  if (!ORACLE_USER.test(username)) {
    throw unprocessable(
      "the username cannot be written in an Oracle thin URL (it holds a space, '/', '@' or '\"'); pass it as a connection property",
    );
  }
  if (password.includes('"')) {
    throw unprocessable('an Oracle thin URL cannot carry a password that contains \'"\'; pass it as a connection property');
  }
  return `${username}/"${password}"`;
}

function oracleService({ database, databaseOrigin }: Target): string {
  const service = database ?? '';
  if (ORACLE_SERVICE.test(service)) return service;
  throw REFUSE[databaseOrigin](
    `the Oracle service name ${quote(service)} cannot be written in a thin URL; use letters, digits and . _ $ # -`,
  );
}

function oracleQuery(params: URLSearchParams): string {
  const pairs = [...params].map(([name, value]) => {
    if (ORACLE_PARAM_NAME.test(name) && ORACLE_PARAM_VALUE.test(value)) return `${name}=${value}`;
    throw unprocessable(
      `the parameter ${quote(name)} cannot be written in an Oracle thin URL as it stands; set it as a connection property`,
    );
  });
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

// ---- small helpers --------------------------------------------------------------------------

function bracketed(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

function present(value: string | null): value is string {
  return value !== null && value !== '';
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A blank custom field is treated as absent: KeePass keeps fields a user cleared but did not delete. */
function field(fields: DbUrlSource['fields'], name: string): string | null {
  const value = own(fields, name);
  return value === undefined || value.trim() === '' ? null : value;
}

/** For fields that name things (dialect, port, …), where stray spaces are never meant. */
function trimmedField(fields: DbUrlSource['fields'], name: string): string | null {
  return field(fields, name)?.trim() ?? null;
}

/** Echoes a caller- or entry-supplied name, cut short so a pasted blob cannot fill the response. */
function quote(text: string): string {
  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}
