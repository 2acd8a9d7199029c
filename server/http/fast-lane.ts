// Answers the hot reads (one credential, its db-url, a list page) straight from node:http, ahead of Express.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Store } from 'express-rate-limit';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'winston';
import { matchKey, presentedKey } from '../access/authenticate';
import type { KeyStore, Principal } from '../access/key-ring';
import { versionFor } from '../access/reference-view';
import type { AuditSink } from '../audit';
import type { Cidr, Rate } from '../config-parsers';
import type { Metrics } from '../metrics';
import { credentialBody, listBody, LIST_QUERY, ONE_QUERY, target } from '../routes/credentials';
import { DB_URL_QUERY, dbUrlOf } from '../routes/db-url';
import { resolve, versionOf } from '../routes/lookup';
import type { VaultHolder } from '../vault/holder';
import type { Credential, CredentialVersion, Snapshot } from '../vault/snapshot';
import { formatVersion } from '../vault/versions';
import { isAllowedIp } from './allowed-ips';
import type { HeaderList } from './fixed-headers';
import { parseName, parseQuery, type Parsed, type Shape } from './params';
import { withinAuthFailLimit, withinRequestLimit } from './rate-limits';
import { logAccess, requestIdOf } from './request-log';

export interface FastLaneOptions {
  readonly holder: VaultHolder;
  readonly keys: KeyStore;
  readonly logger: Logger;
  readonly headers: HeaderList;
  readonly now: () => Date;
  /** TRUST_PROXY as config.ts parsed it; the client address is then read as Express reads it. */
  readonly trustProxy: number | readonly string[] | false;
  readonly allowedIps: readonly Cidr[];
  /** With CORS on, requests that carry an Origin go to Express, which owns the CORS answers. */
  readonly cors: boolean;
  readonly requestLimit: { readonly rate: Rate; readonly store: Store } | null;
  readonly authFailLimit: { readonly rate: Rate; readonly store: Store } | null;
  readonly metrics?: Metrics | undefined;
  readonly audit?: AuditSink | undefined;
}

const PREFIX = '/api/v1/';
const LIST_PATH = '/api/v1/credentials';
const ONE_PREFIX = '/api/v1/credentials/';
const DB_URL_PREFIX = '/api/v1/db-url/';
const JSON_TYPE = 'application/json; charset=utf-8';
const JSON_ACCEPTS = new Set(['*/*', 'application/json', 'application/*']);

/** A 200 the lane has fully worked out before anything is counted, logged or written. */
interface Answer {
  readonly route: string;
  readonly body: string | Buffer;
  readonly credential: string | null;
  readonly version: string | null;
  readonly revealed: boolean;
}

/**
 * A query of plain `name=value` pairs, as the routes' own schemas read it. Anything needing decoding,
 * repeated or odd is left to Express, whose parser and 400s are the reference.
 */
function plainQuery<S extends Shape>(shape: S, query: string): Parsed<S> | null {
  const raw: Record<string, string> = {};
  if (query !== '') {
    if (query.includes('%') || query.includes('+')) return null;
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return null;
      const name = pair.slice(0, eq);
      if (!Object.hasOwn(shape, name) || Object.hasOwn(raw, name)) return null;
      raw[name] = pair.slice(eq + 1);
    }
  }
  try {
    return parseQuery(shape, raw);
  } catch {
    return null;
  }
}

/** The segments Express's `*rest` would give, decoded, or null for anything it would treat specially. */
function nameOf(rest: string): string[] | null {
  if (rest === '') return null;
  const segments = rest.split('/');
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    if (segment === '') return null;
    if (segment.includes('%')) {
      try {
        segments[i] = decodeURIComponent(segment);
      } catch {
        return null;
      }
    }
  }
  return segments;
}

/** The one version a name and version number lead to for this key, or null where Express must answer. */
function find(snapshot: Snapshot, name: string, principal: Principal, version: number | undefined): { credential: Credential; chosen: CredentialVersion } | null {
  try {
    const credential = resolve(snapshot, parseName(name), principal);
    return { credential, chosen: versionFor(principal, versionOf(credential, version)) };
  } catch {
    return null;
  }
}

