// Runs the built `kdbx-gateway` binary in a scratch folder with a clean environment.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request, type Agent } from 'node:http';
import path from 'node:path';
import { recordLogs } from './leaks';

export const BIN = path.join(__dirname, '..', '..', 'dist', 'server', 'main.js');

export function requireBuild(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
}

export const scratch = (): string => mkdtempSync(path.join(tmpdir(), 'kdbx-gateway-cli-'));

/** Only what a process needs: no KDBX_*, API_KEY* or MATTSTASH_* leaks in from the test runner. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', TZ: 'UTC', ...extra };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(args: string[], options: { cwd: string; env?: Record<string, string> }): RunResult {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  recordLogs(res.stdout + res.stderr);
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

export interface Served {
  child: ChildProcess;
  port: number;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `serve` on a free port and resolves once it logs that it listens. */
export function serve(options: { cwd: string; env?: Record<string, string> }): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: options.cwd,
    env: cleanEnv({ PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    recordLogs(chunk.toString('utf8'));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`serve did not start: ${output}`));
    }, 20_000);
    const poll = setInterval(() => {
      const match = /"url":"https?:\/\/127\.0\.0\.1:(\d+)"/.exec(output);
      if (match?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({
          child,
          port: Number(match[1]),
          output: () => output,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    }, 25);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)}: ${output}`));
    });
  });
}

/** A module of the built gateway (dist/), for what only exists compiled, such as the worker thread. */
export function loadBuilt<T>(relative: string): T {
  requireBuild();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/ is plain JavaScript loaded at run time
  return require(path.join(__dirname, '..', '..', 'dist', relative)) as T;
}

/** One request to a served gateway on 127.0.0.1 with an API key; the body as text. */
export function callWithKey(
  port: number,
  method: string,
  pathAndQuery: string,
  key: string,
  agent?: Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathAndQuery, method, agent, headers: { 'X-API-Key': key } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
