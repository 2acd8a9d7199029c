// Writes a resolved target as a JDBC connection string, in each driver's own syntax and escaping.
import { isIPv6 } from 'node:net';
import { unprocessable } from '../errors';
import { quoteName } from '../text';
import { bracketed, present, REFUSE, type Dialect, type Target, type Writer } from './db-target';

export const JDBC_WRITERS: Readonly<Record<Dialect, Writer | null>> = {
  postgresql: jdbcWithQuery('postgresql'),
  mysql: jdbcWithQuery('mysql'),
  mariadb: jdbcWithQuery('mariadb'),
  mssql: jdbcSqlServer,
  oracle: jdbcOracle,
  mongodb: null,
  redis: null,
};

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

// ---- SQL Server ------------------------------------------------------------------------------

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
    `the parameter name ${quoteName(name)} cannot be written in a SQL Server JDBC URL; use letters, digits, '_' and '.'`,
  );
}

/** Braces per the Microsoft driver: they protect ';' and braces, and keep the edge spaces it would otherwise trim. */
function sqlServerValue(value: string): string {
  return /[;{}]|^\s|\s$/.test(value) ? `{${value.replaceAll('}', '}}')}}` : value;
}

// ---- Oracle ----------------------------------------------------------------------------------

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
    `the Oracle service name ${quoteName(service)} cannot be written in a thin URL; use letters, digits and . _ $ # -`,
    'database',
  );
}

function oracleQuery(params: URLSearchParams): string {
  const pairs = [...params].map(([name, value]) => {
    if (ORACLE_PARAM_NAME.test(name) && ORACLE_PARAM_VALUE.test(value)) return `${name}=${value}`;
    throw unprocessable(
      `the parameter ${quoteName(name)} cannot be written in an Oracle thin URL as it stands; set it as a connection property`,
    );
  });
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}
