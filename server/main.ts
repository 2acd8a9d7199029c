#!/usr/bin/env node
// The process: the only place that reads the environment, touches disk, listens and handles signals.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { KeyRing, KeyStore } from './access/key-ring';
import { KeysFileError, type KeyRecord } from './access/keys-file';
import { buildKeyRing, parseKeysFile } from './access/load-keys';
import { createApp } from './app';
import { applyServerSettings } from './http/server-settings';
import { checkText } from './cli/check';
import { buildDemo } from './cli/demo';
import { generateKey, keygenText } from './cli/keygen';
import { ConfigError, DEFAULT_KEYS_FILE, DEFAULT_PASSWORD_FILE, DEFAULT_VAULT, loadConfig, type Config, type ConfigIo, type Env } from './config';
import { Redactor, createLogger } from './logger';
import { closest } from './text';
import { VaultHolder } from './vault/holder';
import { VaultOpenError, openVault } from './vault/open';
import type { Snapshot } from './vault/snapshot';

/** A start-up failure: printed as one line, `kdbx-gateway: …`, with exit status 1 (2 for usage). */
class StartupError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const COMMANDS = ['serve', 'check', 'keygen', 'demo', 'help'];
const USAGE = `Usage: kdbx-gateway [command] [options]

Commands:
  serve                 start the HTTP gateway (the default)
  check                 open the vault with the configuration and print a summary
  keygen [--name NAME]  print a new random API key and its hashed keys-file line
  demo                  create a sample vault, its password and an API key
  help                  show this text

Configuration comes from the environment: see README.md.
`;

const io: ConfigIo = {
  readText: (file) => readFileSync(file, 'utf8'),
  exists: (file) => existsSync(file),
};

function packageVersion(): string {
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    if (existsSync(candidate)) {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'kdbx-gateway' && parsed.version) return parsed.version;
    }
  }
  return '0.0.0';
}

function readBytes(variable: string, file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const hint = variable === 'KDBX_PATH' && file === DEFAULT_VAULT ? ' (run `kdbx-gateway demo` to create a sample one)' : '';
      throw new StartupError(`${variable}: ${what} ${file} does not exist${hint}`);
    }
    throw new StartupError(`${variable}: cannot read ${what} ${file} (${code ?? 'error'})`);
  }
}

async function loadSnapshot(config: Config): Promise<Snapshot> {
  const bytes = readBytes('KDBX_PATH', config.vaultPath, 'vault file');
  const keyFile = config.keyFilePath === null ? null : readBytes('KDBX_KEYFILE', config.keyFilePath, 'key file');
  try {
    return await openVault(bytes, { password: config.vaultPassword, keyFile });
  } catch (error) {
    if (!(error instanceof VaultOpenError)) throw error;
    const unlock = error.code === 'InvalidKey' ? ` (check ${config.passwordSource ?? 'KDBX_PASSWORD'}${config.keyFilePath ? ' and KDBX_KEYFILE' : ''})` : '';
    throw new StartupError(`KDBX_PATH: cannot open ${config.vaultPath}: ${error.message}${unlock}`);
  }
}

/** Reads and parses the keys file; throws StartupError naming the file and the line or key entry. */
function readKeysFile(file: string): KeyRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartupError(`API_KEYS_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseKeysFile(file, text);
  } catch (error) {
    if (error instanceof KeysFileError) throw new StartupError(`API_KEYS_FILE: ${file}: ${error.message}`);
    throw error;
  }
}

function loadKeys(config: Config): KeyRing {
  const ring = buildKeyRing(config.keysFilePath === null ? [] : readKeysFile(config.keysFilePath), config.apiKey);
  if (!ring) {
    throw new StartupError(`no API keys: set API_KEYS_FILE or API_KEY (or create ${DEFAULT_KEYS_FILE}; \`kdbx-gateway keygen\` makes one)`);
  }
  return ring;
}

async function check(env: Env): Promise<void> {
  const config = loadConfig(env, io);
  const started = Date.now();
  const snapshot = await loadSnapshot(config);
  const openMs = Date.now() - started;
  const keys = loadKeys(config);
  process.stdout.write(checkText(config, snapshot, keys, openMs));
}

