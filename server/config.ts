// Environment (and *_FILE secrets) → one frozen Config; every problem is one line naming the variable.
import { isIP } from 'node:net';
import path from 'node:path';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './log-levels';
import { closest, mostAlike } from './text';
import { ConfigError, parseBool, parseCidrs, parseOrigins, parseRate, parseTrustProxy, type Cidr, type Rate } from './config-parsers';

export type Env = Readonly<Record<string, string | undefined>>;

/** The disk access config needs; main passes the real one, tests a fake. */
export interface ConfigIo {
  readText(file: string): string;
  exists(file: string): boolean;
}

export interface Config {
  readonly vaultPath: string;
  readonly vaultPassword: string | null;
  /** Where the password came from, for messages (never the password). */
  readonly passwordSource: string | null;
  /** The file holding the password, read again on every reload (a rotated secret). */
  readonly passwordFile: string | null;
  readonly keyFilePath: string | null;
  readonly keysFilePath: string | null;
  readonly apiKey: string | null;
  /** Where `apiKey` came from, for messages: `MATTSTASH_API_KEY`, or `API_KEY_FILE (/run/secrets/key)`. */
  readonly apiKeySource: string | null;
  /** The file API_KEY came from (`API_KEY_FILE`), read again when it changes, as the keys file is. */
  readonly apiKeyFile: { readonly variable: string; readonly path: string } | null;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** `watch`: reload the vault and the keys file when they change. */
  readonly reload: 'watch' | 'off';
  /** Per key, and per client IP before authentication; null = off. */
  readonly rateLimit: Rate | null;
  /** Failed authentications per client IP before every request from it is refused; null = off. */
  readonly authFailLimit: Rate | null;
  readonly trustProxy: number | string[] | false;
  /** Empty means every address may call /api and /v1. */
  readonly allowedIps: readonly Cidr[];
  /** Empty: no cross-origin browser access. */
  readonly corsOrigins: readonly string[];
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** null: audit lines go to stdout with the other logs. */
  readonly auditLogFile: string | null;
  readonly metrics: boolean;
  /** Shares rate-limit counters across replicas; may hold a password (it has a _FILE form). */
  readonly rateLimitRedisUrl: string | null;
  /** Variables that are set but do nothing in this version, or look like typos. */
  readonly warnings: readonly string[];
}

export { ConfigError };

export const DEFAULT_VAULT = 'data/vault.kdbx';
export const DEFAULT_PASSWORD_FILE = 'secrets/kdbx_password.txt';
export const DEFAULT_KEYS_FILE = 'secrets/api_keys.txt';

const KNOWN = [
  'KDBX_PATH', 'KDBX_PASSWORD', 'KDBX_PASSWORD_FILE', 'KDBX_KEYFILE', 'API_KEYS_FILE', 'API_KEY', 'API_KEY_FILE',
  'HOST', 'PORT', 'LOG_LEVEL', 'LOG_FORMAT', 'RELOAD', 'RATE_LIMIT', 'AUTH_FAIL_LIMIT', 'CORS_ORIGINS', 'ALLOWED_IPS',
  'TRUST_PROXY', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'AUDIT_LOG_FILE', 'METRICS', 'RATE_LIMIT_REDIS_URL',
  'RATE_LIMIT_REDIS_URL_FILE', 'MATTSTASH_DB_PATH', 'MATTSTASH_API_KEY', 'MATTSTASH_API_KEY_FILE',
  'MATTSTASH_API_KEYS_FILE', 'KDBX_GATEWAY_URL', 'KDBX_GATEWAY_KEY', 'KDBX_GATEWAY_KEY_FILE',
];
// Words only the gateway's settings use: a near miss of one (ALLOWED_IP, RATE_LIMT) is a typo that
// would leave a protection off. Names such as HOME or LOGNAME belong to the system and are left alone.
const OUR_WORDS = /^(ALLOWED_?IP|TRUST|RATE|AUTH_?FAIL|CORS|LOG_?(LEVEL|FORMAT)|METRIC|AUDIT|TLS|RELOAD)/i;
// Prefixes that begin a setting and nothing of the system's, so another name under one is a setting
// misspelt by more than a letter or two (TLS_CERT, ALLOW_IPS, AUDIT_LOG, CORS_ALLOWED_ORIGINS), and
// the protection it was meant to turn on stays off without a word; it is named with the setting of
// that prefix most alike. ALLOW and AUDIT stop short of other programs' variables in a shared env
// file (ALLOWED_HOSTS, ALLOW_EMPTY_PASSWORD, Docker's AUDIT_NAME links).
const FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^TLS_/, 'TLS_'], [/^ALLOW(ED)?_?IP/, 'ALLOWED_IPS'], [/^AUDIT_?LOG/, 'AUDIT_'], [/^CORS_/, 'CORS_'],
  [/^RATE_LIMIT/, 'RATE_LIMIT'], [/^AUTH_FAIL/, 'AUTH_FAIL'], [/^TRUST_PROXY/, 'TRUST_PROXY'],
];
// Part of the contract but not built yet: setting one must not look like it worked.
const NOT_YET = [
 'VAULT_COMPAT', 'VAULT_COMPAT_MOUNT', 'VAULTS_FILE',
];

