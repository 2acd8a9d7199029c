// Rehearses the image without Docker, following Dockerfile.multistage: production install in a clean folder, demo vault, serve with the image's ENV and CMD, probes, health check, SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cmd, Copy, DockerfileParser, Entrypoint, Env, From, Healthcheck, type Instruction } from 'dockerfile-ast';

const ROOT = path.join(__dirname, '..', '..');
const INSTALL_MS = 240_000;

// --- What the Dockerfile says --------------------------------------------------------------

interface Stage {
  name: string | null;
  instructions: Instruction[];
}

const stages: Stage[] = [];
for (const instruction of DockerfileParser.parse(readFileSync(path.join(ROOT, 'Dockerfile.multistage'), 'utf8')).getInstructions()) {
  if (instruction instanceof From) stages.push({ name: instruction.getBuildStage(), instructions: [] });
  else stages.at(-1)?.instructions.push(instruction);
}
const runtime = stages.at(-1) as Stage;

const envOf = (stage: Stage): Record<string, string> =>
  Object.fromEntries(
    stage.instructions.filter((i): i is Env => i instanceof Env).flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue() ?? ''])),
  );
const workdirOf = (stage: Stage): string =>
  stage.instructions.filter((i) => i.getKeyword() === 'WORKDIR').at(-1)?.getArgumentsContent() ?? '/';
const runsOf = (stage: Stage): string[] => stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
const copiesOf = (stage: Stage): { from: string | null; sources: string[]; dest: string }[] =>
  stage.instructions
    .filter((i): i is Copy => i instanceof Copy)
    .map((copy) => {
      const args = copy.getArguments().map((a) => a.getValue());
      return { from: copy.getFromFlag()?.getValue() ?? null, sources: args.slice(0, -1), dest: args.at(-1) ?? '.' };
    });

/** ENTRYPOINT + CMD of the runtime stage, as the container would run them. */
function imageArgv(): string[] {
  const entrypoint = runtime.instructions.filter((i): i is Entrypoint => i instanceof Entrypoint).at(-1);
  const cmd = runtime.instructions.filter((i): i is Cmd => i instanceof Cmd).at(-1);
  return [...(entrypoint?.getJSONStrings() ?? []), ...(cmd?.getJSONStrings() ?? [])].map((a) => a.getJSONValue());
}

function healthcheckArgv(): string[] {
  const check = runtime.instructions.filter((i): i is Healthcheck => i instanceof Healthcheck).at(-1);
  return JSON.parse((check?.getArgumentsContent() ?? '').replace(/^\s*CMD\s+/, '')) as string[];
}

// --- A scratch "container" filesystem ------------------------------------------------------

const scratch = mkdtempSync(path.join(tmpdir(), 'kdbx-gateway-rehearsal-'));
/** Where a path of the image's filesystem lives in the rehearsal. */
const inImage = (file: string): string => path.join(scratch, 'rootfs', file);
const appDir = inImage(workdirOf(runtime));

/** The process environment npm and node get: nothing from this test run, only what the image sets. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  // Proxies and npm's own user config still apply, as they would on a build host.
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(PATH|HOME|TMPDIR|https?_proxy|no_proxy|NPM_CONFIG_USERCONFIG|NPM_CONFIG_REGISTRY)$/i.test(name)) inherited[name] = value;
  }
  return { ...inherited, TZ: 'UTC', ...extra };
}

/** Image ENV with its absolute file locations moved into the scratch root; HOST/PORT for loopback. */
function runtimeEnv(overrides: Record<string, string>): Record<string, string> {
  const env = envOf(runtime);
  for (const [name, value] of Object.entries(env)) {
    if (/_(FILE|PATH)$/.test(name) && path.posix.isAbsolute(value)) env[name] = inImage(value);
  }
  return { ...env, ...overrides };
}