async function demo(env: Env): Promise<void> {
  const vaultPath = env['KDBX_PATH'] || DEFAULT_VAULT;
  const passwordPath = env['KDBX_PASSWORD_FILE'] || DEFAULT_PASSWORD_FILE;
  const keysPath = env['API_KEYS_FILE'] || DEFAULT_KEYS_FILE;
  for (const file of [vaultPath, passwordPath, keysPath]) {
    if (existsSync(file)) throw new StartupError(`demo: ${file} already exists; demo never overwrites files`);
  }
  const files = await buildDemo();
  for (const [file, content] of [
    [vaultPath, files.vault],
    [passwordPath, `${files.vaultPassword}\n`],
    [keysPath, files.keysFileText],
  ] as const) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
  }
  process.stdout.write(
    `Created ${vaultPath} (a sample vault), ${passwordPath} (its password) and ${keysPath} (an API key).\n` +
      `API key: ${files.apiKey}\nStart the gateway with: kdbx-gateway serve\n`,
  );
}

function serve(env: Env): Promise<void> {
  const config = loadConfig(env, io);
  const redactor = new Redactor();
  redactor.add(config.vaultPassword);
  redactor.add(config.apiKey);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, stream: process.stdout, redactor });
  for (const warning of config.warnings) logger.warn(warning);

  return (async () => {
    const keys = new KeyStore(loadKeys(config));
    const holder = new VaultHolder({ snapshot: await loadSnapshot(config), loader: () => loadSnapshot(config) });
    const snapshot = holder.current();
    logger.info('vault loaded', { path: config.vaultPath, entries: snapshot?.info.entries, format: snapshot?.info.format });
    const app = createApp({ logger, holder, keys, version: packageVersion() });
    const server = createServer(app);
    applyServerSettings(server);
    await listen(server, config);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info('listening', { url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}` });
    handleSignals(server, holder, logger);
  })();
}

function listen(server: Server, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs more privileges' : `failed (${error.code ?? error.message})`;
      reject(new StartupError(`PORT: listening on ${config.host}:${config.port} ${why}`));
    });
    server.listen(config.port, config.host, resolve);
  });
}

function handleSignals(server: Server, holder: VaultHolder, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    holder.setNotReady('shutting down');
    logger.info('shutting down', { signal });
    server.close(() => {
      logger.info('stopped');
      logger.on('finish', () => process.exit(0));
      logger.end();
    });
    server.closeIdleConnections();
    // In-flight requests get a grace period; then the process goes regardless.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function parseArgs(argv: readonly string[]): { command: string; name: string } {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return { command: 'help', name: '' };
  if (first === '--version' || first === '-v') return { command: 'version', name: '' };
  const command = first ?? 'serve';
  if (!COMMANDS.includes(command)) {
    const hint = closest(command, COMMANDS);
    throw new StartupError(`unknown command '${command}'${hint ? `; did you mean '${hint}'?` : ''} (see kdbx-gateway --help)`, 2);
  }
  let name = 'default';
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i] ?? '';
    if (command === 'keygen' && arg === '--name' && rest[i + 1] !== undefined) {
      name = rest[i + 1] ?? name;
      i += 1;
    } else if (command === 'keygen' && arg.startsWith('--name=')) {
      name = arg.slice('--name='.length);
    } else {
      throw new StartupError(`${command}: unexpected argument '${arg}' (see kdbx-gateway --help)`, 2);
    }
  }
  return { command, name };
}

async function main(argv: readonly string[], env: Env): Promise<void> {
  const { command, name } = parseArgs(argv);
  switch (command) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'keygen':
      try {
        process.stdout.write(keygenText(generateKey(name)));
      } catch (error) {
        throw new StartupError(`keygen: ${(error as Error).message}`, 2);
      }
      return;
    case 'check':
      return check(env);
    case 'demo':
      return demo(env);
    default:
      return serve(env);
  }
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  const known = error instanceof StartupError || error instanceof ConfigError;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kdbx-gateway: ${known ? message : `unexpected error: ${message}`}\n`);
  process.exitCode = error instanceof StartupError ? error.exitCode : 1;
});
