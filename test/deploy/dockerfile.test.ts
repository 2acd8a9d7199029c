// Holds Dockerfile.multistage and .dockerignore to the image rules: pinned Node LTS, production deps only, non-root, exec form, health check, no secrets.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Cmd, Copy, DockerfileParser, Entrypoint, Env, From, Healthcheck, Label, type Instruction, Arg } from 'dockerfile-ast';

const ROOT = path.join(__dirname, '..', '..');
// The Node flag every launcher starts the gateway with (README, Performance).
const SERVE_FLAG = '--max-semi-space-size=4';
const DOCKERFILE = path.join(ROOT, 'Dockerfile.multistage');
const text = readFileSync(DOCKERFILE, 'utf8');
const dockerfile = DockerfileParser.parse(text);

interface Stage {
  name: string | null;
  from: From;
  instructions: Instruction[];
}

/** The instructions of each FROM … up to the next FROM, in order. */
function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction instanceof From) stages.push({ name: instruction.getBuildStage(), from: instruction, instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const stages = stagesOf(dockerfile.getInstructions());
const runtime = stages.at(-1) as Stage;
const stageNamed = (name: string): Stage | undefined => stages.find((s) => s.name === name);
const of = <T extends Instruction>(stage: Stage, type: abstract new (...args: never[]) => T): T[] =>
  stage.instructions.filter((i): i is T => i instanceof type);
const keyword = (stage: Stage, word: string): Instruction[] => stage.instructions.filter((i) => i.getKeyword() === word);
const runLines = (stage: Stage): string[] => keyword(stage, 'RUN').map((i) => i.getArgumentsContent() ?? '');
const envOf = (stage: Stage): Map<string, string | null> =>
  new Map(of(stage, Env).flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()] as const)));

/** `npm ci` invocations that install production dependencies only. */
const PROD_INSTALL = /\bnpm\s+(ci|install)\b[^&|;]*(--omit[= ]dev|--only[= ]prod(uction)?|--production)\b/;

function copiesFrom(stage: Stage): { from: string | null; sources: string[]; dest: string }[] {
  return of(stage, Copy).map((copy) => {
    const args = copy.getArguments().map((a) => a.getValue());
    return { from: copy.getFromFlag()?.getValue() ?? null, sources: args.slice(0, -1), dest: args.at(-1) ?? '' };
  });
}

