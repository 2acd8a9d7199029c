// ALLOWED_IPS: only client addresses inside the listed ranges may call /api and /v1.
import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import type { Cidr } from '../config-parsers';
import { GatewayError } from '../errors';

export function isAllowedIp(ranges: readonly Cidr[], ip: string | undefined): boolean {
  try {
    // ::ffff:10.0.0.1 is an IPv4 client on a dual-stack socket: compare it as IPv4.
    const address = ipaddr.process(ip ?? '');
    return ranges.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
  } catch {
    return false;
  }
}

export function allowedIps(ranges: readonly Cidr[]): RequestHandler {
  return function allowedIpsMiddleware(req, _res, next) {
    if (isAllowedIp(ranges, req.ip)) next();
    else next(new GatewayError('forbidden', 403, `the client address ${req.ip ?? 'unknown'} may not call this API (ALLOWED_IPS)`));
  };
}
