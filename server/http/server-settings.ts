// Settings of the HTTP server itself: timeouts, and problem+json for requests Node refuses before Express.
import { STATUS_CODES, type Server } from 'node:http';
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
  431: 'the request headers are too large',
};

/** For `server.on('clientError')`: answers once, closes the connection, and never throws. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (error.code === 'ECONNRESET')) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  const body = JSON.stringify(problemBody(status, DETAIL[status] ?? DETAIL[400] ?? ''));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/problem+json; charset=utf-8\r\n' +
      'Cache-Control: no-store\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Applied by main.ts and by tests that listen, so both run the same server. */
export function applyServerSettings(server: Server): void {
  // A slow or idle client must not hold a socket for Node's default minute and more.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', answerClientError);
}
