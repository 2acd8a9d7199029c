// Gives each request an id and writes one access line when its response is done.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'winston';
import './context';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Probes hit these every few seconds; their lines are noise at `info`.
const QUIET = new Set(['/health', '/ready', '/api/health']);

export function requestLog(logger: Logger): RequestHandler {
  return function requestLogMiddleware(req, res, next) {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    req.requestId = offered !== undefined && SAFE_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    res.on('finish', () => {
      const path = req.originalUrl.split('?', 1)[0] ?? '';
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.log(QUIET.has(path) && res.statusCode < 400 ? 'debug' : 'info', 'request', {
        request_id: req.requestId,
        method: req.method,
        path,
        status: res.statusCode,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        key: req.principal?.name ?? null,
        client_ip: req.ip ?? null,
      });
    });
    next();
  };
}
