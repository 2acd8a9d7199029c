// Holds docker-compose.prod.yml to the production rules by parsing it (no Docker engine here): read-only, secrets as files, loopback port, health check.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DockerfileParser, Env, Healthcheck } from 'dockerfile-ast';

const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_TEXT = readFileSync(path.join(ROOT, 'docker-compose.prod.yml'), 'utf8');

type Mapping<T> = Record<string, T>;
interface ServiceSecret {
  source: string;
  target?: string;
}
interface ServiceVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
}
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  user?: string;
  restart?: string;
  environment?: Mapping<string | number | boolean | null> | string[];
  secrets?: (string | ServiceSecret)[];
  volumes?: (string | ServiceVolume)[];
  read_only?: boolean;
  tmpfs?: string | string[];
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string | string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  networks?: string[] | Mapping<unknown>;
}
interface ComposeFile {
  services: Mapping<Service>;
  secrets?: Mapping<{ file?: string; external?: boolean; environment?: string }>;
  networks?: Mapping<{ internal?: boolean } | null>;
}

const compose = parse(COMPOSE_TEXT) as ComposeFile;
const gateway = compose.services['kdbx-gateway'] as Service;

function environment(service: Service): Map<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return new Map(env.map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)] as const));
  }
  return new Map(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)] as const));
}

/** Mount target of each service secret (Compose's default: /run/secrets/<source>). */
function secretTargets(service: Service): Map<string, string> {
  return new Map(
    (service.secrets ?? []).map((s) => {
      const secret = typeof s === 'string' ? { source: s } : s;
      const target = secret.target ?? secret.source;
      return [target.startsWith('/') ? target : `/run/secrets/${target}`, secret.source] as const;
    }),
  );
}

/** Long form of each volume, from `source:target[:mode]` strings too. */
function volumes(service: Service): ServiceVolume[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return v;
    const [source, target, mode] = v.split(':');
    return { type: 'bind', source: source ?? '', target: target ?? '', read_only: (mode ?? '').split(',').includes('ro') };
  });
}

const seconds = (duration: string): number => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  return Number(match?.[1] ?? 0) * 60 + Number(match?.[2] ?? 0);
};

const dockerfile = DockerfileParser.parse(readFileSync(path.join(ROOT, 'Dockerfile.multistage'), 'utf8'));
const imageEnv = new Map(
  dockerfile
    .getInstructions()
    .filter((i): i is Env => i instanceof Env)
    .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue() ?? ''] as const)),
);

