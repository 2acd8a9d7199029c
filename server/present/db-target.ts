// The resolved connection target that the URL and JDBC writers share, and the small rules they have in common.
import { isIPv6 } from 'node:net';
import { badQuery, unprocessable, type GatewayError } from '../errors';

export type Dialect = 'postgresql' | 'mysql' | 'mariadb' | 'mssql' | 'oracle' | 'mongodb' | 'redis';

/** The caller can fix its own request (400); only the vault's owner can fix the entry's data (422). */
export type Origin = 'request' | 'entry';
// `parameter` names the query parameter a request's refused value came from (the '+' hint needs it).
export const REFUSE: Readonly<Record<Origin, (detail: string, parameter: string) => GatewayError>> = {
  request: (detail, parameter) => badQuery(detail, parameter),
  entry: (detail) => unprocessable(detail),
};

/** Everything resolved, ready to be written in one of the formats. */
export interface Target {
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

export type Writer = (target: Target) => string;

export function bracketed(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

export function present(value: string | null): value is string {
  return value !== null && value !== '';
}
