// Validates every manifest in k8s/ against the Kubernetes schemas (kubernetes-models 4) and the gateway's house rules: probes, security, Secret volumes, wiring.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DockerfileParser } from 'dockerfile-ast';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace, type INamespace } from 'kubernetes-models/v1/Namespace';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';

const ROOT = path.join(__dirname, '..', '..');
const K8S = path.join(ROOT, 'k8s');
// The probe routes of the contract (API.md §3, README "API"): alive while the process runs; ready once the vault is loaded.
const HEALTH = '/health';
const READY = '/ready';
const KUSTOMIZATION = 'kustomization.yaml';
// Left out of kustomization.yaml on purpose (see its comment and k8s/README.md).
const NOT_IN_KUSTOMIZATION = ['secret.yaml', 'sidecar-example.yaml'];

interface Loaded {
  file: string;
  kind: string;
  object: Record<string, unknown>;
}

const yamlFiles = readdirSync(K8S)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function load(file: string): Loaded[] {
  return parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8')).map((doc) => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    const object = doc.toJS() as Record<string, unknown>;
    return { file, kind: String(object['kind']), object };
  });
}

const manifests = yamlFiles.filter((f) => f !== KUSTOMIZATION).flatMap(load);
const all = (file: string): Loaded[] => manifests.filter((m) => m.file === file);
function one<T>(file: string, kind: string): T {
  const found = all(file).filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]?.object as T;
}

const deployment = one<IDeployment>('deployment.yaml', 'Deployment');
const podSpec = deployment.spec?.template.spec as IPodSpec;
const podLabels = deployment.spec?.template.metadata?.labels ?? {};
const gateway = podSpec.containers.find((c) => c.name === 'kdbx-gateway') as IContainer;
const service = one<IService>('service.yaml', 'Service');
const configMap = one<IConfigMap>('configmap.yaml', 'ConfigMap');
const secrets = all('secret.yaml').map((m) => m.object as unknown as ISecret);
const sidecar = one<IDeployment>('sidecar-example.yaml', 'Deployment');

/** Whether a label selector's matchLabels all hold on the given labels (and it selects something). */
function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  const wanted = Object.entries(matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([k, v]) => labels[k] === v);
}

const containersOf = (spec: IPodSpec): IContainer[] => [...(spec.initContainers ?? []), ...spec.containers];

describe('k8s/ manifests', () => {
  test('every file parses and validates against its Kubernetes schema', () => {
    const models: Record<string, (o: Record<string, unknown>) => { validate(): void }> = {
      Namespace: (o) => new Namespace(o),
      Secret: (o) => new Secret(o),
      ConfigMap: (o) => new ConfigMap(o),
      Deployment: (o) => new Deployment(o),
      Service: (o) => new Service(o),
      Ingress: (o) => new Ingress(o),
      NetworkPolicy: (o) => new NetworkPolicy(o),
      PodDisruptionBudget: (o) => new PodDisruptionBudget(o),
      HorizontalPodAutoscaler: (o) => new HorizontalPodAutoscaler(o),
    };
    expect(manifests.length).toBeGreaterThanOrEqual(10);
    for (const { file, kind, object } of manifests) {
      const model = models[kind];
      expect({ file, kind, known: model !== undefined }).toEqual({ file, kind, known: true });
      expect(() => model?.(object).validate()).not.toThrow();
    }
  });

  test('each expected file is there', () => {
    for (const file of [
      'namespace.yaml', 'secret.yaml', 'configmap.yaml', 'deployment.yaml', 'service.yaml', 'ingress.yaml',
      'networkpolicy.yaml', 'pdb.yaml', 'hpa.yaml', KUSTOMIZATION, 'sidecar-example.yaml',
    ]) {
      expect(yamlFiles).toContain(file);
    }
    expect(readdirSync(K8S)).toContain('README.md');
  });

  test('kustomization.yaml lists every manifest but the placeholders and the example, and images match', () => {
    const [doc] = load(KUSTOMIZATION);
    const kustomization = doc?.object as { kind: string; namespace: string; resources: string[]; images: { name: string; newName?: string; newTag?: string }[] };
    expect(kustomization.kind).toBe('Kustomization');
    const expected = yamlFiles.filter((f) => f !== KUSTOMIZATION && !NOT_IN_KUSTOMIZATION.includes(f));
    expect([...kustomization.resources].sort()).toEqual(expected);
    // The left-out files are explained where a user looks.
    const readme = readFileSync(path.join(K8S, 'README.md'), 'utf8');
    for (const file of NOT_IN_KUSTOMIZATION) expect(readme).toContain(file);
    expect(kustomization.namespace).toBe(one<INamespace>('namespace.yaml', 'Namespace').metadata?.name);
    const imageName = (gateway.image ?? '').split(':')[0];
    expect(kustomization.images.map((i) => i.name)).toContain(imageName);
    // Nothing in the kustomized set pins a namespace other than the one kustomize sets.
    for (const { file, object } of manifests.filter((m) => kustomization.resources.includes(m.file))) {
      const ns = (object['metadata'] as { namespace?: string } | undefined)?.namespace;
      expect({ file, ns: ns ?? kustomization.namespace }).toEqual({ file, ns: kustomization.namespace });
    }
  });
});

