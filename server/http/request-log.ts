// Gives each request an id and writes one access line when its response is done.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'winston';
import './context';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Probes hit these every few seconds; their lines are noise at `info`.
const QUIET = new Set(['/health', '/ready', '/api/health']);

/** An offered X-Request-Id is kept when it is safe to echo and log; otherwise a fresh one is made. */
export const requestIdOf = (offered: string | undefined): string =>
  offered !== undefined && SAFE_ID.test(offered) ? offered : randomUUID();

export interface Access {
  readonly requestId: string;
  readonly method: string;
  /** The path as sent, without its query (which may name things, never secrets: keys go in headers). */
  readonly path: string;
  readonly status: number;
  readonly started: bigint;
  readonly key: string | null;
  readonly clientIp: string | null;
}

/** The one access line per request, written by Express's path and the fast lane alike. */
export function logAccess(logger: Logger, access: Access): void {
  const durationMs = Number(process.hrtime.bigint() - access.started) / 1e6;
  logger.log(QUIET.has(access.path) && access.status < 400 ? 'debug' : 'info', 'request', {
    request_id: access.requestId,
    method: access.method,
    path: access.path,
    status: access.status,
    duration_ms: Math.round(durationMs * 1000) / 1000,
    key: access.key,
    client_ip: access.clientIp,
  });
}

export function requestLog(logger: Logger): RequestHandler {
  return function requestLogMiddleware(req, res, next) {
    const started = process.hrtime.bigint();
    req.requestId = requestIdOf(req.get('x-request-id'));
    res.setHeader('X-Request-Id', req.requestId);
    res.on('finish', () => {
      logAccess(logger, {
        requestId: req.requestId,
        method: req.method,
        path: req.originalUrl.split('?', 1)[0] ?? '',
        status: res.statusCode,
        started,
        key: req.principal?.name ?? null,
        clientIp: req.ip ?? null,
      });
    });
    next();
  };
}
