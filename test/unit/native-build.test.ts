// native/build.cjs: the native parts build where a compiler is, and their absence never fails `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.join(__dirname, '..', '..', 'native', 'build.cjs');
const PARTS = ['aes-kdf.node', 'argon2-avx2.node'];
const x64Linux = process.platform === 'linux' && process.arch === 'x64';

let out = '';
beforeEach(() => {
  out = mkdtempSync(path.join(tmpdir(), 'kdbx-native-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

const build = (env: Record<string, string> = {}): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [SCRIPT, out], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });

test('without a C compiler: exit 0, one line per part saying what runs instead, and no file left from before', () => {
  for (const part of PARTS) writeFileSync(path.join(out, part), 'left from an earlier build');
  const res = build({ CC: path.join(out, 'no-such-cc') });
  expect(res.status).toBe(0);
  const lines = String(res.stdout).trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^native: argon2-avx2\.node not built: .*; Argon2 vaults open with node-argon2's prebuilt binary instead/);
  expect(lines[1]).toMatch(/^native: aes-kdf\.node not built: .*; AES-KDF vaults open with OpenSSL on two threads instead/);
  if (x64Linux) expect(lines[0]).toContain('no C compiler');
  expect(readdirSync(out)).toEqual([]);
});

// CI installs g++ (.ci/run): there both parts must build.
(x64Linux && (process.env['CI'] === 'true' || spawnSync('cc', ['--version']).status === 0) ? test : test.skip)(
  'with a compiler: both parts, each announced in one line',
  () => {
    const res = build();
    expect(res.status).toBe(0);
    expect(String(res.stdout)).toMatch(/^native: built .*argon2-avx2\.node \(node-argon2 \S+ with AVX2\) in [\d.]+ s\nnative: built .*aes-kdf\.node \(AES-KDF with AES-NI\) in [\d.]+ s\n$/);
    for (const part of PARTS) expect(existsSync(path.join(out, part))).toBe(true);
  },
  120_000,
);
