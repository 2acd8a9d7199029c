// Builds the optional native parts into dist/native/: argon2 with AVX2, and AES-KDF with AES-NI.
//
// - argon2-avx2.node: node-argon2's own sources and binding again, with its binding.gyp flags but
//   -mavx2 for -msse2. Its prebuilt binary targets SSE2 so that it runs on every x86-64 CPU; this
//   build hashes in about two thirds of the time, and Argon2 is most of opening a KeePassXC vault.
// - aes-kdf.node: native/aes-kdf.c, both halves of AES-KDF in one AES-NI loop on the thread pool.
//
// The gateway loads each only where the CPU has the instructions and after it reproduces a known
// answer (server/vault/argon2-hash.ts, aes-kdf-rounds.ts); otherwise the portable code runs. So
// both are optional: without a C compiler or Node's headers this says so in one line per part and
// exits 0.
//
// Usage: node native/build.cjs [directory]   (run by `npm run build`; CC and CXX pick the compilers)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'native'));
const CC = process.env.CC || 'cc';
const CXX = process.env.CXX || 'c++';
// node-argon2's binding.gyp (Release) flags, shared by both parts.
const COMMON = ['-O3', '-fPIC', '-pthread', '-DNDEBUG', '-D_FORTIFY_SOURCE=2', '-fvisibility=hidden', '-fdata-sections', '-ffunction-sections'];
// Node's own headers sit beside its binary in every official build and distribution package.
const NODE_HEADERS = path.join(path.dirname(process.execPath), '..', 'include', 'node');

class Skip extends Error {}

function run(compiler, args, cwd) {
  const result = spawnSync(compiler, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    const detail = `${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new Skip(`the build failed (${compiler}: ${detail})`);
  }
}

/** Compiles into a scratch folder and moves the finished file into place, so a failed build leaves none. */
function build(file, steps) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kdbx-gateway-native-'));
  try {
    const partial = path.join(work, file);
    steps(work, partial);
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.copyFileSync(partial, path.join(OUT_DIR, `${file}.tmp`));
    fs.renameSync(path.join(OUT_DIR, `${file}.tmp`), path.join(OUT_DIR, file));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function argon2Avx2() {
  let argon2Dir;
  let addonApiDir;
  try {
    argon2Dir = path.dirname(require.resolve('argon2', { paths: [ROOT] }));
    // include_dir is relative to the working directory (node-addon-api 8).
    addonApiDir = path.resolve(require(require.resolve('node-addon-api', { paths: [argon2Dir] })).include_dir);
  } catch {
    throw new Skip('argon2 or node-addon-api is not installed (run npm ci)');
  }
  const sources = ['argon2.c', 'core.c', 'blake2/blake2b.c', 'thread.c', 'encoding.c', 'opt.c'].map((f) => path.join(argon2Dir, 'argon2', 'src', f));
  build('argon2-avx2.node', (work, output) => {
    run(CC, [...COMMON, '-mavx2', '-Wno-type-limits', `-I${path.join(argon2Dir, 'argon2', 'include')}`, '-c', ...sources], work);
    const objects = fs.readdirSync(work).filter((f) => f.endsWith('.o'));
    run(CXX, [
      ...COMMON,
      ...['-std=c++17', '-fexceptions', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNODE_API_NO_EXTERNAL_BUFFERS_ALLOWED'],
      ...[`-I${NODE_HEADERS}`, `-I${addonApiDir}`, `-I${argon2Dir}`],
      ...['-shared', '-Wl,--gc-sections', path.join(argon2Dir, 'argon2.cpp'), ...objects, '-o', output],
    ], work);
  });
  return `node-argon2 ${require(path.join(argon2Dir, 'package.json')).version} with AVX2`;
}

function aesKdf() {
  build('aes-kdf.node', (work, output) => {
    run(CC, [...COMMON, '-std=c11', '-maes', '-msse2', '-Wall', '-Wextra', '-Werror', '-DNAPI_VERSION=8', `-I${NODE_HEADERS}`, '-shared', path.join(__dirname, 'aes-kdf.c'), '-o', output], work);
  });
  return 'AES-KDF with AES-NI';
}

const PARTS = [
  ['argon2-avx2.node', argon2Avx2, "Argon2 vaults open with node-argon2's prebuilt binary instead (slower, same keys)"],
  ['aes-kdf.node', aesKdf, 'AES-KDF vaults open with OpenSSL on two threads instead (slower, same keys)'],
];

let why = null;
if (process.platform !== 'linux' || process.arch !== 'x64') why = `nothing to build on ${process.platform}-${process.arch}`;
else if (!fs.existsSync(path.join(NODE_HEADERS, 'node_api.h'))) why = `no Node.js headers at ${NODE_HEADERS}`;
else {
  for (const compiler of [CC, CXX]) {
    if (why === null && spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) why = `no C compiler \`${compiler}\``;
  }
}
for (const [file, make, otherwise] of PARTS) {
  const started = Date.now();
  // A build left from other sources (an older argon2, say) must not outlive a build that fails now.
  fs.rmSync(path.join(OUT_DIR, file), { force: true });
  try {
    if (why !== null) throw new Skip(why);
    const what = make();
    process.stdout.write(`native: built ${path.relative(process.cwd(), path.join(OUT_DIR, file))} (${what}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    if (!(error instanceof Skip)) throw error;
    process.stdout.write(`native: ${file} not built: ${error.message}; ${otherwise}\n`);
  }
}
