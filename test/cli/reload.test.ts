// Live reload under load: vault files replaced good, corrupt, wrong-password and half-written; keys rotated.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent } from 'node:http';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { callWithKey, requireBuild, scratch, serve, type Served } from '../support/cli';
import { makeVault } from '../support/vault';

const PASSWORD = 'reload-vault-pass-51d2';
const KEY = 'reload-test-key-77a0c3';
mustNotLeak(PASSWORD, KEY);
checkLogsForLeaks();

/** Every field of every entry carries the generation, so a mixed answer is visible. */
const generation = (gen: number) =>
  makeVault(PASSWORD, [
    { group: 'app', title: 'db', username: `user-${gen}`, password: `pass-${gen}`, url: `gen-${gen}.internal`, notes: `generation ${gen}` },
    { group: 'app', title: 'other', username: `other-${gen}`, password: `other-pass-${gen}` },
  ]);

function replace(file: string, bytes: Uint8Array): void {
  const temp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, bytes);
  renameSync(temp, file);
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const get = (port: number, pathAndQuery: string, key = KEY) => callWithKey(port, 'GET', pathAndQuery, key, agent);

/** The generation a credential answer belongs to, or an error when its fields disagree. */
function genOf(credential: { username: string; password: string; url: string; notes: string | null; name: string }): number {
  const gens = credential.name === 'db'
    ? [credential.username.slice(5), credential.password.slice(5), credential.url.slice(4, -9), (credential.notes ?? '').slice(11)]
    : [credential.username.slice(6), credential.password.slice(11)];
  if (new Set(gens).size !== 1) throw new Error(`mixed answer: ${JSON.stringify(gens)}`);
  return Number(gens[0]);
}

let dir: string;
let server: Served;
afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

beforeAll(async () => {
  requireBuild();
  dir = scratch();
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data/vault.kdbx'), await generation(0));
  writeFileSync(path.join(dir, 'keys.txt'), `tester:${KEY}\nspare:spare-key-0913bd\n`);
  writeFileSync(path.join(dir, 'api-key.txt'), 'file-key-one-55aa12\n');
  server = await serve({
    cwd: dir,
    env: { KDBX_PATH: path.join(dir, 'data/vault.kdbx'), KDBX_PASSWORD: PASSWORD, API_KEYS_FILE: path.join(dir, 'keys.txt'), API_KEY_FILE: path.join(dir, 'api-key.txt'), RELOAD: 'watch', LOG_LEVEL: 'info', RATE_LIMIT: '1000000/minute' },
  });
});