describe('deployment.yaml', () => {
  test('2 replicas; the selector matches the pod template', () => {
    expect(deployment.spec?.replicas).toBe(2);
    expect(selects(deployment.spec?.selector.matchLabels, podLabels)).toBe(true);
  });

  test('liveness on /health, readiness on /ready, on the named container port', () => {
    const portNames = new Map((gateway.ports ?? []).map((p) => [p.name, p.containerPort] as const));
    expect(portNames.get('http')).toBe(8000);
    const get = (probe: IProbe | undefined): { path?: string; port?: string | number } => ({
      path: probe?.httpGet?.path,
      port: probe?.httpGet?.port,
    });
    expect(get(gateway.livenessProbe)).toEqual({ path: HEALTH, port: 'http' });
    expect(get(gateway.readinessProbe)).toEqual({ path: READY, port: 'http' });
    if (gateway.startupProbe) expect(get(gateway.startupProbe)).toEqual({ path: HEALTH, port: 'http' });
    // Those are the contract's routes.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`GET ${HEALTH}`);
    expect(readme).toContain(`GET ${READY}`);
  });

  test('PORT from the ConfigMap equals the container port; HOST is 0.0.0.0', () => {
    expect(gateway.envFrom?.map((e) => e.configMapRef?.name)).toContain(configMap.metadata?.name);
    expect(configMap.data?.['PORT']).toBe(String(gateway.ports?.[0]?.containerPort));
    expect(configMap.data?.['HOST']).toBe('0.0.0.0');
    expect(configMap.data?.['RELOAD']).toBe('watch');
    for (const key of ['LOG_FORMAT', 'TRUST_PROXY', 'RATE_LIMIT']) expect(configMap.data?.[key]).toBeTruthy();
    // Non-secret settings only.
    expect(Object.keys(configMap.data ?? {}).filter((k) => /PASSWORD|SECRET|TOKEN|KEY/i.test(k))).toEqual([]);
  });

  test('requests and limits for CPU and memory', () => {
    for (const kind of ['requests', 'limits'] as const) {
      expect(gateway.resources?.[kind]?.['cpu']).toBeDefined();
      expect(gateway.resources?.[kind]?.['memory']).toBeDefined();
    }
  });

  test('pod and container security context: non-root as the image user, read-only root, no privileges', () => {
    const pod = podSpec.securityContext;
    expect(pod?.runAsNonRoot).toBe(true);
    expect(pod?.seccompProfile?.type).toBe('RuntimeDefault');
    const [uid, gid] = imageUser();
    expect(pod?.runAsUser).toBe(uid);
    expect(pod?.runAsGroup).toBe(gid);
    for (const container of containersOf(podSpec)) expectHardened(container);
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.hostNetwork ?? false).toBe(false);
  });

  test('secrets are read-only whole volumes (no subPath), and the *_FILE paths point into them', () => {
    expectSecretMountsSound(podSpec);
    const env = new Map((gateway.env ?? []).map((e) => [e.name, e.value] as const));
    const secretByName = new Map(secrets.map((s) => [s.metadata?.name, s] as const));
    for (const variable of ['KDBX_PATH', 'KDBX_PASSWORD_FILE', 'API_KEYS_FILE']) {
      const file = env.get(variable) ?? '';
      const mount = (gateway.volumeMounts ?? []).find((m) => path.posix.dirname(file) === m.mountPath);
      expect({ variable, mounted: mount !== undefined }).toEqual({ variable, mounted: true });
      const volume = podSpec.volumes?.find((v) => v.name === mount?.name);
      const secretName = volume?.secret?.secretName;
      const placeholder = secretByName.get(secretName);
      expect({ variable, secretName, inSecretYaml: placeholder !== undefined }).toEqual({ variable, secretName, inSecretYaml: true });
      // The file name inside the volume is an item path, or the Secret key itself.
      const base = path.posix.basename(file);
      const key = volume?.secret?.items?.find((i) => i.path === base)?.key ?? base;
      expect(Object.keys({ ...placeholder?.data, ...placeholder?.stringData })).toContain(key);
    }
  });

  test('an emptyDir at /tmp for Node', () => {
    const mount = gateway.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(podSpec.volumes?.find((v) => v.name === mount?.name)?.emptyDir).toBeDefined();
  });

  test('graceful stop: preStop sleep, then 2 s of draining and 10 s for requests in flight, inside the grace period', () => {
    const command = gateway.lifecycle?.preStop?.exec?.command ?? [];
    expect(command[0]).toBe('sleep');
    const sleep = Number(command[1]);
    expect(sleep).toBeGreaterThanOrEqual(2);
    expect(podSpec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(sleep + 2 + 10);
  });

  test('replicas spread across nodes', () => {
    const spread = (podSpec.topologySpreadConstraints ?? []).filter((t) => selects(t.labelSelector?.matchLabels, podLabels));
    const anti = podSpec.affinity?.podAntiAffinity;
    expect(spread.length > 0 || anti !== undefined).toBe(true);
    expect(spread.map((t) => t.topologyKey)).toContain('kubernetes.io/hostname');
  });
});