const fail = (message: string): never => {
  throw new ConfigError(message);
};

/** The first of several variables that is set to something other than an empty string. */
function pick(env: Env, ...names: string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return null;
}

/** Docker and Kubernetes secret files end with a newline the secret itself does not have. */
export const stripNewline = (text: string): string => text.replace(/[\r\n]+$/, '');

/**
 * `allowEmpty` for the vault password alone: KeePassXC can make a vault whose password is empty,
 * and an empty password file is the one way to say so (an empty variable reads as unset).
 */
function readSecretFile(io: ConfigIo, variable: string, file: string, allowEmpty = false): string {
  let text: string;
  try {
    text = io.readText(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return fail(`${variable}: cannot read ${file} (${code})`);
  }
  const value = stripNewline(text);
  if (value === '' && !allowEmpty) fail(`${variable}: ${file} is empty`);
  return value;
}

/** `NAME` or `NAME_FILE`, never both (API.md §7). */
interface SecretSetting {
  value: string;
  source: string;
  /** The file it was read from, so a reload can read it again. */
  file: string | null;
  /** The `_FILE` variable that named the file, when one did. */
  variable?: string;
}

function secret(env: Env, io: ConfigIo, names: readonly string[], allowEmpty = false): SecretSetting | null {
  for (const name of names) {
    const direct = pick(env, name);
    const file = pick(env, `${name}_FILE`);
    if (direct && file) fail(`${name} and ${name}_FILE are both set; set only one`);
    if (direct) return { value: direct.value, source: name, file: null };
    if (file) return { value: readSecretFile(io, file.name, file.value, allowEmpty), source: `${file.name} (${file.value})`, file: file.value, variable: file.name };
  }
  return null;
}

// Two plain checks: a schema library here would load on every start for just these.
const portOf = (raw: string): number | null => (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535 ? Number(raw) : null);
// Digits and dots alone are an IPv4 address or nothing (999.1.1.1 is not a host name either).
const isHost = (raw: string): boolean => isIP(raw) !== 0 || (!/^[\d.]+$/.test(raw) && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(raw));

function choice<T extends string>(variable: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  const found = allowed.find((a) => a === raw.toLowerCase());
  if (found) return found;
  const hint = closest(raw, allowed);
  return fail(`${variable} must be one of ${allowed.join(', ')} (received ${JSON.stringify(raw)})${hint ? `; did you mean ${hint}?` : ''}`);
}

/**
 * Kubernetes gives a pod variables for every Service in its namespace (one named tls-proxy gives
 * TLS_PROXY_SERVICE_HOST and TLS_PROXY_PORT=tcp://…): not settings, misspelt or otherwise.
 */
function isServiceLink(name: string, value: string | undefined): boolean {
  if (/_SERVICE_(HOST|PORT)(_|$)/.test(name) || /_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/.test(name)) return true;
  return /_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value ?? '');
}

function warningsFor(env: Env): string[] {
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (KNOWN.includes(name) || isServiceLink(name, value)) continue;
    const family = FAMILIES.find(([pattern]) => pattern.test(name.toUpperCase()))?.[1];
    if (NOT_YET.includes(name) || NOT_YET.some((n) => name === `${n}_FILE`)) {
      warnings.push(`${name} is set but this version of kdbx-gateway does not support it yet; it has no effect`);
    } else if (/^(KDBX|API_KEY|MATTSTASH)_?/.test(name) && !name.startsWith('KDBX_GATEWAY_')) {
      // KDBX_GATEWAY_* belongs to the client commands and to Kubernetes' service links for a Service
      // named kdbx-gateway (KDBX_GATEWAY_SERVICE_HOST, …): neither is a typo.
      const hint = closest(name, KNOWN);
      warnings.push(`${name} is not a kdbx-gateway variable${hint ? `; did you mean ${hint}?` : ''}`);
    } else if (family !== undefined) {
      // However far off: within the family the one most alike is the one meant (TLS_CERT is TLS_CERT_FILE).
      const hint = mostAlike(name, KNOWN.filter((known) => known.startsWith(family)));
      warnings.push(`${name} is not a kdbx-gateway variable${hint ? `; did you mean ${hint}?` : ''}`);
    } else if (OUR_WORDS.test(name)) {
      // A hint that begins otherwise is a different setting, not the one meant (CORS is not PORT).
      const hint = closest(name, KNOWN);
      if (hint && hint.slice(0, 3) === name.slice(0, 3).toUpperCase()) warnings.push(`${name} is not a kdbx-gateway variable; did you mean ${hint}?`);
    }
  }
  return warnings;
}

function redisUrl(url: string | null): string | null {
  if (url === null) return null;
  if (!URL.canParse(url) || !/^rediss?:$/.test(new URL(url).protocol)) {
    // The value may hold a password: name the variable, not the value.
    fail('RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL, such as redis://redis:6379/0');
  }
  return url;
}

