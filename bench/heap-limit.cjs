// Finds how large a vault opens at Node's default heap: opens generated vaults of growing size in
// child processes (default heap) until one runs out of memory, and for each that opens, bisects the
// smallest --max-old-space-size it opens with (the KB per entry the README quotes). Slow; not part
// of npm run bench. usage: node bench/heap-limit.cjs [sizes, comma-separated]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-heap-'));
const sizes = (process.argv[2] ?? '100000,200000').split(',').map(Number);
const make = (entries, file) =>
  // Generating with kdbxweb's DOM needs far more heap than opening: give the generator plenty.
  spawnSync(process.execPath, [`--max-old-space-size=${Math.max(8192, Math.ceil(entries * 0.06))}`, '-e', `require(${JSON.stringify(path.join(__dirname, 'make-vault.cjs'))}).makeVault(${JSON.stringify(file)}, 'pw', { entries: ${entries}, kdf: { name: 'cheap' } })`], { stdio: 'inherit' });
const open = (file, heapMB) =>
  spawnSync(process.execPath, [...(heapMB ? [`--max-old-space-size=${heapMB}`] : []), '--expose-gc', path.join(__dirname, 'open-size.cjs'), file, 'pw'], { encoding: 'utf8' });
const opened = (res) => res.status === 0 && res.stdout.trim() !== '';

process.stdout.write(`default heap limit: ${Math.round(v8.getHeapStatistics().heap_size_limit / 1024 / 1024)} MB\n`);
for (const entries of sizes) {
  const file = path.join(tmp, `v${entries}.kdbx`);
  make(entries, file);
  const res = open(file);
  const ok = opened(res);
  let least = '';
  if (ok) {
    // The smallest old-space size (MB, to 2%) that still opens this vault.
    let lo = 16;
    let hi = Math.ceil(v8.getHeapStatistics().heap_size_limit / 1024 / 1024);
    while (hi - lo > Math.max(8, hi * 0.02)) {
      const mid = Math.floor((lo + hi) / 2);
      if (opened(open(file, mid))) hi = mid;
      else lo = mid;
    }
    least = `, opens with --max-old-space-size=${hi} (${((hi * 1024) / entries).toFixed(1)} KB per entry)`;
  }
  process.stdout.write(`${entries} entries: ${ok ? res.stdout.trim() : `failed (exit ${res.status}, ${/heap out of memory/i.test(res.stderr) ? 'heap out of memory' : res.stderr.trim().split('\n').pop()})`}${least}\n`);
  fs.rmSync(file, { force: true });
  if (!ok) break;
}
fs.rmSync(tmp, { recursive: true, force: true });
