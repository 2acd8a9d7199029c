// Reads the API key from X-API-Key or Authorization: Bearer and turns it into a Principal.
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors';
import type { KeyMatch, KeyStore } from './key-ring';
import '../http/context';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="kdbx-gateway"' };
const MAX_KEY = 1024;

const unauthorized = (detail: string): GatewayError =>
  new GatewayError('unauthorized', 401, detail, { headers: CHALLENGE });

function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Node keeps only the first of repeated Authorization headers, so repeats are counted on the raw list. */
function repeatedKeyHeaders(rawHeaders: readonly string[]): boolean {
  let authorization = 0;
  let apiKey = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]?.toLowerCase();
    if (name === 'authorization') authorization += 1;
    else if (name === 'x-api-key') apiKey += 1;
  }
  return authorization > 1 || apiKey > 1;
}

export type PresentedKey =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'none'; readonly detail: string }
  | { readonly kind: 'bad'; readonly detail: string };

/** The key a request carries, read the same way by Express's path and the fast lane. */
export function presentedKey(headers: IncomingHttpHeaders, rawHeaders: readonly string[]): PresentedKey {
  if (repeatedKeyHeaders(rawHeaders)) return { kind: 'bad', detail: 'send one X-API-Key or one Authorization header, not several' };
  const apiKey = headers['x-api-key'];
  const fromHeader = (typeof apiKey === 'string' ? apiKey : apiKey?.[0])?.trim();
  const authorization = headers.authorization;
  const fromBearer = bearer(authorization);
  if (fromHeader && fromBearer && fromHeader !== fromBearer) {
    return { kind: 'bad', detail: 'X-API-Key and Authorization carry different keys; send one' };
  }
  const key = fromHeader || fromBearer;
  if (key) return { kind: 'key', key };
  return {
    kind: 'none',
    detail:
      authorization !== undefined
        ? 'the Authorization header must be `Bearer <key>`'
        : 'an API key is required: send X-API-Key: <key> or Authorization: Bearer <key>',
  };
}

/** Over-long keys are refused unhashed: no key this gateway issues is that long. */
export const matchKey = (keys: KeyStore, key: string, now: Date): KeyMatch =>
  key.length <= MAX_KEY ? keys.current().match(key, now) : { kind: 'unknown' };

/**
 * Works out who is calling without refusing yet: a missing or wrong key leaves `authError` set, so
 * the rate limit can count the request by address before requireKey answers 401. Malformed key
 * headers are refused here at once.
 */
export function identify(keys: KeyStore, now: () => Date = () => new Date()): RequestHandler {
  return function identifyMiddleware(req, _res, next) {
    const presented = presentedKey(req.headers, req.rawHeaders);
    if (presented.kind === 'bad') {
      next(new GatewayError('bad_header', 400, presented.detail));
      return;
    }
    if (presented.kind === 'none') {
      req.authError = unauthorized(presented.detail);
      next();
      return;
    }
    const match = matchKey(keys, presented.key, now());
    if (match.kind === 'ok') req.principal = match.principal;
    else req.authError = unauthorized(match.kind === 'expired' ? 'the API key has expired' : 'the API key is not valid');
    next();
  };
}

export const requireKey: RequestHandler = function requireKey(req, _res, next) {
  if (req.principal) next();
  else next(req.authError ?? unauthorized('an API key is required: send X-API-Key: <key> or Authorization: Bearer <key>'));
};