describe('secret.yaml', () => {
  test('holds placeholders marked REPLACE, never a real value', () => {
    expect(secrets.length).toBe(2);
    for (const secret of secrets) {
      const values = [
        ...Object.values(secret.stringData ?? {}),
        ...Object.values(secret.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
      ];
      expect(values.length).toBeGreaterThan(0);
      for (const value of values) expect(value).toContain('REPLACE');
    }
  });
});

describe('service, ingress, network policy, PDB, HPA', () => {
  test('Service: ClusterIP, port 80 to the container port, selecting the gateway pods', () => {
    expect(service.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    expect(selects(service.spec?.selector, podLabels)).toBe(true);
    const port = service.spec?.ports?.[0];
    expect(port?.port).toBe(80);
    const container = gateway.ports?.find((p) => p.name === port?.targetPort || p.containerPort === port?.targetPort);
    expect(container?.containerPort).toBe(8000);
  });

  test('Ingress: TLS for its host, class nginx, to the Service', () => {
    const ingress = one<IIngress>('ingress.yaml', 'Ingress');
    expect(ingress.spec?.ingressClassName).toBe('nginx');
    const hosts = ingress.spec?.rules?.map((r) => r.host) ?? [];
    expect(hosts.length).toBeGreaterThan(0);
    const tlsHosts = ingress.spec?.tls?.flatMap((t) => t.hosts ?? []) ?? [];
    for (const host of hosts) expect(tlsHosts).toContain(host);
    expect(ingress.spec?.tls?.every((t) => Boolean(t.secretName))).toBe(true);
    const backends = ingress.spec?.rules?.flatMap((r) => r.http?.paths.map((p) => p.backend.service) ?? []) ?? [];
    for (const backend of backends) {
      expect(backend?.name).toBe(service.metadata?.name);
      expect(service.spec?.ports?.some((p) => p.name === backend?.port?.name || p.port === backend?.port?.number)).toBe(true);
    }
  });

  test('NetworkPolicy: selects the gateway pods, admits labelled clients and the ingress controller, no egress', () => {
    const policy = one<INetworkPolicy>('networkpolicy.yaml', 'NetworkPolicy');
    expect(selects(policy.spec?.podSelector.matchLabels, podLabels)).toBe(true);
    const peers = policy.spec?.ingress?.flatMap((rule) => rule.from ?? []) ?? [];
    expect(peers.some((p) => p.podSelector?.matchLabels?.['kdbx-gateway/client'] === 'true')).toBe(true);
    expect(peers.some((p) => p.namespaceSelector !== undefined)).toBe(true);
    const ports = policy.spec?.ingress?.flatMap((rule) => rule.ports ?? []) ?? [];
    for (const port of ports) expect(['http', 8000]).toContain(port.port);
    expect(policy.spec?.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    expect(policy.spec?.egress ?? []).toEqual([]);
  });

  test('PDB and HPA target the Deployment', () => {
    const pdb = one<IPodDisruptionBudget>('pdb.yaml', 'PodDisruptionBudget');
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(selects(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
    const hpa = one<IHorizontalPodAutoscaler>('hpa.yaml', 'HorizontalPodAutoscaler');
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata?.name });
    expect(hpa.spec?.minReplicas).toBe(deployment.spec?.replicas);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(hpa.spec?.minReplicas ?? 0);
    expect(hpa.spec?.metrics?.some((m) => m.resource?.name === 'cpu')).toBe(true);
  });
});

describe('sidecar-example.yaml', () => {
  const spec = sidecar.spec?.template.spec as IPodSpec;
  const containers = containersOf(spec);
  const gatewaySidecar = containers.find((c) => (c.image ?? '').includes('kdbx-gateway')) as IContainer;
  const app = containers.find((c) => c !== gatewaySidecar) as IContainer;

  test('the gateway listens on loopback only and the app calls it there', () => {
    const env = (c: IContainer): Map<string, string | undefined> => new Map((c.env ?? []).map((e) => [e.name, e.value] as const));
    expect(env(gatewaySidecar).get('HOST')).toBe('127.0.0.1');
    expect(gatewaySidecar.ports ?? []).toEqual([]);
    expect(Object.values(Object.fromEntries(env(app))).some((v) => v?.startsWith('http://127.0.0.1:8000'))).toBe(true);
    // The kubelet's HTTP probes hit the pod IP, where a loopback server is not listening.
    for (const probe of [gatewaySidecar.startupProbe, gatewaySidecar.livenessProbe, gatewaySidecar.readinessProbe]) {
      if (probe === undefined) continue;
      expect(probe.httpGet).toBeUndefined();
      // The startup probe holds the app back until the vault is loaded; the port opens before that.
      expect((probe.exec?.command ?? []).join(' ')).toContain(`127.0.0.1:8000${probe === gatewaySidecar.startupProbe ? READY : HEALTH}`);
    }
  });

  test('same security rules, secrets as read-only whole volumes', () => {
    expect(spec.securityContext?.runAsNonRoot).toBe(true);
    expect(spec.automountServiceAccountToken).toBe(false);
    for (const container of containers) expectHardened(container);
    expectSecretMountsSound(spec);
  });
});

/** The Dockerfile's final USER as [uid, gid]. */
function imageUser(): [number, number] {
  const instructions = DockerfileParser.parse(readFileSync(path.join(ROOT, 'Dockerfile.multistage'), 'utf8')).getInstructions();
  const user = instructions.filter((i) => i.getKeyword() === 'USER').at(-1)?.getArgumentsContent() ?? '';
  const [uid, gid] = user.split(':');
  expect(uid).toMatch(/^\d+$/);
  return [Number(uid), Number(gid ?? uid)];
}

function expectHardened(container: IContainer): void {
  const sc = container.securityContext;
  expect({ container: container.name, sc: {
    readOnlyRootFilesystem: sc?.readOnlyRootFilesystem,
    allowPrivilegeEscalation: sc?.allowPrivilegeEscalation,
    drop: sc?.capabilities?.drop,
    privileged: sc?.privileged ?? false,
    runAsNonRoot: sc?.runAsNonRoot ?? true,
  } }).toEqual({ container: container.name, sc: {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    drop: ['ALL'],
    privileged: false,
    runAsNonRoot: true,
  } });
}

/** Every mount of a Secret volume is readOnly and has no subPath (subPath mounts never see Secret updates). */
function expectSecretMountsSound(spec: IPodSpec): void {
  const secretVolumes = new Set((spec.volumes ?? []).filter((v) => v.secret !== undefined).map((v) => v.name));
  expect(secretVolumes.size).toBeGreaterThan(0);
  for (const container of containersOf(spec)) {
    for (const mount of (container.volumeMounts ?? []).filter((m) => secretVolumes.has(m.name))) {
      expect({ container: container.name, mount: mount.mountPath, readOnly: mount.readOnly, subPath: mount.subPath ?? mount.subPathExpr }).toEqual({
        container: container.name,
        mount: mount.mountPath,
        readOnly: true,
        subPath: undefined,
      });
    }
  }
}
