// The security headers every answer carries, worked out once from helmet's own middleware.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export type HeaderList = readonly (readonly [string, string])[];

/**
 * Runs helmet once against a recording response, so the headers are helmet's own (kept current
 * with its releases) but cost nothing per request, and the fast lane and Express send the same set.
 * Cache-Control: no-store joins them: nothing this gateway answers may be kept by a cache.
 */
export function fixedHeaders(): HeaderList {
  return [
    ['Cache-Control', 'no-store'],
    ...recordHeaders(
      'helmet',
      helmet({
        // The API serves JSON only: nothing may be framed, loaded or run from its answers.
        contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
        // The same for browsers that only know X-Frame-Options (helmet's default, SAMEORIGIN, would disagree).
        frameguard: { action: 'deny' },
      }),
      {},
    ),
  ];
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The headers a middleware sets on a request with these headers, recorded once. Used for answers
 * that depend on nothing else: helmet's, and CORS's for requests that carry no Origin.
 */
export function recordHeaders(name: string, middleware: Middleware, requestHeaders: Record<string, string>): HeaderList {
  const headers = new Map<string, [string, string]>();
  const recorder = {
    getHeader: (header: string): string | undefined => headers.get(header.toLowerCase())?.[1],
    setHeader(header: string, value: string | number | readonly string[]): void {
      headers.set(header.toLowerCase(), [header, Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader(header: string): void {
      // X-Powered-By: Express's copy is switched off in app.ts, node:http never sends one.
      headers.delete(header.toLowerCase());
    },
  };
  let ran = false;
  middleware({ method: 'GET', headers: requestHeaders } as IncomingMessage, recorder as unknown as ServerResponse, () => {
    ran = true;
  });
  // Both are synchronous today; if a release ever made one async this must fail loudly, not send less.
  if (!ran) throw new Error(`${name} did not finish synchronously; its headers cannot be worked out once`);
  return Object.freeze([...headers.values()].map(([header, value]) => Object.freeze([header, value] as const)));
}

export function sendFixedHeaders(headers: HeaderList): RequestHandler {
  return function fixedHeadersMiddleware(_req, res, next) {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