test('20 replacements under load: no failed request, never a mixed answer, the last good vault served within 3 s', async () => {
  const vault = path.join(dir, 'data/vault.kdbx');
  const written = new Set<number>([0]);
  let stop = false;
  let requests = 0;
  const failures: string[] = [];
  const seen = new Set<number>();

  async function loop(worker: number): Promise<void> {
    while (!stop) {
      const list = (requests + worker) % 2 === 0;
      const res = await get(server.port, list ? '/api/v1/credentials?show_password=true' : '/api/v1/credentials/app/db?show_password=true');
      requests += 1;
      if (res.status !== 200) {
        failures.push(`status ${res.status}: ${res.body.slice(0, 200)}`);
        continue;
      }
      try {
        const body = JSON.parse(res.body) as { credentials?: Parameters<typeof genOf>[0][] } & Parameters<typeof genOf>[0];
        const gens = (body.credentials ?? [body]).map(genOf);
        if (new Set(gens).size !== 1) throw new Error(`list mixes generations ${gens.join(',')}`);
        const gen = gens[0] ?? -1;
        if (!written.has(gen)) throw new Error(`generation ${gen} was never written as a good file`);
        seen.add(gen);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  }

  const workers = [0, 1, 2, 3].map(loop);
  const started = Date.now();
  const kinds = ['good', 'corrupt', 'good', 'wrong-password', 'good', 'half-written', 'good'] as const;
  let gen = 0;
  let lastGood = 0;
  for (let i = 0; i < 20; i += 1) {
    const kind = i === 19 ? 'good' : kinds[i % kinds.length];
    if (kind === 'good') {
      gen += 1;
      const bytes = await generation(gen);
      written.add(gen);
      replace(vault, bytes);
      lastGood = gen;
    } else if (kind === 'corrupt') {
      replace(vault, randomBytes(4096));
    } else if (kind === 'wrong-password') {
      replace(vault, await makeVault('not-the-password', [{ group: 'app', title: 'db', username: 'intruder' }]));
    } else {
      // A writer caught half-way: the file truncated in place to half a vault.
      const next = await generation(gen + 1);
      writeFileSync(vault, next.subarray(0, Math.floor(next.length / 2)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const lastWritten = Date.now();
  let servedAfter = -1;
  while (Date.now() - lastWritten < 5000) {
    const res = await get(server.port, '/api/v1/credentials/app/db?show_password=true');
    if (res.status === 200 && genOf(JSON.parse(res.body) as Parameters<typeof genOf>[0]) === lastGood) {
      servedAfter = Date.now() - lastWritten;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop = true;
  await Promise.all(workers);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`reload under load: ${requests} requests in ${seconds.toFixed(1)} s, ${failures.length} failed, generations served ${[...seen].sort((a, b) => a - b).join(',')}, last good vault served ${servedAfter} ms after the last replacement\n`);

  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThanOrEqual(2000);
  expect(seconds).toBeGreaterThanOrEqual(20);
  expect(servedAfter).toBeGreaterThanOrEqual(0);
  expect(servedAfter).toBeLessThanOrEqual(3000);
  expect(seen.size).toBeGreaterThan(5);
  // Every bad file was noticed and reported, with kdbxweb's code, and the last good vault kept.
  const output = server.output();
  expect(output).toMatch(/vault reload failed; the last good vault stays served.*"code":"BadSignature"|"code":"BadSignature".*vault reload failed/);
  expect(output).toMatch(/"code":"InvalidKey"/);
  expect(output).toMatch(/"code":"FileCorrupt"/);
}, 60_000);

test('API_KEY_FILE: a rotated key works and the old one stops, as with the keys file', async () => {
  expect((await get(server.port, '/api/v1/credentials', 'file-key-one-55aa12')).status).toBe(200);
  replace(path.join(dir, 'api-key.txt'), Buffer.from('file-key-two-66bb23\n'));
  const from = Date.now();
  let rotated = false;
  while (!rotated && Date.now() - from < 5000) {
    rotated = (await get(server.port, '/api/v1/credentials', 'file-key-two-66bb23')).status === 200;
    if (!rotated) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(rotated).toBe(true);
  expect((await get(server.port, '/api/v1/credentials', 'file-key-one-55aa12')).status).toBe(401);
  // A key pasted where a name goes (the rotated one, and one the keys file holds in clear) is
  // masked in the access log and the audit line alike.
  expect((await get(server.port, '/api/v1/credentials/file-key-two-66bb23')).status).toBe(404);
  expect((await get(server.port, '/api/v1/credentials/spare-key-0913bd')).status).toBe(404);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(server.output()).toMatch(/"credential":"\[REDACTED\]"/);
  expect(server.output()).not.toMatch(/file-key-(one|two)|spare-key-0913bd/);
}, 30_000);

test('keys: a removed key is refused, an added key works, a broken file changes nothing and is logged', async () => {
  const keys = path.join(dir, 'keys.txt');
  const waitFor = async (check: () => Promise<boolean>): Promise<number> => {
    const from = Date.now();
    while (Date.now() - from < 5000) {
      if (await check()) return Date.now() - from;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return -1;
  };
  expect((await get(server.port, '/api/v1/credentials', 'spare-key-0913bd')).status).toBe(200);
  replace(keys, Buffer.from(`tester:${KEY}\n`));
  const removed = await waitFor(async () => (await get(server.port, '/api/v1/credentials', 'spare-key-0913bd')).status === 401);
  replace(keys, Buffer.from(`tester:${KEY}\nnewcomer:newcomer-key-4410aa\n`));
  const added = await waitFor(async () => (await get(server.port, '/api/v1/credentials', 'newcomer-key-4410aa')).status === 200);
  writeFileSync(keys, `tester:${KEY}\nsha256:not-a-hash\n`);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  process.stdout.write(`keys reload: removed key refused after ${removed} ms, added key accepted after ${added} ms\n`);
  expect(removed).toBeGreaterThanOrEqual(0);
  expect(removed).toBeLessThanOrEqual(3000);
  expect(added).toBeGreaterThanOrEqual(0);
  expect(added).toBeLessThanOrEqual(3000);
  expect((await get(server.port, '/api/v1/credentials', 'newcomer-key-4410aa')).status).toBe(200);
  expect((await get(server.port, '/api/v1/credentials')).status).toBe(200);
  expect(server.output()).toMatch(/keys file reload failed; the previous keys stay in force.*line 2/);
  expect(server.output()).toMatch(/"code":"KeysFileInvalid".*keys file reload failed|keys file reload failed.*"code":"KeysFileInvalid"/);
  expect(server.output()).not.toContain('newcomer-key-4410aa');
}, 30_000);
