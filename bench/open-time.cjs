// Open time: `kdbx-gateway check` against `keepassxc-cli ls -q`, whole commands, interleaved, median of N.
// Usage: node bench/open-time.cjs [runs]   (runs defaults to 7; bench/run.cjs uses the same function)
// BENCH_ARGON_VAULT=FILE reuses an Argon2d vault (password bench-vault-password) instead of building one each run.
// On a shared machine: flock /tmp/kdbx-bench.lock node bench/open-time.cjs 9
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeVault } = require('./make-vault.cjs');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
// The command as installed: package.json's bin, a launcher that starts Node on MAIN.
const BIN = path.join(ROOT, require('../package.json').bin['kdbx-gateway']);
const PASSWORD = 'bench-vault-password';
// Node 20 reads and parses this bundle before any line of the gateway runs (about 29 ms for the
// 144-certificate system bundle here); keepassxc-cli never reads it. The launcher drops it for
// `check`; `node dist/server/main.js check` is timed too, to show what that saves.
const EXTRA_CA = 'NODE_EXTRA_CA_CERTS';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timeOnce(cmd, args, input, env) {
  const t = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { input, env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, stdout: res.stdout };
}

/** One row per vault: check and keepassxc-cli medians, their ratio, and which KDF code `check` reports. */
async function measureOpens({ runs, argonVault, tmp }) {
  const argon = argonVault ?? path.join(tmp, 'argon2d-64mib.kdbx');
  if (!fs.existsSync(argon)) {
    await makeVault(argon, PASSWORD, { entries: 50, kdf: { name: 'argon2d', memoryMiB: 64, iterations: 10, parallelism: 2 } });
  }
  const haveKxc = spawnSync('keepassxc-cli', ['--version']).status === 0;
  const caSet = Boolean(process.env[EXTRA_CA]);
  const rows = [];
  const fixture = (file) => path.join(ROOT, 'test', 'fixtures', file);
  const vaults = [
    ['Argon2d 64 MiB, 10 iterations, 2 lanes', argon, PASSWORD, null],
    ['AES-KDF, KDBX 4.1 (keepassxc-cli made, 6.25M rounds)', fixture('kxc-basic.kdbx'), 'fixture-kxc-basic-9f3a', null],
    // What keepassxc-cli db-create writes: KDBX 3.1, AES-KDF; this one also has a KeePassXC key file.
    ['AES-KDF, KDBX 3.1, password + .keyx (keepassxc-cli made)', fixture('kxc-keyfile.kdbx'), 'fixture-kxc-key-51c0', fixture('kxc-keyfile.keyx')],
  ];
  for (const [name, file, password, keyFile] of vaults) {
    const check = { KDBX_PATH: file, KDBX_PASSWORD: password, API_KEY: 'bench-check-key-0001', ...(keyFile ? { KDBX_KEYFILE: keyFile } : {}) };
    const gw = [];
    const direct = [];
    const kx = [];
    let kdfLine = '';
    // Interleaved, so a burst of load elsewhere on the machine hits every column alike. The same
    // environment for all three, this machine's NODE_EXTRA_CA_CERTS included.
    // The launcher runs the `node` on PATH: make it this one, so both columns time the same Node.
    const viaBin = { ...process.env, ...check, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
    for (let i = 0; i < runs; i += 1) {
      const run = timeOnce(BIN, ['check'], '', viaBin);
      gw.push(run.ms);
      kdfLine = /^kdf:\s+(.*)$/m.exec(run.stdout)?.[1] ?? '';
      direct.push(timeOnce(process.execPath, [MAIN, 'check'], '', { ...process.env, ...check }).ms);
      if (haveKxc) kx.push(timeOnce('keepassxc-cli', ['ls', '-q', ...(keyFile ? ['-k', keyFile] : []), file], `${password}\n`, process.env).ms);
    }
    const g = median(gw);
    const k = haveKxc ? median(kx) : NaN;
    const row = { vault: name, 'check ms': Math.round(g), 'keepassxc-cli ms': Math.round(k), ratio: (g / k).toFixed(2) };
    row['node main.js check ms'] = Math.round(median(direct));
    row['ratio, node main.js'] = (median(direct) / k).toFixed(2);
    row['key derived by'] = /\(([^)]*)\)$/.exec(kdfLine)?.[1] ?? '?';
    rows.push(row);
  }
  const note = caSet
    ? `${EXTRA_CA} is set here (${process.env[EXTRA_CA]}): \`kdbx-gateway check\` starts Node without it; \`node dist/server/main.js check\` parses it before the gateway runs`
    : null;
  return { rows, note };
}

module.exports = { measureOpens };

if (require.main === module) {
  (async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-open-'));
    const { rows, note } = await measureOpens({ runs: Number(process.argv[2] ?? 7), argonVault: process.env.BENCH_ARGON_VAULT, tmp });
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    if (note) process.stdout.write(`${note}\n`);
    fs.rmSync(tmp, { recursive: true, force: true });
  })().catch((error) => {
    process.stderr.write(`open-time: ${error.message}\n`);
    process.exit(1);
  });
}