describe('docker-compose.prod.yml', () => {
  test('builds the gateway from Dockerfile.multistage and names the image', () => {
    expect(gateway).toBeDefined();
    expect(typeof gateway.build === 'object' ? gateway.build.dockerfile : undefined).toBe('Dockerfile.multistage');
    expect(gateway.image).toMatch(/^kdbx-gateway:\S+$/);
  });

  test('read-only root filesystem with a tmpfs at /tmp', () => {
    expect(gateway.read_only).toBe(true);
    const tmpfs = [gateway.tmpfs ?? []].flat();
    expect(tmpfs.some((t) => t.split(':')[0] === '/tmp')).toBe(true);
  });

  test('every *_FILE variable under /run/secrets is a declared Compose secret read from ./secrets', () => {
    const env = environment(gateway);
    const targets = secretTargets(gateway);
    const fileVars = [...env].filter(([name]) => name.endsWith('_FILE'));
    expect(fileVars.map(([name]) => name).sort()).toEqual(['API_KEYS_FILE', 'KDBX_PASSWORD_FILE']);
    for (const [name, file] of fileVars) {
      expect({ name, file: file.startsWith('/run/secrets/') }).toEqual({ name, file: true });
      const source = targets.get(file);
      expect({ name, source }).toEqual({ name, source: expect.any(String) as string });
      const declared = compose.secrets?.[source ?? ''];
      expect(declared?.file).toMatch(/^\.\/secrets\/[\w.-]+$/);
    }
  });

  test('no secret value in the environment', () => {
    const env = environment(gateway);
    const secretish = [...env.keys()].filter((name) => /PASSWORD|SECRET|TOKEN|KEY/i.test(name) && !name.endsWith('_FILE'));
    expect(secretish).toEqual([]);
  });

  test('the vault is mounted read-only, and KDBX_PATH lies inside that mount', () => {
    // Set here: the image presets no file location.
    const vaultPath = environment(gateway).get('KDBX_PATH') ?? '';
    expect(vaultPath).toBe('/data/vault.kdbx');
    const mount = volumes(gateway).find((v) => vaultPath === v.target || vaultPath.startsWith(`${v.target}/`));
    expect(mount).toBeDefined();
    expect(mount?.read_only).toBe(true);
    expect(mount?.source).toMatch(/^\.\/data(\/vault\.kdbx)?$/);
    // Every bind mount is read-only: the gateway writes nothing.
    expect(volumes(gateway).filter((v) => v.read_only !== true)).toEqual([]);
  });

  test('the health check asks /ready, the same command as the image (clients that wait for service_healthy find a vault)', () => {
    const test = gateway.healthcheck?.test;
    expect(Array.isArray(test)).toBe(true);
    const argv = test as string[];
    expect(argv[0]).toBe('CMD');
    expect(argv.join(' ')).toContain("path:'/ready'");
    const image = dockerfile.getInstructions().filter((i): i is Healthcheck => i instanceof Healthcheck).at(-1);
    const imageArgv = JSON.parse((image?.getArgumentsContent() ?? '').replace(/^\s*CMD\s+/, '')) as string[];
    expect(argv.slice(1)).toEqual(imageArgv);
    expect(gateway.healthcheck?.interval).toBeTruthy();
  });

  test('restarts unless stopped, and stops gracefully', () => {
    expect(gateway.restart).toBe('unless-stopped');
    // After SIGTERM: 2 s of draining when clients are connected, then 10 s for requests in flight;
    // Docker's SIGKILL must come later.
    expect(seconds(gateway.stop_grace_period ?? '10s')).toBeGreaterThan(12);
  });

  test('the published port is bound to 127.0.0.1 only, on the container port the server listens on', () => {
    const port = environment(gateway).get('PORT') ?? imageEnv.get('PORT');
    expect(gateway.ports?.length).toBeGreaterThan(0);
    for (const mapping of gateway.ports ?? []) {
      expect(typeof mapping).toBe('string');
      const parts = (mapping as string).split(':');
      expect(parts).toHaveLength(3);
      expect(parts[0]).toBe('127.0.0.1');
      expect(parts[2]).toBe(port);
    }
    expect(environment(gateway).get('HOST')).toBe('0.0.0.0');
  });

  test('drops every capability and forbids privilege escalation', () => {
    expect(gateway.cap_drop).toEqual(['ALL']);
    expect(gateway.security_opt).toContain('no-new-privileges:true');
    expect(gateway.user ?? '').not.toMatch(/^(root|0)(:|$)/);
  });

  test('clients reach it on an internal network; an example client is documented', () => {
    const joined = Array.isArray(gateway.networks) ? gateway.networks : Object.keys(gateway.networks ?? {});
    const internal = Object.entries(compose.networks ?? {}).filter(([, n]) => n?.internal === true).map(([name]) => name);
    expect(internal.length).toBeGreaterThan(0);
    expect(joined.some((n) => internal.includes(n))).toBe(true);
    expect(COMPOSE_TEXT).toMatch(/^\s*#\s+my-app:/m);
    expect(COMPOSE_TEXT).toContain('http://kdbx-gateway:8000');
  });

  test('the secret files it names are kept out of git and out of the image', () => {
    const gitignore = readFileSync(path.join(ROOT, '.gitignore'), 'utf8');
    expect(gitignore).toMatch(/^\/?secrets\/\*?$/m);
    expect(gitignore).toMatch(/^\/?data\/\*?$/m);
    expect(existsSync(path.join(ROOT, '.dockerignore'))).toBe(true);
    for (const declared of Object.values(compose.secrets ?? {})) expect(declared.file?.startsWith('./secrets/')).toBe(true);
  });
});
