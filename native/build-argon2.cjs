// Builds node-argon2's own sources again with AVX2 (dist/native/argon2-avx2.node), for CPUs that have it.
//
// node-argon2's prebuilt binary is compiled for SSE2 only, so that it runs on every x86-64 CPU.
// The same sources built with -mavx2 hash Argon2 in about two thirds of the time, and Argon2 is
// most of the time it takes to open a KeePassXC vault. server/vault/argon2-binding.ts loads this
// file only on a CPU with AVX2 and after it reproduces an RFC 9106 test vector; otherwise the
// prebuilt binary hashes. So this build is optional: without a C compiler or Node's headers it
// says so in one line and exits 0.
//
// Usage: node native/build-argon2.cjs [output]   (run by `npm run build`; CC and CXX pick the compilers)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUTPUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'native', 'argon2-avx2.node'));
const say = (line) => process.stdout.write(`argon2: ${line}\n`);
const skip = (why) => {
  say(`${why}; Argon2 vaults open with node-argon2's portable build instead (slower, same result)`);
  process.exit(0);
};

if (process.platform !== 'linux' || process.arch !== 'x64') skip(`no AVX2 build on ${process.platform}-${process.arch}`);

let argon2Dir;
let addonApiDir;
try {
  argon2Dir = path.dirname(require.resolve('argon2', { paths: [ROOT] }));
  // include_dir is relative to the working directory (node-addon-api 8).
  addonApiDir = path.resolve(require(require.resolve('node-addon-api', { paths: [argon2Dir] })).include_dir);
} catch {
  skip('argon2 or node-addon-api is not installed (run npm ci)');
}
// Node's own headers sit beside its binary in every official build and distribution package.
const nodeHeaders = path.join(path.dirname(process.execPath), '..', 'include', 'node');
if (!fs.existsSync(path.join(nodeHeaders, 'node_api.h'))) skip(`no Node.js headers at ${nodeHeaders}`);

const cc = process.env.CC || 'cc';
const cxx = process.env.CXX || 'c++';
for (const compiler of [cc, cxx]) {
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C compiler \`${compiler}\``);
}

// The flags of node-argon2's binding.gyp (Release), with -mavx2 where it has -msse2.
const common = ['-O3', '-fPIC', '-pthread', '-DNDEBUG', '-D_FORTIFY_SOURCE=2', '-fvisibility=hidden', '-fdata-sections', '-ffunction-sections'];
const sources = ['argon2.c', 'core.c', 'blake2/blake2b.c', 'thread.c', 'encoding.c', 'opt.c'].map((file) => path.join(argon2Dir, 'argon2', 'src', file));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-gateway-argon2-'));

function run(compiler, args) {
  const result = spawnSync(compiler, args, { cwd: work, encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(work, { recursive: true, force: true });
    const detail = `${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim().split('\n').slice(-3).join(' | ');
    skip(`the AVX2 build failed (${compiler}: ${detail})`);
  }
}

const started = Date.now();
run(cc, [...common, '-mavx2', '-Wno-type-limits', `-I${path.join(argon2Dir, 'argon2', 'include')}`, '-c', ...sources]);
const objects = fs.readdirSync(work).filter((file) => file.endsWith('.o')).map((file) => path.join(work, file));
const partial = `${OUTPUT}.${process.pid}.tmp`;
fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
run(cxx, [
  ...common,
  '-std=c++17',
  '-fexceptions',
  '-DNAPI_VERSION=8',
  '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  '-DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED',
  `-I${nodeHeaders}`,
  `-I${addonApiDir}`,
  `-I${argon2Dir}`,
  '-shared',
  '-Wl,--gc-sections',
  path.join(argon2Dir, 'argon2.cpp'),
  ...objects,
  '-o',
  partial,
]);
fs.renameSync(partial, OUTPUT);
fs.rmSync(work, { recursive: true, force: true });
say(`built ${path.relative(process.cwd(), OUTPUT)} (node-argon2 ${require(path.join(argon2Dir, 'package.json')).version}, AVX2) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
