// Builds a database connection URL (or JDBC string) from a KeePass entry's host, credentials and custom fields.
import { badQuery, unprocessable } from '../errors';
import { closest, quoteName } from '../text';
import { bracketed, present, REFUSE, type Dialect, type Origin, type Target, type Writer } from './db-target';
import { field, own, queryParams, trimmedField } from './db-fields';
import { parseLocation, requireHost } from './db-location';
import { JDBC_WRITERS } from './jdbc-url';

export type { Dialect } from './db-target';

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
  /** null for mongodb+srv, whose hosts and ports come from DNS (its drivers refuse a port). */
  port: number | null;
  database: string | null;
}

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

const MAX_TYPO_EDITS = 2;
const DRIVER_NAME = /^[A-Za-z0-9_]+$/;
const PORT_TEXT = /^\d{1,5}$/;

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
  return { url, dialect, driver, host, port: isSrv(dialect, driver) ? null : port, database };
}

// ---- dialect --------------------------------------------------------------------------------

function requestDialect(text: string): Dialect {
  const name = text.toLowerCase();
  if (isDialect(name)) return name;
  throw badQuery(`unknown dialect ${quoteName(text)}${didYouMean(name)}; use one of ${DIALECT_LIST}`, 'dialect');
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
    ? `the entry's URL scheme ${quoteName(declared.raw)} is not a database dialect`
    : `the entry's \`dialect\` field names unknown dialect ${quoteName(declared.raw)}`;
  throw unprocessable(`${subject}${didYouMean(declared.name)}; use one of ${DIALECT_LIST}, or pass ?dialect=`);
}

function splitScheme(raw: string): SchemeParts {
  const plus = raw.indexOf('+');
  const dialectPart = plus < 0 ? raw : raw.slice(0, plus);
  return { raw, dialect: own(SCHEME_ALIASES, dialectPart) ?? dialectPart, driver: plus < 0 ? null : raw.slice(plus + 1) };
}

// Near a dialect's name but not a typo of it: following "did you mean" would change the connection.
const NOT_TYPOS: ReadonlyMap<string, string> = new Map([['rediss', ' (Redis over TLS, which the gateway does not write: ?dialect=redis would give a URL without TLS)']]);

function didYouMean(name: string): string {
  const different = NOT_TYPOS.get(name);
  if (different !== undefined) return different;
  const hint = closestDialect(name);
  return hint === null ? '' : ` (did you mean '${hint}'?)`;
}

function closestDialect(name: string): Dialect | null {
  const known = own(NEAR_NAMES, name);
  if (known !== undefined) return known;
  // Further than two edits is a different word, not a typo, however long the name.
  return closest(name, DIALECT_NAMES, MAX_TYPO_EDITS);
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
      `${subject} ${quoteName(text)} is not a driver name: use letters, digits and '_' only, as in 'psycopg'`,
      'driver',
    );
  }
  return spec;
}

function matchDriver(dialect: Dialect, spec: DriverSpec, origin: Origin, subject: string): string {
  if (spec.dialectPart !== null && spec.dialectPart.toLowerCase() !== dialect) {
    throw REFUSE[origin](
      `${subject} ${quoteName(spec.text)} is for dialect ${quoteName(spec.dialectPart)} but the dialect is '${dialect}'; ` +
        `give the driver alone, as '${spec.name}'`,
      'driver',
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

// ---- port and database ----------------------------------------------------------------------

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

// ---- writing --------------------------------------------------------------------------------

function writerFor(format: DbUrlRequest['format'], dialect: Dialect): Writer {
  if (format === 'url') return writeUrl;
  const writer = JDBC_WRITERS[dialect];
  if (writer !== null) return writer;
  const jdbcDialects = DIALECT_NAMES.filter((name) => JDBC_WRITERS[name] !== null).join(', ');
  throw badQuery(
    `${dialect} has no JDBC form, so format=jdbc cannot be used with it; use format=url (JDBC: ${jdbcDialects})`,
  );
}

/** `mongodb+srv`: a DNS SRV name, not a host; MongoDB's drivers refuse such a URL with a port. */
const isSrv = (dialect: Dialect, driver: string | null): boolean => dialect === 'mongodb' && driver === 'srv';

function writeUrl(target: Target): string {
  const scheme = target.driver === null ? target.dialect : `${target.dialect}+${target.driver}`;
  const query = target.params.toString();
  // MongoDB refuses `host:port?options` without the slash, so a query always brings one.
  const path = target.database !== null ? `/${encodeURIComponent(target.database)}` : query !== '' ? '/' : '';
  const port = isSrv(target.dialect, target.driver) ? '' : `:${target.port}`;
  return `${scheme}://${userinfo(target)}${bracketed(target.host)}${port}${path}${query === '' ? '' : `?${query}`}`;
}

function userinfo({ username, password }: Target): string {
  const user = present(username) ? encodeURIComponent(username) : '';
  const pass = present(password) ? `:${encodeURIComponent(password)}` : '';
  return user === '' && pass === '' ? '' : `${user}${pass}@`;
}
