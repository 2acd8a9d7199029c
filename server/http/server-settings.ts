// Settings of the HTTP server itself: timeouts, and problem+json for requests Node refuses before Express.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemBody } from '../errors';

const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_INVALID_METHOD: 405,
};

const DETAIL: Record<number, string> = {
  400: 'the request is not valid HTTP',
  405: 'this method is not understood; the API answers GET (and POST for admin routes)',
  408: 'the request took too long to arrive',
  417: 'the Expect header is not supported; send the request without it',
  431: 'the request headers are too large',
};

// Every method some route takes: the 405s here come before any route is known.
const ALLOW = 'GET, HEAD, POST';

/** The status line and headers of an answer written before Express sees the request. */
function problemHead(status: number, body: string): Record<string, string> {
  return {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Request-Id': randomUUID(),
    ...(status === 405 ? { Allow: ALLOW } : {}),
    Connection: 'close',
    'Content-Length': String(Buffer.byteLength(body)),
  };
}

/** Writes a problem+json answer straight to a socket and closes it. */
function endSocket(socket: Duplex, status: number): void {
  const body = JSON.stringify(problemBody(status, DETAIL[status] ?? DETAIL[400] ?? ''));
  const head = Object.entries(problemHead(status, body)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n${head}\r\n${body}`);
}

/** For `server.on('clientError')`: answers once, closes the connection, and never throws. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (error.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  endSocket(socket, STATUS_BY_CODE[error.code ?? ''] ?? 400);
}

/** `Expect:` other than 100-continue: Node would answer a bare 417. */
function answerExpectation(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(problemBody(417, DETAIL[417] ?? ''));
  res.writeHead(417, problemHead(417, body));
  res.end(body);
}

/** CONNECT (a proxy tunnel): Node would close the connection without a word. */
function answerConnect(_req: IncomingMessage, socket: Duplex): void {
  if (socket.writable) endSocket(socket, 405);
  else socket.destroy();
}

/**
 * Given when the server is created (main.ts and tests that listen). Node checks the header and
 * request timeouts below only this often: at its 30 s default a stalled client got its 408 up
 * to 30 s late, against the 10 s promised. A missing Host is the app's to refuse (guards.ts), in
 * problem+json; Node's own check answers a bare 400.
 */
export const SERVER_OPTIONS = { connectionsCheckingInterval: 1_000, requireHostHeader: false } as const;

/** README, "Requests Node refuses itself": headers within 10 s, the request within 15 s, 5 s idle keep-alive. */
export const SERVER_TIMEOUTS = { headersMs: 10_000, requestMs: 15_000, keepAliveMs: 5_000 } as const;

/**
 * The TCP socket under a connection: over HTTPS a TLS socket wraps it (Node's `_parent`, which it
 * has no public name for); over HTTP it is the socket itself.
 */
export const tcpSocketOf = <S extends Duplex>(socket: S & { _parent?: S }): S => socket._parent ?? socket;

/**
 * Over HTTPS, Node's header timeout starts once TLS is up, and tls' handshakeTimeout waits for a
 * ClientHello: a client that connects and says nothing held its socket for good. Until the
 * handshake is done, the raw socket gets the header limit. (Over plain HTTP, the header timeout
 * already counts from the connection.)
 */
function limitHandshake(server: Server, ms: number): void {
  const pending = new WeakMap<Duplex, NodeJS.Timeout>();
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('secureConnection', (secure: Duplex) => clearTimeout(pending.get(tcpSocketOf(secure))));
}

/** Applied by main.ts and by tests that listen, so both run the same server. */
export function applyServerSettings(server: Server, timeouts: { readonly [K in keyof typeof SERVER_TIMEOUTS]: number } = SERVER_TIMEOUTS): void {
  // A slow or idle client must not hold a socket for Node's default minute and more.
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // An https.Server is a tls.Server: it has addContext, which http's has not.
  if ('addContext' in server) limitHandshake(server, timeouts.headersMs);
  // Node hides every header after the 2000th from the request, checks included (a second key
  // header, a Content-Length); the 16 KB header limit bounds the count instead.
  server.maxHeadersCount = 0;
  server.on('clientError', answerClientError);
  server.on('checkExpectation', answerExpectation);
  server.on('connect', answerConnect);
}
