// npm run bench: the gateway against bare Node and bare Express in one run, on 127.0.0.1 only.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { makeVault } = require('./make-vault.cjs');
const { measureOpens } = require('./open-time.cjs');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PASSWORD = 'bench-vault-password';
// The Node flags the image, start.sh and `npm start` run the gateway with (test/deploy checks they agree).
const SERVE_FLAGS = ['--max-semi-space-size=4'];
const children = new Set();
const cleanup = () => { for (const child of children) child.kill('SIGKILL'); };
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function start(name, args, env, readyPattern) {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: os.homedir(), ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 30_000);
    const onData = (chunk) => {
      out += chunk;
      if (readyPattern.test(out)) { clearTimeout(timer); child.stdout.removeAllListeners('data'); child.stdout.resume(); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${out}`)));
  });
  return { child, port, stop: () => { child.kill('SIGTERM'); children.delete(child); } };
}

// autocannon's histogram keeps whole milliseconds, and a p99 of 2 ms against 3 ms is then a 50% step;
// its 'response' event carries each latency to the microsecond, so percentiles come from those.
function cannon(options) {
  return new Promise((resolve, reject) => {
    const times = [];
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve({ result, times })));
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}

const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]);
const ms = (x) => Math.round(x * 10) / 10;

async function load(url, headers, seconds = SECONDS, connections = CONNECTIONS) {
  await autocannon({ url, headers, connections, duration: 1 }); // warm-up, not counted
  const { result: r, times } = await cannon({ url, headers, connections, duration: seconds });
  const sorted = Float64Array.from(times).sort();
  return {
    rps: r.requests.average, p50: ms(percentile(sorted, 0.5)), p99: ms(percentile(sorted, 0.99)), max: ms(sorted.at(-1) ?? NaN),
    requests: r.requests.total, failed: r.errors + r.timeouts + r.non2xx,
  };
}

function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n');
}

(async () => {
  const began = Date.now();
  if (!fs.existsSync(MAIN)) throw new Error('dist/ is missing: npm run build');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-bench-'));
  process.stdout.write(`bench: ${os.cpus().length} cores, Node ${process.version}, ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

  // The gateway's production stack: 100 keys, a per-key limit too high to trip, audit to a file, metrics on.
  const vault = path.join(tmp, 'vault.kdbx');
  await makeVault(vault, PASSWORD, { entries: 10_000, kdf: { name: 'cheap' } });
  const keys = Array.from({ length: 100 }, (_, i) => `app-${i}:bench-key-${i}-${'k'.repeat(24)}`);
  fs.writeFileSync(path.join(tmp, 'keys.txt'), keys.join('\n') + '\n');
  const KEY = 'bench-key-57-' + 'k'.repeat(24);
  const gatewayEnv = {
    KDBX_PATH: vault, KDBX_PASSWORD: PASSWORD, API_KEYS_FILE: path.join(tmp, 'keys.txt'), RATE_LIMIT: '100000000/minute',
    AUDIT_LOG_FILE: path.join(tmp, 'audit.log'), METRICS: 'true', RELOAD: 'watch', LOG_LEVEL: 'info',
  };
  const gateway = await start('gateway', [...SERVE_FLAGS, MAIN, 'serve'], gatewayEnv, /"message":"listening"/);
  const base = `http://127.0.0.1:${gateway.port}`;
  const body = await (await fetch(`${base}/api/v1/credentials/db-prod`, { headers: { 'X-API-Key': KEY } })).text();

  // The gateway's own event-loop delay (prom-client's monitorEventLoopDelay, reset at every scrape).
  const loopMaxMs = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = /^kdbx_gateway_nodejs_eventloop_lag_max_seconds ([\d.e+-]+)$/m.exec(text)?.[1];
    return value === undefined ? '' : Math.round(Number(value) * 1000);
  };
  const rows = [];
  const measure = async (name, url, headers = {}, connections = CONNECTIONS) => {
    const gatewayRun = url.startsWith(base);
    if (gatewayRun) await loopMaxMs();
    const r = await load(url, headers, SECONDS, connections);
    rows.push({ name, ...r, loop: gatewayRun ? await loopMaxMs() : '' });
    process.stdout.write(`  ${name}: ${Math.round(r.rps)} req/s\n`);
  };
  const bareHttp = await start('bare http', [path.join(__dirname, 'bare-http.cjs')], { BENCH_BODY: body }, /ready/);
  await measure('(a) bare node:http, fixed body', `http://127.0.0.1:${bareHttp.port}/x`);
  bareHttp.stop();
  const bareExpress = await start('bare express', [path.join(__dirname, 'bare-express.cjs')], { BENCH_BODY: body }, /ready/);
  await measure('(b) bare Express 5 res.json', `http://127.0.0.1:${bareExpress.port}/x`);
  bareExpress.stop();
  const auth = { 'X-API-Key': KEY };
  await measure('(c) GET /credentials/{name}', `${base}/api/v1/credentials/db-prod`, auth);
  await measure('(c) … ?show_password=true', `${base}/api/v1/credentials/db-prod?show_password=true`, auth);
  await measure('(c) GET /db-url/{name}', `${base}/api/v1/db-url/db-prod`, auth);
  await measure('(c) list of 10,000, limit=100', `${base}/api/v1/credentials?limit=100`, auth);
  await measure('(c) list of 10,000, limit=1000', `${base}/api/v1/credentials?limit=1000`, auth);
  await measure('(c) list of 10,000, limit=1000, one client', `${base}/api/v1/credentials?limit=1000`, auth, 1);

  // Reload under load: the 10,000-entry vault replaced 10 times while requests run.
  const other = path.join(tmp, 'vault-next.kdbx');
  await makeVault(other, PASSWORD, { entries: 10_000, kdf: { name: 'cheap', generation: 'bench-pass-3' } });
  const copies = [other, path.join(tmp, 'vault-prev.kdbx')];
  fs.copyFileSync(vault, copies[1]);
  await loopMaxMs();
  const during = load(`${base}/api/v1/credentials/db-prod`, auth, 12);
  for (let i = 0; i < 10; i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = path.join(tmp, `swap-${i}.kdbx`);
    fs.copyFileSync(copies[i % 2], next);
    fs.renameSync(next, vault);
  }
  const reload = await during;
  rows.push({ name: '(c) GET /credentials/{name} during 10 reloads', ...reload, loop: await loopMaxMs() });
  gateway.stop();

  const express = rows.find((r) => r.name.startsWith('(b)'));
  const printable = rows.map((r) => ({
    scenario: r.name, 'req/s': Math.round(r.rps), 'p50 ms': r.p50, 'p99 ms': r.p99, 'max ms': r.max, failed: r.failed,
    'req/s vs (b)': (r.rps / express.rps).toFixed(2), 'p99 vs (b)': (r.p99 / express.p99).toFixed(2),
    'loop stall max ms': r.loop,
  }));

  // Opening vaults: the gateway's `check` and keepassxc-cli, whole commands, interleaved, median of 7.
  const { rows: opens, note: openNote } = await measureOpens({ runs: 7, tmp });
  const sizes = [];
  for (const entries of [1000, 10_000]) {
    const file = path.join(tmp, `size-${entries}.kdbx`);
    await makeVault(file, PASSWORD, { entries: entries - 1, kdf: { name: 'cheap' } });
    const res = spawnSync(process.execPath, ['--expose-gc', ...SERVE_FLAGS, path.join(__dirname, 'open-size.cjs'), file, PASSWORD], { encoding: 'utf8' });
    const m = JSON.parse(res.stdout);
    sizes.push({ entries: m.entries, 'open ms': Math.round(m.ms), 'peak RSS MB': Math.round(m.peakRssMB), 'RSS after load MB': Math.round(m.rssAfterMB), 'heap after load MB': Math.round(m.heapAfterMB) });
  }

  // What a reload costs a client shows only against the same request without reloads, not against Express.
  const lone = rows.find((r) => r.name === '(c) GET /credentials/{name}');
  const reloading = rows.find((r) => r.name.endsWith('during 10 reloads'));
  const reloads = {
    failed: reloading.failed, 'p99 ms': reloading.p99, 'p99 ms without reloads': lone.p99,
    ratio: Number((reloading.p99 / lone.p99).toFixed(2)), 'event-loop delay max ms': reloading.loop,
  };
  const text = [
    table(printable, Object.keys(printable[0])),
    `reloads: ${reloads.failed} failed; p99 ${reloads['p99 ms']} ms against ${reloads['p99 ms without reloads']} ms without (${reloads.ratio.toFixed(2)}×); longest event-loop delay ${reloads['event-loop delay max ms']} ms`,
    '',
    table(opens, Object.keys(opens[0])),
    ...(openNote ? [openNote] : []),
    '',
    table(sizes, Object.keys(sizes[0])),
  ].join('\n');
  process.stdout.write(`\n${text}\n\nbench: finished in ${Math.round((Date.now() - began) / 1000)} s\n`);
  const results = path.join(__dirname, 'results');
  fs.mkdirSync(results, { recursive: true });
  const out = path.join(results, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(out, JSON.stringify({ when: new Date().toISOString(), node: process.version, cores: os.cpus().length, connections: CONNECTIONS, seconds: SECONDS, http: rows, reloads, opens, sizes }, null, 2));
  process.stdout.write(`bench: results in ${path.relative(ROOT, out)}\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(1);
});
