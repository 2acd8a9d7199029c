// Finds the largest vault that opens at Node's default heap: opens generated vaults of growing size
// in child processes (default heap) until one runs out of memory. Slow; not part of npm run bench.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-heap-'));
const sizes = (process.argv[2] ?? '20000,40000,60000,80000').split(',').map(Number);
const make = (entries, file) =>
  // Generating needs more heap than opening: give the generator plenty.
  spawnSync(process.execPath, ['--max-old-space-size=8192', '-e', `require(${JSON.stringify(path.join(__dirname, 'make-vault.cjs'))}).makeVault(${JSON.stringify(file)}, 'pw', { entries: ${entries}, kdf: { name: 'cheap' } })`], { stdio: 'inherit' });
for (const entries of sizes) {
  const file = path.join(tmp, `v${entries}.kdbx`);
  make(entries, file);
  const res = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'open-size.cjs'), file, 'pw'], { encoding: 'utf8' });
  const ok = res.status === 0 && res.stdout.trim() !== '';
  process.stdout.write(`${entries} entries: ${ok ? res.stdout.trim() : `failed (exit ${res.status}, ${/heap out of memory/i.test(res.stderr) ? 'heap out of memory' : res.stderr.trim().split('\n').pop()})`}\n`);
  fs.rmSync(file, { force: true });
  if (!ok) break;
}
fs.rmSync(tmp, { recursive: true, force: true });
