// How large a vault the gateway opens at Node's default heap, and how much heap a given size needs.
// Vaults come from big-vault.cjs (streamed, so any size); each is opened by `kdbx-gateway check` in a
// child process, as a user would run it. Slow and memory-hungry (near the limit a run peaks at about
// 13 GB of RSS); not part of npm run bench.
// usage: node bench/heap-limit.cjs need [sizes]       smallest --max-old-space-size each size opens with
//        node bench/heap-limit.cjs largest [lo,hi]    largest size that opens at the default heap (bisect)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { writeBigVault } = require('./big-vault.cjs');

const MAIN = path.join(__dirname, '..', 'dist', 'server', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-heap-'));
const defaultHeapMB = Math.round(v8.getHeapStatistics().heap_size_limit / 1024 / 1024);

/** `check` on the vault; `heapMB` sets --max-old-space-size, else Node's default heap. */
function check(file, heapMB) {
  const started = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [...(heapMB ? [`--max-old-space-size=${heapMB}`] : []), MAIN, 'check'], {
    env: { PATH: process.env.PATH, KDBX_PATH: file, KDBX_PASSWORD: 'pw', API_KEY: 'heap-limit' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = res.status === 0 && /^ok$/m.test(res.stdout);
  const lines = res.stderr.trim().split('\n');
  const why = /heap out of memory/i.test(res.stderr) ? "V8's out-of-memory report" : (lines.find((l) => l.startsWith('kdbx-gateway:')) ?? lines.pop() ?? `exit ${res.status}`);
  return { ok, seconds, why: ok ? '' : why };
}

async function vaultOf(entries) {
  const file = path.join(tmp, `v${entries}.kdbx`);
  const started = process.hrtime.bigint();
  await writeBigVault(file, 'pw', entries);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { file, megabytes: fs.statSync(file).size / 1024 / 1024, seconds };
}

const say = (line) => process.stdout.write(`${line}\n`);

async function need(sizes) {
  for (const entries of sizes) {
    const vault = await vaultOf(entries);
    let lo = 16;
    let hi = defaultHeapMB;
    if (!check(vault.file).ok) {
      say(`${entries} entries: does not open at the default heap`);
      break;
    }
    // The smallest old-space size (MB, to 2%) that still opens this vault.
    while (hi - lo > Math.max(8, hi * 0.02)) {
      const mid = Math.floor((lo + hi) / 2);
      if (check(vault.file, mid).ok) hi = mid;
      else lo = mid;
    }
    say(`${entries} entries (${vault.megabytes.toFixed(1)} MB file): opens with --max-old-space-size=${hi} (${((hi * 1024) / entries).toFixed(2)} KB per entry); with ${lo}: ${check(vault.file, lo).why}`);
    fs.rmSync(vault.file, { force: true });
  }
}

async function largest([lo, hi]) {
  const trial = async (entries) => {
    const vault = await vaultOf(entries);
    const res = check(vault.file);
    fs.rmSync(vault.file, { force: true });
    say(`  ${entries} entries, ${vault.megabytes.toFixed(0)} MB file (written in ${vault.seconds.toFixed(0)} s): ${res.ok ? `opens in ${res.seconds.toFixed(1)} s` : `fails after ${res.seconds.toFixed(1)} s: ${res.why}`}`);
    return res.ok;
  };
  if (!(await trial(lo))) return say(`${lo} does not open: give a smaller lower bound`);
  if (await trial(hi)) return say(`${hi} opens: give a larger upper bound`);
  while (hi - lo > Math.max(10_000, lo * 0.01)) {
    const mid = Math.round((lo + hi) / 2 / 1000) * 1000;
    if (await trial(mid)) lo = mid;
    else hi = mid;
  }
  say(`largest vault that opens at the default heap (${defaultHeapMB} MB): between ${lo} and ${hi} entries`);
}

(async () => {
  const [mode, list] = process.argv.slice(2);
  say(`default heap limit: ${defaultHeapMB} MB; vaults from bench/big-vault.cjs, opened by kdbx-gateway check`);
  if (mode === 'need') await need((list ?? '100000,200000').split(',').map(Number));
  else if (mode === 'largest') await largest((list ?? '1500000,3000000').split(',').map(Number));
  else say('usage: node bench/heap-limit.cjs need [sizes] | largest [lo,hi]');
})()
  .catch((error) => {
    process.stderr.write(`heap-limit: ${error.stack}\n`);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(tmp, { recursive: true, force: true }));
