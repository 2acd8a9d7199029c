// The one error middleware: every failure, ours or Express's, leaves as RFC 9457 problem+json.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'winston';
import { GatewayError, problemBody } from '../errors';
import { quote } from '../text';
import { plusHint } from './params';
import './context';

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** Errors thrown by Express, its router or Node's parser carry an HTTP status; those are client errors. */
function clientStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function describe(error: unknown, status: number): string {
  if (error instanceof URIError || (error instanceof Error && /decode param|URI malformed/i.test(error.message))) {
    return 'the path holds malformed percent-encoding';
  }
  return status === 413 ? 'request bodies are not accepted' : 'the request could not be understood';
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return function problemMiddleware(error: unknown, req, res, _next) {
    let status: number;
    let detail: string;
    let extras;
    if (error instanceof GatewayError) {
      status = error.status;
      detail = error.parameter === undefined ? error.message : `${error.message}${plusHint(req.originalUrl, error.parameter)}`;
      extras = error.extras;
      for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
    } else {
      const client = clientStatus(error);
      status = client ?? 500;
      detail = describe(error, status);
    }
    // A deliberate 503 (the vault still opening, Redis away) says all in its answer and the access
    // line, and is logged once where it begins: a line and a stack per request would flood the log.
    if (status >= 500 && !(error instanceof GatewayError && status === 503)) {
      logger.error('request failed', {
        request_id: req.requestId,
        method: req.method,
        path: req.path,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).type(PROBLEM_TYPE).send(JSON.stringify(problemBody(status, detail, extras)));
  };
}

export const routeNotFound: RequestHandler = function routeNotFound(req, _res, next) {
  // The path as asked: under /api/v1, req.path has lost the prefix.
  next(new GatewayError('route_not_found', 404, `no route ${req.method} ${quote(req.originalUrl.split('?', 1)[0] ?? req.path)}`));
};

/** For `.all()` after a route's real methods: 405 with the Allow header the client needs. */
export function methodNotAllowed(...allowed: string[]): RequestHandler {
  const allow = [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])])].join(', ');
  return function methodNotAllowedHandler(req, _res, next) {
    next(
      new GatewayError('method_not_allowed', 405, `${req.method} is not allowed here; use ${allow}`, {
        headers: { Allow: allow },
      }),
    );
  };
}