describe('Dockerfile.multistage stages', () => {
  test('a build stage compiles TypeScript and the runtime stage is last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => runLines(s).some((r) => /\bnpm run build\b/.test(r)));
    expect(build).toBeDefined();
    expect(runLines(build as Stage).some((r) => /\bnpm ci\b/.test(r) && !PROD_INSTALL.test(r))).toBe(true);
    expect(build).not.toBe(runtime);
    // The runtime stage never compiles or installs dev tooling itself.
    expect(runLines(runtime).filter((r) => /\bnpm (ci|install|run build)\b/.test(r) && !PROD_INSTALL.test(r))).toEqual([]);
  });

  test('every FROM is pinned to a full version; the runtime is Node 22 or 24 LTS on glibc', () => {
    const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== null));
    for (const { from } of stages) {
      const name = from.getImageName() ?? '';
      if (stageNames.has(name)) continue; // FROM an earlier stage
      const tag = from.getImageTag();
      const digest = from.getImageDigest();
      expect({ image: from.getImage(), pinned: Boolean(digest) || /^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(tag ?? '') }).toEqual({
        image: from.getImage(),
        pinned: true,
      });
      expect(tag).not.toBe('latest');
    }
    expect(runtime.from.getImageName()).toBe('node');
    const major = Number(/^(\d+)\./.exec(runtime.from.getImageTag() ?? '')?.[1]);
    expect([22, 24]).toContain(major);
    // argon2 0.44.0's glibc prebuild is the tested one; Alpine would pick the musl build.
    expect(runtime.from.getImageTag()).not.toMatch(/alpine/);
  });

  test('production dependencies only: node_modules comes from an `npm ci --omit=dev` stage with install scripts on', () => {
    const modules = copiesFrom(runtime).filter((c) => c.sources.some((s) => /node_modules\/?$/.test(s)) || /node_modules\/?$/.test(c.dest));
    const installsHere = runLines(runtime).some((r) => PROD_INSTALL.test(r));
    expect(modules.length + (installsHere ? 1 : 0)).toBeGreaterThan(0);
    for (const copy of modules) {
      expect(copy.from).not.toBeNull();
      const source = stageNamed(copy.from ?? '');
      expect(source).toBeDefined();
      const runs = runLines(source as Stage);
      expect(runs.some((r) => PROD_INSTALL.test(r))).toBe(true);
      // A stage that also ran a full `npm ci` would hand over dev dependencies.
      expect(runs.filter((r) => /\bnpm ci\b/.test(r) && !PROD_INSTALL.test(r))).toEqual([]);
    }
    // argon2 needs its install script to pick the prebuilt binary.
    expect(stages.flatMap(runLines).filter((r) => /--ignore-scripts(?!=false)/.test(r))).toEqual([]);
  });

  test('dist/ comes from the stage that builds it', () => {
    const dist = copiesFrom(runtime).find((c) => c.sources.some((s) => /\/dist\/?$|^dist\/?$/.test(s)));
    expect(dist?.from).toBeTruthy();
    expect(runLines(stageNamed(dist?.from ?? '') as Stage).some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  test('the build stage gets every file tsconfig.build.json compiles or extends', () => {
    const build = stages.find((s) => runLines(s).some((r) => /\bnpm run build\b/.test(r))) as Stage;
    const copied = new Set(copiesFrom(build).filter((c) => c.from === null).flatMap((c) => c.sources.map((s) => s.replace(/\/$/, ''))));
    const configs = ['tsconfig.build.json'];
    for (let i = 0; i < configs.length; i += 1) {
      const config = JSON.parse(readFileSync(path.join(ROOT, configs[i] ?? ''), 'utf8')) as { extends?: string; include?: string[] };
      if (config.extends?.startsWith('.')) configs.push(path.normalize(config.extends));
    }
    for (const config of configs) expect(copied).toContain(config);
    const include = (JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    for (const glob of include) expect(copied).toContain(glob.split('/')[0]);
  });

  test("the build stage gets every script `npm run build` runs, and a C++ compiler for argon2's AVX2 build", () => {
    const build = stages.find((s) => runLines(s).some((r) => /\bnpm run build\b/.test(r))) as Stage;
    const copied = new Set(copiesFrom(build).filter((c) => c.from === null).flatMap((c) => c.sources.map((s) => s.replace(/\/$/, ''))));
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build'] ?? '';
    const files = [...script.matchAll(/\bnode (\S+)/g)].map((m) => m[1] ?? '');
    expect(files).toContain('native/build.cjs');
    for (const file of files) expect(copied).toContain(file.split('/')[0]);
    // Without a compiler the build still succeeds, so only this rule keeps the image's fast Argon2.
    const runs = runLines(build);
    const compiler = runs.findIndex((r) => /apt-get install\b.*\bg\+\+/.test(r));
    expect(compiler).toBeGreaterThanOrEqual(0);
    expect(compiler).toBeLessThan(runs.findIndex((r) => /\bnpm run build\b/.test(r)));
    expect(runLines(runtime).filter((r) => /apt-get install/.test(r))).toEqual([]);
  });

  test('every file copied from the build context exists and is not excluded by .dockerignore', () => {
    const ignored = new Set(dockerignore().map((l) => l.replace(/^\//, '').replace(/\/$/, '')));
    for (const copy of stages.flatMap(copiesFrom).filter((c) => c.from === null)) {
      for (const source of copy.sources) {
        expect({ source, exists: existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
        expect(ignored.has(source.replace(/\/$/, ''))).toBe(false);
      }
    }
  });
});

describe('Dockerfile.multistage runtime', () => {
  test('runs as a non-root user', () => {
    const user = keyword(runtime, 'USER').at(-1)?.getArgumentsContent()?.trim() ?? 'root';
    const [name] = user.split(':');
    expect(name).not.toMatch(/^(root|0)$/);
    if (/^\d+$/.test(name ?? '')) expect(Number(name)).toBeGreaterThan(0);
  });

  test('CMD is exec form running node with its flag, dist/server/main.js serve', () => {
    const entrypoint = of(runtime, Entrypoint).at(-1);
    const cmd = of(runtime, Cmd).at(-1);
    expect(cmd).toBeDefined();
    for (const instruction of [entrypoint, cmd]) {
      if (instruction === undefined) continue;
      expect(instruction.getArgumentsContent()?.trim().startsWith('[')).toBe(true);
      expect(instruction.getJSONStrings().length).toBeGreaterThan(0);
    }
    const argv = [...(entrypoint?.getJSONStrings() ?? []), ...(cmd?.getJSONStrings() ?? [])].map((a) => a.getJSONValue());
    expect(argv).toEqual(['node', SERVE_FLAG, 'dist/server/main.js', 'serve']);
  });

  test('start.sh, npm start, the kdbx-gateway command and the bench run the gateway with the same Node flag as the image', () => {
    const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
    expect(read('bin/kdbx-gateway')).toContain(`set -- ${SERVE_FLAG} "$0" "$@"`);
    expect(read('start.sh')).toContain(`node ${SERVE_FLAG} "$main_js" serve`);
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start']).toBe(`node ${SERVE_FLAG} dist/server/main.js serve`);
    expect(read('bench/run.cjs')).toContain(`const SERVE_FLAGS = ['${SERVE_FLAG}'];`);
  });

  test('HEALTHCHECK asks /ready with node (no curl in slim images), in exec form', () => {
    const check = of(runtime, Healthcheck).at(-1);
    expect(check?.getSubcommand()?.getValue().toUpperCase()).toBe('CMD');
    const argv = healthcheckArgv();
    expect(argv[0]).toBe('node');
    expect(argv[1]).toBe('-e');
    expect(argv[2]).toContain("path:'/ready'");
    expect(check?.getFlags().map((f) => f.getName()).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
  });

  test('ENV: listens on 0.0.0.0:8000 and presets no file, EXPOSE 8000, WORKDIR /app, STOPSIGNAL SIGTERM', () => {
    const env = envOf(runtime);
    expect(env.get('HOST')).toBe('0.0.0.0');
    expect(env.get('PORT')).toBe('8000');
    // A preset would clash with -e KDBX_PASSWORD (both forms set) and hide MATTSTASH_DB_PATH and the
    // other mattstash names, which apply only where the gateway's own are unset (API.md §7).
    const presets = [...env.keys()].filter((name) => /^(KDBX_|API_KEY|MATTSTASH_)/.test(name));
    expect(presets).toEqual([]);
    expect(keyword(runtime, 'EXPOSE').map((e) => e.getArgumentsContent())).toEqual(['8000']);
    expect(keyword(runtime, 'WORKDIR').at(-1)?.getArgumentsContent()).toBe('/app');
    expect(keyword(runtime, 'STOPSIGNAL').at(-1)?.getArgumentsContent()).toBe('SIGTERM');
  });

  test('no ARG or ENV that looks like a secret carries a value (file locations excepted)', () => {
    const SECRETISH = /PASS(WORD|WD)?|SECRET|TOKEN|KEY|CREDENTIAL/i;
    const offenders: string[] = [];
    for (const instruction of dockerfile.getInstructions()) {
      if (!(instruction instanceof Env) && !(instruction instanceof Arg)) continue;
      for (const property of instruction.getProperties()) {
        const name = property.getName();
        const value = property.getValue();
        if (!SECRETISH.test(name) || value === null || value === '') continue;
        // KDBX_PASSWORD_FILE=/run/secrets/… names a file; that is how secrets should arrive.
        if (/_(FILE|PATH)$/.test(name) && path.posix.isAbsolute(value)) continue;
        offenders.push(name);
      }
    }
    expect(offenders).toEqual([]);
  });

  test('OCI labels, with the version of package.json', () => {
    const labels = new Map(
      of(runtime, Label).flatMap((l) => l.getProperties().map((p) => [p.getName(), (p.getValue() ?? '').replace(/^"|"$/g, '')] as const)),
    );
    for (const key of ['title', 'description', 'version', 'licenses']) expect(labels.get(`org.opencontainers.image.${key}`)).toBeTruthy();
    const version = of(runtime, Arg)
      .flatMap((a) => a.getProperties())
      .find((p) => p.getName() === 'VERSION')
      ?.getValue();
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
    expect(labels.get('org.opencontainers.image.version')).toBe('${VERSION}');
    expect(version).toBe(pkg.version);
    expect(labels.get('org.opencontainers.image.licenses')).toBe(pkg.license);
  });
});

function dockerignore(): string[] {
  return readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The HEALTHCHECK's exec-form argv, parsed as Docker does (a JSON array after CMD). */
function healthcheckArgv(): string[] {
  const content = of(runtime, Healthcheck).at(-1)?.getArgumentsContent() ?? '';
  const json = content.replace(/^\s*CMD\s+/i, '');
  expect(json.startsWith('[')).toBe(true);
  const argv: unknown = JSON.parse(json);
  expect(Array.isArray(argv) && argv.every((a) => typeof a === 'string')).toBe(true);
  return argv as string[];
}

describe('.dockerignore', () => {
  test('keeps secrets, vaults, tests and local builds out of the build context', () => {
    const entries = new Set(dockerignore().map((l) => l.replace(/^\//, '').replace(/\/$/, '')));
    for (const needed of ['secrets', 'data', 'test', 'bench', 'node_modules', 'dist', '.git', 'coverage', '*.log']) {
      expect({ needed, listed: entries.has(needed) }).toEqual({ needed, listed: true });
    }
    // Vaults, key files and env files at any depth, not only at the top of the context.
    for (const pattern of ['**/*.kdbx', '**/*.keyx', '**/*.key', '**/.env', '**/.mattstash.txt']) {
      expect({ pattern, listed: entries.has(pattern) }).toEqual({ pattern, listed: true });
    }
    // A negation could bring a secret back in.
    expect(dockerignore().filter((l) => l.startsWith('!') && /secret|data|kdbx/i.test(l))).toEqual([]);
  });
});