function execute(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Copies a COPY source into place: `dest/` (or several sources) means into that directory. */
function copyInto(source: string, dest: string, intoDir: boolean): void {
  const target = intoDir ? path.join(dest, path.basename(source)) : dest;
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
}

const rehearsed = new Map<string, string>();

/**
 * A stage's WORKDIR after its steps. The stage that runs `npm run build` is stood in for by this
 * repository (npm test builds before jest); the others are replayed: their build-context COPYs,
 * then their `npm ci` steps with their ENV.
 */
async function rehearseStage(name: string): Promise<{ dir: string; workdir: string }> {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`COPY --from=${name}: no such stage in Dockerfile.multistage`);
  const workdir = workdirOf(stage);
  if (runsOf(stage).some((r) => /\bnpm run build\b/.test(r))) return { dir: ROOT, workdir };
  const done = rehearsed.get(name);
  if (done) return { dir: done, workdir };
  const dir = path.join(scratch, 'stages', name);
  mkdirSync(dir, { recursive: true });
  for (const copy of copiesOf(stage)) {
    if (copy.from !== null) throw new Error(`stage ${name}: COPY --from inside a dependency stage is not rehearsed; extend rehearsal.test.ts`);
    for (const source of copy.sources) copyInto(path.join(ROOT, source), path.join(dir, copy.dest), copy.dest.endsWith('/') || copy.sources.length > 1);
  }
  for (const run of runsOf(stage)) {
    for (const step of run.split('&&').map((s) => s.trim())) {
      if (/^npm cache clean\b/.test(step)) continue; // only shrinks the layer
      if (!/^npm ci\b/.test(step)) throw new Error(`stage ${name}: RUN ${step} is not rehearsed; extend rehearsal.test.ts`);
      // --ignore-scripts=false: argon2's install script must run whatever the local npm config says.
      const args = [...step.split(/\s+/).slice(1), '--ignore-scripts=false', '--no-update-notifier'];
      const result = await execute('npm', args, { cwd: dir, env: cleanEnv(envOf(stage)), timeoutMs: INSTALL_MS - 20_000 });
      if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.code}):\n${result.output.slice(-4000)}`);
    }
  }
  rehearsed.set(name, dir);
  return { dir, workdir };
}

/** Every file below a folder with its size: proof the server wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(`${path.relative(dir, full)} ${statSync(full).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

// --- The rehearsal -------------------------------------------------------------------------

let server: ChildProcess | undefined;
let serverOutput = '';
let exited: Promise<number | null> | undefined;
let baseUrl = '';
let apiKey = '';

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'server', 'main.js'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
}, 200_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('rehearsal of Dockerfile.multistage without Docker', () => {
  test(
    "the runtime stage's files: production dependencies only, and argon2 loads",
    async () => {
      for (const copy of copiesOf(runtime)) {
        const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
        const dest = path.resolve(appDir, copy.dest);
        for (const source of copy.sources) {
          if (copy.from === null) {
            copyInto(path.join(ROOT, source), dest, intoDir);
          } else {
            const stage = await rehearseStage(copy.from);
            const relative = path.posix.relative(stage.workdir, source);
            expect(relative.startsWith('..')).toBe(false);
            copyInto(path.join(stage.dir, relative), dest, intoDir);
          }
        }
      }
      expect(existsSync(path.join(appDir, 'dist', 'server', 'main.js'))).toBe(true);
      expect(existsSync(path.join(appDir, 'node_modules', 'argon2'))).toBe(true);
      expect(existsSync(path.join(appDir, 'node_modules', 'typescript'))).toBe(false);
      expect(existsSync(path.join(appDir, 'node_modules', 'jest'))).toBe(false);
      // No package that only devDependencies need.
      const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
      const devOnly = Object.entries(lock.packages)
        .filter(([key, meta]) => meta.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
        .map(([key]) => key);
      expect(devOnly.length).toBeGreaterThan(10);
      expect(devOnly.filter((key) => existsSync(path.join(appDir, key)))).toEqual([]);
      // The native binding loads and hashes (a broken prebuild crashes here, not in production).
      const argon2 = await execute(
        process.execPath,
        ['-e', "require('argon2').hash('x',{raw:true,salt:Buffer.alloc(16),memoryCost:1024,timeCost:1,parallelism:1}).then(h=>console.log('argon2 ok',h.length))"],
        { cwd: appDir, env: cleanEnv({}), timeoutMs: 30_000 },
      );
      expect(argon2.output.trim()).toBe('argon2 ok 32');
    },
    INSTALL_MS,
  );

  /** The image's node flags and its script (resolved in WORKDIR, as in the image), with `command` in place of its own. */
  function imageCommand(command: string): string[] {
    const argv = imageArgv();
    expect(argv[0]).toBe('node');
    const script = argv.indexOf('dist/server/main.js');
    expect(script).toBeGreaterThan(0);
    return [...argv.slice(1, script), path.join(appDir, 'dist/server/main.js'), command];
  }

  test("the mattstash server's variables, and a plain KDBX_PASSWORD, work against the image's ENV", async () => {
    // A mattstash deployment: MATTSTASH_DB_PATH, the password in .mattstash.txt beside the vault.
    const elsewhere = path.join(scratch, 'mattstash');
    mkdirSync(elsewhere, { recursive: true });
    const made = await execute(process.execPath, imageCommand('demo'), { cwd: elsewhere, env: cleanEnv({}), timeoutMs: 60_000 });
    expect(made.code).toBe(0);
    const vault = path.join(elsewhere, 'data', 'vault.kdbx');
    const password = readFileSync(path.join(elsewhere, 'secrets', 'kdbx_password.txt'), 'utf8').trim();
    writeFileSync(path.join(elsewhere, 'data', '.mattstash.txt'), `${password}\n`);
    const env = runtimeEnv({ HOST: '127.0.0.1', PORT: '0' });
    const mattstash = await execute(process.execPath, imageCommand('check'), {
      cwd: appDir,
      env: cleanEnv({ ...env, MATTSTASH_DB_PATH: vault, MATTSTASH_API_KEY: 'mattstash-style-key-6612' }),
      timeoutMs: 60_000,
    });
    expect({ code: mattstash.code, output: mattstash.code === 0 ? '' : mattstash.output }).toEqual({ code: 0, output: '' });
    const direct = await execute(process.execPath, imageCommand('check'), {
      cwd: appDir,
      env: cleanEnv({ ...env, KDBX_PATH: vault, KDBX_PASSWORD: password, API_KEY: 'direct-style-key-7723' }),
      timeoutMs: 60_000,
    });
    expect({ code: direct.code, output: direct.code === 0 ? '' : direct.output }).toEqual({ code: 0, output: '' });
  }, 120_000);

  test('`demo` writes the vault and secrets where the image looks by default (data/ and secrets/ under WORKDIR)', async () => {
    const env = runtimeEnv({ HOST: '127.0.0.1', PORT: '0' });
    const result = await execute(process.execPath, imageCommand('demo'), { cwd: appDir, env: cleanEnv(env), timeoutMs: 60_000 });
    expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });
    for (const file of ['data/vault.kdbx', 'secrets/kdbx_password.txt', 'secrets/api_keys.txt']) expect(existsSync(path.join(appDir, file))).toBe(true);
    apiKey = /API key: (\S+)/.exec(result.output)?.[1] ?? '';
    expect(apiKey).not.toBe('');
  }, 60_000);

  test('`kdbx-gateway check`, on PATH where the image links it, opens the vault `demo` wrote', async () => {
    const link = runsOf(runtime)
      .map((r) => /\bln -s (\S+) (\S+)/.exec(r))
      .find((m) => m !== null);
    expect(link?.[2]).toBe('/usr/local/bin/kdbx-gateway');
    const binDir = inImage('/usr/local/bin');
    mkdirSync(binDir, { recursive: true });
    symlinkSync(inImage(link?.[1] ?? ''), path.join(binDir, 'kdbx-gateway'));
    const env = runtimeEnv({ HOST: '127.0.0.1', PORT: '0' });
    const result = await execute('kdbx-gateway', ['check'], { cwd: appDir, env: cleanEnv({ ...env, PATH: `${binDir}:${process.env['PATH'] ?? '/usr/bin:/bin'}` }), timeoutMs: 60_000 });
    expect({ code: result.code, entries: /entries:\s+(\d+)/.exec(result.output)?.[1] }).toEqual({ code: 0, entries: '4' });
  }, 60_000);

  test('`serve` with the image ENV and CMD answers /ready and /health, and the HEALTHCHECK passes', async () => {
    const argv = imageArgv();
    // Loopback instead of 0.0.0.0: the rehearsal's traffic stays on this machine.
    const env = runtimeEnv({ HOST: '127.0.0.1', PORT: '0' });
    const before = tree(scratch);
    const child = spawn(process.execPath, argv.slice(1), { cwd: appDir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdout.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (serverOutput += chunk.toString('utf8')));
    baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not log "listening":\n${serverOutput}`)), 30_000);
      const poll = setInterval(() => {
        for (const line of serverOutput.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { message?: string; url?: string };
          if (entry.message === 'listening' && entry.url) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(entry.url);
          }
        }
        if (child.exitCode !== null) {
          clearInterval(poll);
          clearTimeout(timer);
          reject(new Error(`serve exited with ${child.exitCode}:\n${serverOutput}`));
        }
      }, 50);
    });
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const ready = await fetch(`${baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy' });
    // The secrets arrived through the default locations: the demo key works.
    const list = await fetch(`${baseUrl}/api/v1/credentials`, { headers: { 'X-API-Key': apiKey } });
    expect(list.status).toBe(200);

    const port = new URL(baseUrl).port;
    const [command, ...args] = healthcheckArgv();
    expect(command).toBe('node');
    const check = await execute(process.execPath, args, { cwd: appDir, env: cleanEnv({ ...env, PORT: port }), timeoutMs: 15_000 });
    expect({ code: check.code, output: check.output }).toEqual({ code: 0, output: '' });

    // Logs and audit go to stdout; nothing was written to the (would-be read-only) filesystem.
    expect(tree(scratch)).toEqual(before);
  }, 60_000);

  test('SIGTERM: the process exits 0 within the grace period, and the HEALTHCHECK then fails', async () => {
    expect(server).toBeDefined();
    const started = Date.now();
    server?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(11_000);
    expect(serverOutput).toContain('shutting down');
    const port = new URL(baseUrl).port;
    const [, ...args] = healthcheckArgv();
    const check = await execute(process.execPath, args, { cwd: appDir, env: cleanEnv(runtimeEnv({ PORT: port })), timeoutMs: 15_000 });
    expect(check.code).toBe(1);
  }, 30_000);
});