export function fastLane(options: FastLaneOptions, express: RequestListener): RequestListener {
  const { holder, keys, logger, now, metrics, audit } = options;
  const fixed = options.headers.flat();
  const trusted = trustFunction(options.trustProxy);

  function answer(path: string, query: string, principal: Principal, snapshot: Snapshot): Answer | null {
    if (path === LIST_PATH) {
      const parsed = plainQuery(LIST_QUERY, query);
      if (!parsed || (parsed.show_password && !principal.reveal)) return null;
      return { route: LIST_PATH, body: listBody(snapshot, principal, parsed, now()), credential: null, version: null, revealed: parsed.show_password };
    }
    if (path.startsWith(ONE_PREFIX)) {
      const segments = nameOf(path.slice(ONE_PREFIX.length));
      if (!segments) return null;
      const to = target(segments);
      const parsed = plainQuery(ONE_QUERY, query);
      if (to.route !== 'credential' || !parsed || (parsed.show_password && !principal.reveal)) return null;
      const found = find(snapshot, to.name, principal, parsed.version);
      if (!found) return null;
      const body = credentialBody(found.credential, found.chosen, parsed.show_password, now());
      return { route: '/api/v1/credentials/{name}', body, credential: found.credential.path, version: formatVersion(found.chosen.number), revealed: parsed.show_password };
    }
    if (path.startsWith(DB_URL_PREFIX)) {
      const segments = nameOf(path.slice(DB_URL_PREFIX.length));
      const parsed = plainQuery(DB_URL_QUERY, query);
      if (!segments || !parsed) return null;
      const revealed = !parsed.mask_password;
      if (revealed && !principal.reveal) return null;
      const found = find(snapshot, segments.join('/'), principal, parsed.version);
      if (!found) return null;
      let body: string;
      try {
        body = JSON.stringify(dbUrlOf(found.chosen.state, parsed));
      } catch {
        return null; // a URL that cannot be built is a 422 with a reason: Express's to give
      }
      return { route: '/api/v1/db-url/{name}', body, credential: found.credential.path, version: formatVersion(found.chosen.number), revealed };
    }
    return null;
  }

  function send(req: IncomingMessage, res: ServerResponse, started: bigint, path: string, ip: string | undefined, principal: Principal, done: Answer): void {
    const requestId = requestIdOf(firstOf(req.headers['x-request-id']));
    res.writeHead(200, [...fixed, 'X-Request-Id', requestId, 'Content-Type', JSON_TYPE, 'Content-Length', String(typeof done.body === 'string' ? Buffer.byteLength(done.body) : done.body.length)]);
    res.end(done.body);
    logAccess(logger, { requestId, method: 'GET', path, status: 200, started, key: principal.name, clientIp: ip ?? null });
    metrics?.observe('GET', done.route, 200, Number(process.hrtime.bigint() - started) / 1e9);
    audit?.write({
      time: new Date().toISOString(),
      audit: true,
      request_id: requestId,
      key: principal.name,
      client_ip: ip ?? null,
      method: 'GET',
      route: done.route,
      credential: done.credential,
      version: done.version,
      revealed: done.revealed,
      status: 200,
    });
  }

  async function afterLimits(req: IncomingMessage, res: ServerResponse, started: bigint, path: string, ip: string | undefined, principal: Principal, done: Answer): Promise<void> {
    try {
      const fail = options.authFailLimit;
      const limit = options.requestLimit;
      const within = (!fail || (await withinAuthFailLimit(fail.store, fail.rate, ip))) && (!limit || (await withinRequestLimit(limit.store, limit.rate, principal.limitKey)));
      if (within) {
        send(req, res, started, path, ip, principal, done);
        return;
      }
    } catch {
      // A store that cannot count (Redis away) is Express's 503 to give.
    }
    express(req, res);
  }

  return function fastLaneListener(req, res) {
    const started = process.hrtime.bigint();
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith(PREFIX)) {
      express(req, res);
      return;
    }
    const headers = req.headers;
    const length = headers['content-length'];
    const accept = headers.accept;
    if (
      headers.host === undefined ||
      headers['transfer-encoding'] !== undefined ||
      (length !== undefined && length !== '0') ||
      (options.cors && headers.origin !== undefined) ||
      (accept !== undefined && !JSON_ACCEPTS.has(accept))
    ) {
      express(req, res);
      return;
    }
    const ip = trusted ? proxyaddr(req, trusted) : req.socket.remoteAddress;
    const presented = presentedKey(headers, req.rawHeaders);
    const snapshot = holder.current();
    if (presented.kind !== 'key' || !snapshot || (options.allowedIps.length > 0 && !isAllowedIp(options.allowedIps, ip))) {
      express(req, res);
      return;
    }
    const match = matchKey(keys, presented.key, now());
    if (match.kind !== 'ok') {
      express(req, res);
      return;
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const done = answer(path, q < 0 ? '' : url.slice(q + 1), match.principal, snapshot);
    if (!done) {
      express(req, res);
      return;
    }
    if (options.authFailLimit || options.requestLimit) void afterLimits(req, res, started, path, ip, match.principal, done);
    else send(req, res, started, path, ip, match.principal, done);
  };
}

/** Express's own rule for `trust proxy` (a hop count or a list of addresses and ranges). */
function trustFunction(trust: number | readonly string[] | false): ((address: string, hop: number) => boolean) | null {
  if (trust === false) return null;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile([...trust]);
}

const firstOf = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
