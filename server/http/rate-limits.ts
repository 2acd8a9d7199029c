// Rate limits: per key (per client address before authentication), and a cap on failed authentications.
import type { Request, RequestHandler } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Rate } from '../config-parsers';
import { GatewayError } from '../errors';
import './context';

export type LimiterName = 'ip' | 'key' | 'auth_fail';
export type OnLimited = (limiter: LimiterName) => void;

const clientKey = (req: Request): string => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;

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
    keyGenerator: (req) => (req.principal ? `key:${req.principal.name}` : clientKey(req)),
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
export function authFailLimit(rate: Rate, onLimited: OnLimited, store: Store = new MemoryStore()): RequestHandler {
  const counted = (key: string): void => {
    // A store that fails to count (Redis away) shows up on the next request's get(), as a 503.
    void Promise.resolve()
      .then(() => store.increment(key))
      .catch(() => undefined);
  };
  void store.init?.({ windowMs: rate.windowMs } as Parameters<NonNullable<Store['init']>>[0]);
  return async function authFailLimitMiddleware(req, res, next) {
    const key = `fail:${clientKey(req)}`;
    try {
      const info = await store.get?.(key);
      if (info && info.totalHits >= rate.limit && (info.resetTime?.getTime() ?? Infinity) > Date.now()) {
        onLimited('auth_fail');
        next(tooMany(`too many failed authentications from this address (${rate.text})`, info.resetTime, rate.windowMs));
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
