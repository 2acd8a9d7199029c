// What reaches the gateway as a real HTTP server: requests Node refuses, and repeated key headers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { applyServerSettings, SERVER_OPTIONS, SERVER_TIMEOUTS } from '../../server/http/server-settings';
import { buildApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from './shared-vault';

mustNotLeak(...SECRET_VALUES);
checkLogsForLeaks();

let server: Server;
let port = 0;

beforeAll(async () => {
  const t = buildApp({ snapshot: await snapshotOf(VAULT_PASSWORD, ENTRIES), keysText: KEYS_TEXT });
  server = createServer(SERVER_OPTIONS, t.app);
  applyServerSettings(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends bytes as they are, with no client library tidying them up, and returns the raw answer. */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
  });
}

test.each([
  ['headers over 16 KB', `GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`, 431],
  ['an unknown method (LIST)', 'LIST /api/v1/credentials HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405],
  ['a malformed Content-Length', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
  ['a bad header line', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400],
  ['an Expect header other than 100-continue', 'GET /health HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nConnection: close\r\n\r\n', 417],
  ['CONNECT (a proxy tunnel)', 'CONNECT 127.0.0.1:8000 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n', 405],
  ['an HTTP/1.1 request without Host', `GET /api/v1/credentials/db-prod HTTP/1.1\r\nX-API-Key: ${KEY_A}\r\n\r\n`, 400],
])('%s gets problem+json, not a bare status line', async (_name, request, status) => {
  const res = await raw(request);
  expect(res.status).toBe(status);
  expect(res.headers).toMatch(/Content-Type: application\/problem\+json/i);
  expect(res.headers).toMatch(/Cache-Control: no-store/i);
  // Every answer carries a request ID, and a 405 the methods there are.
  expect(res.headers).toMatch(/X-Request-Id: [0-9a-f-]{36}/i);
  if (status === 405) expect(res.headers).toMatch(/Allow: GET, HEAD, POST/i);
  expect(JSON.parse(res.body)).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
});

test('without Host, the 400 says why and closes the connection; HTTP/1.0 needs no Host', async () => {
  const res = await raw(`GET /health HTTP/1.1\r\n\r\n`);
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toMatchObject({ detail: 'an HTTP/1.1 request needs a Host header' });
  expect(res.headers).toMatch(/Connection: close/i);
  const old = await raw(`GET /health HTTP/1.0\r\n\r\n`);
  expect(old.headers).toMatch(/^HTTP\/1\.1 200 /);
});

test('a second key header or a body after 2,000 other headers is still seen', async () => {
  const filler = Array.from({ length: 2_000 }, (_, i) => `a${i}: x\r\n`).join('');
  const twoKeys = await raw(`GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\n${filler}X-API-Key: ${KEY_A}\r\nX-API-Key: ${KEY_A}\r\nConnection: close\r\n\r\n`);
  expect(twoKeys.status).toBe(400);
  const body = await raw(`GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY_A}\r\n${filler}Content-Length: 5\r\nConnection: close\r\n\r\nhello`);
  expect(JSON.parse(body.body)).toMatchObject({ status: 400, detail: 'request bodies are not accepted on this API' });
});

describe('a connection that never sends a byte is closed by the header limit', () => {
  const quick = { ...SERVER_TIMEOUTS, headersMs: 300, requestMs: 400 };

  /** Connects, says nothing, and reports whether the server closed the socket (and what it said). */
  async function silentOn(server: Server): Promise<{ closed: boolean; said: string }> {
    applyServerSettings(server, quick);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const socket = connect(typeof address === 'object' && address ? address.port : 0, '127.0.0.1');
    let said = '';
    socket.on('data', (chunk: Buffer) => (said += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5_000).unref();
    });
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return { closed, said };
  }

  test('over HTTP, with a 408', async () => {
    const result = await silentOn(createServer(SERVER_OPTIONS, (_req, res) => res.end()));
    expect(result.closed).toBe(true);
    expect(result.said).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('over HTTPS, before any handshake', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kdbx-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const options = { ...SERVER_OPTIONS, cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')) };
    expect((await silentOn(createHttpsServer(options, (_req, res) => res.end()))).closed).toBe(true);
    // Once the handshake is done the limit is off: an answer slower than it still arrives.
    const slow = createHttpsServer(options, (_req, res) => setTimeout(() => res.end('late'), 700));
    applyServerSettings(slow, quick);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const address = slow.address();
    const body = await new Promise<string>((resolve) => {
      httpsGet({ host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0, path: '/', rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve(text));
      }).on('error', (error) => resolve(`failed: ${error.message}`));
    });
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
    expect(body).toBe('late');
    rmSync(dir, { recursive: true, force: true });
  });
});

test('two Authorization headers are refused even when the first holds a good key', async () => {
  for (const [first, second] of [[KEY_A, 'wrong-key'], [KEY_A, KEY_A], ['wrong-key', KEY_A]]) {
    const res = await raw(
      `GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(res.body).not.toContain(KEY_A);
  }
  const twoApiKeys = await raw(`GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY_A}\r\nX-API-Key: ${KEY_A}\r\nConnection: close\r\n\r\n`);
  expect(twoApiKeys.status).toBe(400);
});

test('an empty name after a trailing slash is 400, not the whole list', async () => {
  const res = await raw(`GET /api/v1/credentials/ HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY_A}\r\nConnection: close\r\n\r\n`);
  expect(res.status).toBe(400);
  const list = await raw(`GET /api/v1/credentials HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY_A}\r\nConnection: close\r\n\r\n`);
  expect(list.status).toBe(200);
});
