// Parsers for the access-control settings: rates, proxies, CIDR lists and origins, each failing in one line.
import type IpAddr from 'ipaddr.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const fail = (message: string): never => {
  throw new ConfigError(message);
};

export interface Rate {
  readonly limit: number;
  readonly windowMs: number;
  /** As written by the operator, for messages. */
  readonly text: string;
}

// Maps, not object literals: a word such as `constructor` must not find Object.prototype's.
const UNITS: ReadonlyMap<string, number> = new Map([
  ['s', 1_000], ['sec', 1_000], ['second', 1_000], ['seconds', 1_000],
  ['m', 60_000], ['min', 60_000], ['minute', 60_000], ['minutes', 60_000],
  ['h', 3_600_000], ['hour', 3_600_000], ['hours', 3_600_000],
  ['d', 86_400_000], ['day', 86_400_000], ['days', 86_400_000],
]);

/** `true/false/1/0/yes/no`, lower case: for settings and query parameters alike. */
export const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['1', true], ['yes', true],
  ['false', false], ['0', false], ['no', false],
]);

/** `100/minute`, `10/s`, `5000/hour`; `off` turns the limit off (null). */
export function parseRate(variable: string, raw: string): Rate | null {
  const text = raw.trim();
  if (text.toLowerCase() === 'off') return null;
  const match = /^(\d{1,9})\s*\/\s*([a-z]+)$/i.exec(text);
  const windowMs = match?.[2] ? UNITS.get(match[2].toLowerCase()) : undefined;
  const limit = Number(match?.[1]);
  if (!match || windowMs === undefined || limit < 1) {
    return fail(`${variable} must look like 100/minute (a count from 1, then second, minute, hour or day), or off (received ${JSON.stringify(raw)})`);
  }
  return { limit, windowMs, text };
}

/** ipaddr.js, loaded on the first address to parse: a configuration without any never needs it. */
function ipaddr(): typeof IpAddr {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use
  return require('ipaddr.js') as typeof IpAddr;
}

const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function validCidrOrIp(value: string): boolean {
  return ipaddr().isValid(value) || ipaddr().isValidCIDR(value);
}

const MAX_HOPS = 9;

/** A hop count or a list of proxies (IPs, CIDRs, `loopback`, `linklocal`, `uniquelocal`); never `true`. */
export function parseTrustProxy(raw: string | undefined): number | string[] | false {
  const text = (raw ?? '').trim();
  if (text === '' || text.toLowerCase() === 'false') return false;
  if (text.toLowerCase() === 'true') {
    return fail('TRUST_PROXY=true is refused: it lets any client choose its IP with X-Forwarded-For; give the number of proxies in front (1) or their addresses (loopback, 10.0.0.0/8)');
  }
  // More hops than proxies, or a range holding every address, is `true` by another name.
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) fail(`TRUST_PROXY=${text} is refused: give the number of proxies really in front (at most ${MAX_HOPS}); a client may set as many X-Forwarded-For entries as it likes`);
    return hops;
  }
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!NAMED_RANGES.includes(item) && !validCidrOrIp(item)) {
      fail(`TRUST_PROXY: ${JSON.stringify(item)} is not a hop count, an IP, a CIDR or one of ${NAMED_RANGES.join(', ')}`);
    }
    if (ipaddr().isValidCIDR(item) && ipaddr().parseCIDR(item)[1] === 0) {
      fail(`TRUST_PROXY: ${item} is refused: it trusts every address, as true would; name the proxies' addresses`);
    }
  }
  return items;
}

export type Cidr = [IpAddr.IPv4 | IpAddr.IPv6, number];

/** `10.0.0.0/8, 192.168.1.7, ::1`: a bare address is a range of one. */
export function parseCidrs(variable: string, raw: string | undefined): Cidr[] {
  const items = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.map((item) => {
    if (ipaddr().isValidCIDR(item)) return ipaddr().parseCIDR(item);
    if (ipaddr().isValid(item)) {
      const address = ipaddr().process(item);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as Cidr;
    }
    return fail(`${variable}: ${JSON.stringify(item)} is not an IP address or a CIDR range such as 10.0.0.0/8`);
  });
}

/** Exact origins (`https://app.example.com`); `*` is refused for a service that hands out secrets. */
export function parseOrigins(raw: string | undefined): string[] {
  const items = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.map((item) => {
    if (item === '*') fail('CORS_ORIGINS: * is refused; list the exact origins that may call the gateway from a browser');
    const url = URL.canParse(item) ? new URL(item) : null;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, '')) {
      fail(`CORS_ORIGINS: ${JSON.stringify(item)} is not an origin such as https://app.example.com (scheme, host and port only)`);
    }
    return url?.origin ?? item;
  });
}

/** `true/false/1/0/yes/no` in any case, as in queries. */
export function parseBool(variable: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = BOOLEAN_WORDS.get(raw.trim().toLowerCase());
  return value ?? fail(`${variable} must be true or false (received ${JSON.stringify(raw)})`);
}