function tlsFiles(env: Env, io: ConfigIo): Config['tls'] {
  const cert = pick(env, 'TLS_CERT_FILE');
  const key = pick(env, 'TLS_KEY_FILE');
  if (!cert && !key) return null;
  if (!cert || !key) return fail(`${cert ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'} is not set; HTTPS needs both TLS_CERT_FILE and TLS_KEY_FILE`);
  for (const file of [cert, key]) if (!io.exists(file.value)) fail(`${file.name}: ${file.value} does not exist`);
  return { certFile: cert.value, keyFile: key.value };
}

export interface LoadOptions {
  /** `check` and `serve` need a way to open the vault; `demo` does not. */
  readonly requireVaultKey?: boolean;
}

export function loadConfig(env: Env, io: ConfigIo, options: LoadOptions = {}): Config {
  const vaultPath = pick(env, 'KDBX_PATH', 'MATTSTASH_DB_PATH')?.value ?? DEFAULT_VAULT;

  let password: SecretSetting | null = secret(env, io, ['KDBX_PASSWORD'], true);
  if (!password && io.exists(DEFAULT_PASSWORD_FILE)) {
    // Named by the setting it stands in for: "KDBX_PASSWORD: cannot read secrets/kdbx_password.txt".
    password = { value: readSecretFile(io, 'KDBX_PASSWORD', DEFAULT_PASSWORD_FILE, true), source: DEFAULT_PASSWORD_FILE, file: DEFAULT_PASSWORD_FILE };
  }
  // mattstash keeps the vault password in .mattstash.txt beside the vault (API.md §13.38).
  const mattstashFile = path.join(path.dirname(vaultPath), '.mattstash.txt');
  if (!password && io.exists(mattstashFile)) {
    password = { value: readSecretFile(io, 'KDBX_PASSWORD', mattstashFile, true), source: mattstashFile, file: mattstashFile };
  }

  const keyFilePath = pick(env, 'KDBX_KEYFILE')?.value ?? null;
  if (keyFilePath !== null && !io.exists(keyFilePath)) fail(`KDBX_KEYFILE: ${keyFilePath} does not exist`);
  if (options.requireVaultKey !== false && !password && keyFilePath === null) {
    fail(
      `no vault password: set KDBX_PASSWORD or KDBX_PASSWORD_FILE (or KDBX_KEYFILE), or create ${DEFAULT_PASSWORD_FILE}`,
    );
  }

  const keysVar = pick(env, 'API_KEYS_FILE', 'MATTSTASH_API_KEYS_FILE');
  if (keysVar && !io.exists(keysVar.value)) fail(`${keysVar.name}: ${keysVar.value} does not exist`);
  const keysFilePath = keysVar?.value ?? (io.exists(DEFAULT_KEYS_FILE) ? DEFAULT_KEYS_FILE : null);
  const apiKey = secret(env, io, ['API_KEY', 'MATTSTASH_API_KEY']);

  const rawHost = pick(env, 'HOST')?.value ?? '127.0.0.1';
  if (!isHost(rawHost)) fail(`HOST must be an IP address or a host name (received ${JSON.stringify(rawHost)})`);
  const rawPort = pick(env, 'PORT')?.value ?? '8000';
  const port = portOf(rawPort) ?? fail(`PORT must be an integer from 0 to 65535 (received ${JSON.stringify(rawPort)})`);

  return Object.freeze({
    vaultPath,
    vaultPassword: password?.value ?? null,
    passwordSource: password?.source ?? null,
    passwordFile: password?.file ?? null,
    keyFilePath,
    keysFilePath,
    apiKey: apiKey?.value ?? null,
    apiKeySource: apiKey?.source ?? null,
    apiKeyFile: apiKey?.file ? { variable: apiKey.variable ?? 'API_KEY_FILE', path: apiKey.file } : null,
    host: rawHost,
    port,
    logLevel: choice('LOG_LEVEL', env['LOG_LEVEL'], LOG_LEVELS, 'info'),
    logFormat: choice('LOG_FORMAT', env['LOG_FORMAT'], ['json', 'pretty'] as const, 'json'),
    reload: choice('RELOAD', env['RELOAD'], ['watch', 'off'] as const, 'watch'),
    rateLimit: parseRate('RATE_LIMIT', pick(env, 'RATE_LIMIT')?.value ?? '100/minute'),
    authFailLimit: parseRate('AUTH_FAIL_LIMIT', pick(env, 'AUTH_FAIL_LIMIT')?.value ?? '10/minute'),
    trustProxy: parseTrustProxy(env['TRUST_PROXY']),
    allowedIps: Object.freeze(parseCidrs('ALLOWED_IPS', env['ALLOWED_IPS'])),
    corsOrigins: Object.freeze(parseOrigins(env['CORS_ORIGINS'])),
    tls: tlsFiles(env, io),
    auditLogFile: pick(env, 'AUDIT_LOG_FILE')?.value ?? null,
    metrics: parseBool('METRICS', env['METRICS'], true),
    rateLimitRedisUrl: redisUrl(secret(env, io, ['RATE_LIMIT_REDIS_URL'])?.value ?? null),
    warnings: Object.freeze(warningsFor(env)),
  });
}
