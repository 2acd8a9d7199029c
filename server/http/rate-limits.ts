// Rate limits: per key (per client address before authentication), and a cap on failed authentications.
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Rate } from '../config-parsers';
import { GatewayError } from '../errors';
import './context';

export type LimiterName = 'ip' | 'key' | 'auth_fail';
export type OnLimited = (limiter: LimiterName) => void;

const addressKey = (ip: string | undefined): string => `ip:${ipKeyGenerator(ip ?? 'unknown')}`;
const clientKey = (req: Request): string => addressKey(req.ip);
const failKey = (ip: string | undefined): string => `fail:${addressKey(ip)}`;

/**
 * The fast lane counts a request the way requestLimit does, on the same store; true while the key
 * is within its limit. A request over it is then handed to Express, which counts it once more and
 * answers the 429: a request already past the limit only moves further past it.
 */
export async function withinRequestLimit(store: Store, rate: Rate, limitKey: string): Promise<boolean> {
  const { totalHits } = await store.increment(limitKey);
  return totalHits <= rate.limit;
}

/** Failed authentications from this address in the current window, when they have reached the cap. */
async function failuresOver(store: Store, rate: Rate, ip: string | undefined): Promise<{ resetTime: Date | undefined } | null> {
  const info = await store.get?.(failKey(ip));
  if (info && info.totalHits >= rate.limit && (info.resetTime?.getTime() ?? Infinity) > Date.now()) return { resetTime: info.resetTime };
  return null;
}

export async function withinAuthFailLimit(store: Store, rate: Rate, ip: string | undefined): Promise<boolean> {
  return (await failuresOver(store, rate, ip)) === null;
}

function tooMany(detail: string, resetTime: Date | undefined, windowMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
  return new GatewayError('rate_limited', 429, `${detail}; retry in ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
}

/**
 * RATE_LIMIT (API.md §7): counted per key once the key is known, and per client address for
 * requests without a valid key, so unauthenticated floods are bounded too.
 */
export function requestLimit(rate: Rate, onLimited: OnLimited, store?: Store): RequestHandler {
  return rateLimit({
    windowMs: rate.windowMs,
    limit: rate.limit,
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (req) => req.principal?.limitKey ?? clientKey(req),
    // X-Forwarded-For is ignored on purpose unless TRUST_PROXY says which proxies to believe.
    validate: { xForwardedForHeader: false },
    ...(store ? { store } : {}),
    handler(req, _res, next) {
      const byKey = req.principal !== undefined;
      onLimited(byKey ? 'key' : 'ip');
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const detail = byKey ? 'too many requests with this API key' : 'too many requests from this address';
      next(tooMany(`${detail} (${rate.text})`, info?.resetTime, rate.windowMs));
    },
  });
}

/**
 * Counts only failed authentications (401s) per address; past the limit every request from that
 * address is refused, a valid key included, until the window passes. express-rate-limit's
 * skipSuccessfulRequests would count requests in flight too, and refuse busy honest clients.
 */
export function authFailLimit(rate: Rate, onLimited: OnLimited, store: Store): RequestHandler {
  const counted = (key: string): void => {
    // A store that fails to count (Redis away) shows up on the next request's get(), as a 503.
    void Promise.resolve()
      .then(() => store.increment(key))
      .catch(() => undefined);
  };
  void store.init?.({ windowMs: rate.windowMs } as Parameters<NonNullable<Store['init']>>[0]);
  return async function authFailLimitMiddleware(req, res, next) {
    const key = failKey(req.ip);
    try {
      const over = await failuresOver(store, rate, req.ip);
      if (over) {
        onLimited('auth_fail');
        next(tooMany(`too many failed authentications from this address (${rate.text})`, over.resetTime, rate.windowMs));
        return;
      }
    } catch (error) {
      next(error);
      return;
    }
    res.on('finish', () => {
      if (res.statusCode === 401) counted(key);
    });
    next();
  };
}
