// Reads where an entry's database is from its URL field: `host`, `host:port` or a full URL, userinfo dropped.
import { isIPv6 } from 'node:net';
import { unprocessable } from '../errors';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const HOST_NAME = /^[\p{L}\p{N}_.-]+$/u;
const NO_HOST =
  "the entry has no host: its URL field should hold `host`, `host:port` or a URL such as `postgresql://host:5432/db`";

/**
 * The parts of the entry's URL field that a database URL uses. Userinfo is never kept,
 * so a password written there cannot escape the caller's masking.
 */
export interface Location {
  readonly scheme: string | null;
  readonly host: string;
  readonly port: string;
  readonly path: string;
  readonly query: string;
}

export function parseLocation(url: string | null): Location {
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

export function requireHost(host: string): string {
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
