// A policy that applies to every request before routing: no bodies.
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
