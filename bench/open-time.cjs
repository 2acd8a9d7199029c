// Open time only: the gateway's `check` against `keepassxc-cli ls -q`, whole commands, median of N.
// Usage: node bench/open-time.cjs [runs]   (runs defaults to 5; the vaults are the ones bench/run.cjs uses)
// BENCH_ARGON_VAULT=FILE reuses an Argon2d vault (password bench-vault-password) instead of building one each run.
// On a shared machine: flock /tmp/kdbx-bench.lock node bench/open-time.cjs 9
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeVault } = require('./make-vault.cjs');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
const PASSWORD = 'bench-vault-password';
const RUNS = Number(process.argv[2] ?? 5);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timeOnce(cmd, args, input, env) {
  const t = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { input, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-open-'));
  const argon = process.env.BENCH_ARGON_VAULT ?? path.join(tmp, 'argon2d-64mib.kdbx');
  if (!fs.existsSync(argon)) {
    await makeVault(argon, PASSWORD, { entries: 50, kdf: { name: 'argon2d', memoryMiB: 64, iterations: 10, parallelism: 2 } });
  }
  const kxc = path.join(ROOT, 'test', 'fixtures', 'kxc-basic.kdbx');
  const rows = [];
  for (const [name, file, password] of [['Argon2d 64 MiB, 10 it, 2 lanes', argon, PASSWORD], ['AES-KDF kxc-basic', kxc, 'fixture-kxc-basic-9f3a']]) {
    const gw = [];
    const kx = [];
    // Interleaved, so a burst of load elsewhere on the machine hits both sides alike.
    for (let i = 0; i < RUNS; i += 1) {
      gw.push(timeOnce(process.execPath, [MAIN, 'check'], '', { KDBX_PATH: file, KDBX_PASSWORD: password, API_KEY: 'bench-check-key' }));
      kx.push(timeOnce('keepassxc-cli', ['ls', '-q', file], `${password}\n`, {}));
    }
    const g = median(gw);
    const k = median(kx);
    rows.push({ vault: name, 'check ms': Math.round(g), 'keepassxc-cli ms': Math.round(k), ratio: (g / k).toFixed(2), 'check runs': gw.map(Math.round).join(' '), 'kxc runs': kx.map(Math.round).join(' ') });
  }
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((error) => {
  process.stderr.write(`open-time: ${error.message}\n`);
  process.exit(1);
});
