// The audit trail: one JSON line per /api/v1 request, naming the key (never the key itself).
import type { Request, RequestHandler } from 'express';
import type { Writable } from 'node:stream';
import './http/context';

export interface AuditLine {
  time: string;
  audit: true;
  request_id: string;
  key: string | null;
  client_ip: string | null;
  method: string;
  route: string;
  credential: string | null;
  version: string | null;
  revealed: boolean;
  status: number;
}

export interface AuditSink {
  write(line: AuditLine): void;
}

/** Lines go through a stream (stdout or a file opened for appending): no synchronous write on the request path. */
/**
 * `scrub` masks known secrets in what the client chose: the name it asked for and its request ID
 * (a key pasted into a URL must not reach the audit file in clear, as it does not reach the log).
 */
export function streamAuditSink(stream: Writable, scrub: (text: string) => string = (text) => text): AuditSink {
  return {
    write(line) {
      const credential = line.credential === null ? null : scrub(line.credential);
      stream.write(`${JSON.stringify({ ...line, request_id: scrub(line.request_id), credential })}\n`);
    },
  };
}

/** The template when a route matched, else the path (an unknown route names no credential). */
export function routeOf(req: Request): string {
  if (req.routeTemplate) return req.routeTemplate;
  // Express leaves req.route untyped; read it as unknown and narrow.
  const route: unknown = (req as { route?: unknown }).route;
  const template = typeof route === 'object' && route !== null ? (route as { path?: unknown }).path : undefined;
  // Wildcards are shown as the contract writes them: `/credentials/*rest` → `/credentials/{name}`.
  return typeof template === 'string' ? `${req.routeBase ?? req.baseUrl}${template.replace('*rest', '{name}')}` : 'unmatched';
}

/**
 * First on a mounted router: names its mount point for route labels, as written here. `baseUrl`
 * will not do: it is the path as the client cased it (routing ignores case, so `/API/V1/…`
 * would be a series of its own), and Express resets it when an error leaves the router before
 * the answer is written (a 404 on `/api/v1/credentials/{name}` labelled `/credentials/{name}`).
 */
export function rememberRouteBase(base: string): RequestHandler {
  return function rememberRouteBaseMiddleware(req, _res, next) {
    req.routeBase = base;
    next();
  };
}

export function auditTrail(sink: AuditSink): RequestHandler {
  return function auditTrailMiddleware(req, res, next) {
    res.on('finish', () => {
      sink.write({
        time: new Date().toISOString(),
        audit: true,
        request_id: req.requestId,
        key: req.principal?.name ?? null,
        client_ip: req.ip ?? null,
        method: req.method,
        route: routeOf(req),
        credential: req.audit?.credential ?? null,
        version: req.audit?.version ?? null,
        // An error answer reveals nothing, whatever the handler had worked out before it failed.
        revealed: res.statusCode < 300 && req.audit?.revealed === true,
        status: res.statusCode,
      });
    });
    next();
  };
}
