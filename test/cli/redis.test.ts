// Shared rate limits: two gateway processes and one real Redis enforce one limit; Redis away means 503.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { requireBuild, run, scratch, serve, type Served } from '../support/cli';

const REDIS = '/usr/bin/redis-server';
const present = existsSync(REDIS);
// CI installs redis-server, so there this test must run.
const suite = present || process.env['CI'] === 'true' ? describe : describe.skip;
mustNotLeak('redis-secret-pw-55');
checkLogsForLeaks();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'redis-secret-pw-55'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const ping = spawnSync('redis-cli', ['-p', String(port), '-a', 'redis-secret-pw-55', '--no-auth-warning', 'ping'], { encoding: 'utf8' });
      if (ping.stdout.trim() === 'PONG') {
        clearInterval(poll);
        resolve(child);
      } else if (Date.now() - started > 10_000) {
        clearInterval(poll);
        child.kill('SIGKILL');
        reject(new Error('redis-server did not start'));
      }
    }, 50);
  });
}

suite('RATE_LIMIT_REDIS_URL', () => {
  let redis: ChildProcess | null = null;
  let redisPort = 0;
  const gateways: Served[] = [];
  let dir = '';
  let key = '';

  beforeAll(async () => {
    requireBuild();
    dir = scratch();
    expect(run(['demo'], { cwd: dir }).status).toBe(0);
    key = /demo:(\S+)/.exec(readFileSync(`${dir}/secrets/api_keys.txt`, 'utf8'))?.[1] ?? '';
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const env = { RATE_LIMIT: '6/minute', RATE_LIMIT_REDIS_URL: `redis://:redis-secret-pw-55@127.0.0.1:${redisPort}/0` };
    gateways.push(await serve({ cwd: dir, env }), await serve({ cwd: dir, env }));
  }, 30_000);

  afterAll(async () => {
    for (const gateway of gateways) await gateway.stop();
    redis?.kill('SIGKILL');
  });

  const ask = (gateway: Served | undefined, path = '/api/v1/credentials/db-prod') =>
    fetch(`http://127.0.0.1:${gateway?.port ?? 0}${path}`, { headers: { 'X-API-Key': key } });

  test('two processes share one limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await ask(gateways[i % 2])).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  test('Redis down: /api answers 503 problem+json, the probes stay 200, the log names Redis but not its password; back up: served again', async () => {
    redis?.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const down = await ask(gateways[0]);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await down.json()) as { status: number; detail: string };
    expect(problem.status).toBe(503);
    expect(problem.detail).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect((await fetch(`http://127.0.0.1:${gateways[1]?.port ?? 0}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${gateways[1]?.port ?? 0}/ready`)).status).toBe(200);
    expect((await ask(gateways[1])).status).toBe(503);
    expect(gateways[0]?.output()).toMatch(/rate-limit store unreachable.*"redis":"redis:\/\/127\.0\.0\.1:\d+"/);

    redis = await startRedis(redisPort);
    let status = 0;
    const from = Date.now();
    while (Date.now() - from < 15_000) {
      status = (await ask(gateways[0])).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  }, 30_000);
});
