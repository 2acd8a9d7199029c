// Configuration from the environment: defaults, precedence, *_FILE forms and teaching errors.
import { ConfigError, loadConfig, type ConfigIo } from '../../server/config';

function fakeIo(files: Record<string, string>): ConfigIo {
  return {
    readText(file) {
      const text = files[file];
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${file}`), { code: 'ENOENT' });
      return text;
    },
    exists: (file) => file in files,
  };
}

test('defaults: data/vault.kdbx, the secrets/ files when they exist, 127.0.0.1:8000, info, json', () => {
  const config = loadConfig({}, fakeIo({ 'secrets/kdbx_password.txt': 'pw-from-file\n', 'secrets/api_keys.txt': 'k' }));
  expect(config).toMatchObject({
    vaultPath: 'data/vault.kdbx',
    vaultPassword: 'pw-from-file',
    keysFilePath: 'secrets/api_keys.txt',
    host: '127.0.0.1',
    port: 8000,
    logLevel: 'info',
    logFormat: 'json',
  });
});

test('the gateway\'s names win over the mattstash names, which work when alone', () => {
  const io = fakeIo({ '/m/keys.txt': '', '/g/keys.txt': '' });
  const both = loadConfig(
    { KDBX_PATH: '/g/v.kdbx', MATTSTASH_DB_PATH: '/m/v.kdbx', KDBX_PASSWORD: 'p', API_KEYS_FILE: '/g/keys.txt', MATTSTASH_API_KEYS_FILE: '/m/keys.txt', API_KEY: 'g', MATTSTASH_API_KEY: 'm' },
    io,
  );
  expect(both).toMatchObject({ vaultPath: '/g/v.kdbx', keysFilePath: '/g/keys.txt', apiKey: 'g' });
  const mattstash = loadConfig({ MATTSTASH_DB_PATH: '/m/v.kdbx', KDBX_PASSWORD: 'p', MATTSTASH_API_KEYS_FILE: '/m/keys.txt', MATTSTASH_API_KEY: 'm' }, io);
  expect(mattstash).toMatchObject({ vaultPath: '/m/v.kdbx', keysFilePath: '/m/keys.txt', apiKey: 'm' });
});

test('.mattstash.txt beside the vault is the password when none is configured', () => {
  const config = loadConfig({ KDBX_PATH: '/srv/db/vault.kdbx' }, fakeIo({ '/srv/db/.mattstash.txt': 'ms-pass\r\n' }));
  expect(config.vaultPassword).toBe('ms-pass');
  expect(config.passwordSource).toBe('/srv/db/.mattstash.txt');
});

test("a near miss of a setting's name is a warning that names the setting; the system's own variables are not", () => {
  const typos = { ALLOWED_IP: '10.0.0.0/8', TRUST_PROXIES: '1', RATE_LIMT: '5/minute', AUTH_FAIL_LIMITS: '3/minute', CORS_ORIGIN: 'https://a.example', LOGLEVEL: 'debug', METRIC: 'false' };
  const system = { HOME: '/root', HOSTNAME: 'box', LOGNAME: 'root', TERM: 'xterm', PATH: '/bin', PWD: '/', LANG: 'C', CORS: 'x' };
  const { warnings } = loadConfig({ KDBX_PASSWORD: 'p', ...typos, ...system }, fakeIo({}));
  expect(warnings).toEqual([
    'ALLOWED_IP is not a kdbx-gateway variable; did you mean ALLOWED_IPS?',
    'TRUST_PROXIES is not a kdbx-gateway variable; did you mean TRUST_PROXY?',
    'RATE_LIMT is not a kdbx-gateway variable; did you mean RATE_LIMIT?',
    'AUTH_FAIL_LIMITS is not a kdbx-gateway variable; did you mean AUTH_FAIL_LIMIT?',
    'CORS_ORIGIN is not a kdbx-gateway variable; did you mean CORS_ORIGINS?',
    'LOGLEVEL is not a kdbx-gateway variable; did you mean LOG_LEVEL?',
    'METRIC is not a kdbx-gateway variable; did you mean METRICS?',
  ]);
});

test("a variable under a setting's prefix that is no setting is named with the setting nearest it, however far off", () => {
  const misspelt = { TLS_CERT: '/c.pem', TLS_KEY: '/k.pem', ALLOW_IPS: '10.0.0.0/8', AUDIT_LOG: '/a.log', CORS_ALLOWED_ORIGINS: 'https://a.example', RATE_LIMIT_PER_KEY: '5/minute', API_KEYS: 'k' };
  // Kubernetes' service links for Services named tls-proxy and audit, and the system's own variables.
  const others = {
    TLS_PROXY_SERVICE_HOST: '10.0.0.9', TLS_PROXY_SERVICE_PORT_HTTPS: '443', TLS_PROXY_PORT: 'tcp://10.0.0.9:443', TLS_PROXY_PORT_443_TCP_ADDR: '10.0.0.9',
    AUDIT_SERVICE_HOST: '10.0.0.8', AUDIT_PORT: 'tcp://10.0.0.8:80', KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_PORT: 'tcp://10.0.0.1:443',
    NODE_ENV: 'production', NODE_TLS_REJECT_UNAUTHORIZED: '1', NODE_EXTRA_CA_CERTS: '/ca.pem', PATH: '/bin', HOME: '/root', HOSTNAME: 'box',
    // Other programs' settings in a shared env file, and a Docker link to a container named audit.
    ALLOWED_HOSTS: 'example.com', ALLOW_EMPTY_PASSWORD: 'yes', AUDIT_NAME: '/gw/audit', AUDIT_ENV_LEVEL: 'info',
  };
  const { warnings } = loadConfig({ KDBX_PASSWORD: 'p', ...misspelt, ...others }, fakeIo({}));
  expect(warnings).toEqual([
    'TLS_CERT is not a kdbx-gateway variable; did you mean TLS_CERT_FILE?',
    'TLS_KEY is not a kdbx-gateway variable; did you mean TLS_KEY_FILE?',
    'ALLOW_IPS is not a kdbx-gateway variable; did you mean ALLOWED_IPS?',
    'AUDIT_LOG is not a kdbx-gateway variable; did you mean AUDIT_LOG_FILE?',
    'CORS_ALLOWED_ORIGINS is not a kdbx-gateway variable; did you mean CORS_ORIGINS?',
    'RATE_LIMIT_PER_KEY is not a kdbx-gateway variable; did you mean RATE_LIMIT?',
    'API_KEYS is not a kdbx-gateway variable; did you mean API_KEY?',
  ]);
});

test('an empty variable counts as unset', () => {
  expect(loadConfig({ KDBX_PASSWORD: 'p', PORT: '', HOST: '', KDBX_PATH: '' }, fakeIo({}))).toMatchObject({ port: 8000, host: '127.0.0.1', vaultPath: 'data/vault.kdbx' });
});

test.each([
  ['0', 0],
  ['65535', 65535],
  ['00080', 80],
])('PORT %j is port %d', (raw, port) => {
  expect(loadConfig({ KDBX_PASSWORD: 'p', PORT: raw }, fakeIo({})).port).toBe(port);
});

test.each(['::1', '10.0.0.7', 'gateway.internal', 'a'])('HOST %j is accepted', (host) => {
  expect(loadConfig({ KDBX_PASSWORD: 'p', HOST: host }, fakeIo({})).host).toBe(host);
});

test.each([
  [{ KDBX_PASSWORD: 'p', PORT: '-1' }, /PORT must be an integer/],
  [{ KDBX_PASSWORD: 'p', PORT: '65536' }, 'PORT must be an integer from 0 to 65535 (received "65536")'],
  [{ KDBX_PASSWORD: 'p', PORT: '123456' }, /PORT must be an integer/],
  [{ KDBX_PASSWORD: 'p', PORT: '８０' }, /PORT must be an integer/],
  [{ KDBX_PASSWORD: 'p', PORT: ' 80' }, /PORT must be an integer/],
  [{ KDBX_PASSWORD: 'p', HOST: '-lead' }, 'HOST must be an IP address or a host name (received "-lead")'],
  [{ KDBX_PASSWORD: 'p', PORT: '8000.5' }, /PORT must be an integer/],
  [{ KDBX_PASSWORD: 'p', HOST: 'not a host!' }, /HOST must be an IP address or a host name/],
  [{ KDBX_PASSWORD: 'p', HOST: '999.1.1.1' }, /HOST must be an IP address or a host name \(received "999\.1\.1\.1"\)/],
  [{ KDBX_PASSWORD: 'p', LOG_FORMAT: 'jsn' }, /did you mean json\?/],
  [{ KDBX_PASSWORD: 'p', API_KEY: 'a', API_KEY_FILE: '/k' }, /API_KEY and API_KEY_FILE are both set/],
  [{ KDBX_PASSWORD: 'p', API_KEY_FILE: '/empty' }, /API_KEY_FILE: \/empty is empty/],
  [{ KDBX_PASSWORD: 'p', API_KEYS_FILE: '/missing.yaml' }, /API_KEYS_FILE: \/missing\.yaml does not exist/],
])('%j is refused: %s', (env, message) => {
  const io = fakeIo({ '/empty': '\n', '/keys.yaml': 'keys: []', '/k': 'x' });
  expect(() => loadConfig(env, io)).toThrow(ConfigError);
  expect(() => loadConfig(env, io)).toThrow(message);
});

test('an empty password file is the empty password (KeePassXC can make such a vault); an empty variable is unset', () => {
  const io = fakeIo({ '/empty': '\n' });
  expect(loadConfig({ KDBX_PASSWORD_FILE: '/empty' }, io).vaultPassword).toBe('');
  expect(() => loadConfig({ KDBX_PASSWORD: '' }, io)).toThrow(/no vault password/);
});

test('a secret given in a variable never appears in a configuration error', () => {
  try {
    loadConfig({ KDBX_PASSWORD: 'super-secret-value', KDBX_PASSWORD_FILE: '/x' }, fakeIo({ '/x': 'y' }));
    throw new Error('expected a ConfigError');
  } catch (error) {
    expect((error as Error).message).not.toContain('super-secret-value');
  }
});
