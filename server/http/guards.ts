// Policies that apply to every request before routing: a Host header, and no bodies.
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors';

/**
 * Nothing here takes a body (API.md §13.12). The connection is closed after the refusal so that an
 * unread body is never parsed as the next request.
 */
export const refuseBody: RequestHandler = function refuseBody(req, res, next) {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (chunked || (length !== undefined && length !== '0')) {
    res.setHeader('Connection', 'close');
    next(new GatewayError('body_not_allowed', 400, 'request bodies are not accepted on this API'));
    return;
  }
  next();
};

/**
 * HTTP/1.1 requires Host (RFC 9112 §3.2). Node checks it too, but with a bare 400 before any
 * handler; the server leaves it to this guard (SERVER_OPTIONS) so the answer is problem+json.
 */
export const requireHost: RequestHandler = function requireHost(req, res, next) {
  if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    res.setHeader('Connection', 'close');
    next(new GatewayError('bad_header', 400, 'an HTTP/1.1 request needs a Host header'));
    return;
  }
  next();
};
