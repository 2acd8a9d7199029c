// Opens one vault file and reports time, peak RSS and RSS after load (run with --expose-gc).
// rssAfterMB is read 0.5 s after the load; V8 gives its grown young generation back only once the
// allocation rate has stayed low for a few seconds, so rssSettledMB is read when RSS stops falling.
const fs = require('node:fs');
const { openVault } = require('../dist/server/vault/open.js');

(async () => {
  const [file, password] = process.argv.slice(2);
  const bytes = fs.readFileSync(file);
  const started = process.hrtime.bigint();
  const snapshot = await openVault(bytes, { password, keyFile: null });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // V8 hands freed pages back to the system lazily: collect, let it settle, collect again.
  global.gc?.();
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  global.gc?.();
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  let settled = rss;
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    global.gc?.();
    const now = process.memoryUsage().rss;
    if (now > settled - 1024 * 1024 && i >= 10) break;
    settled = Math.min(settled, now);
  }
  process.stdout.write(JSON.stringify({ entries: snapshot.info.entries, ms, peakRssMB: process.resourceUsage().maxRSS / 1024, rssAfterMB: rss / 1024 / 1024, rssSettledMB: settled / 1024 / 1024, heapAfterMB: heapUsed / 1024 / 1024, kept: snapshot.sorted.length }) + '\n');
})();
