#!/usr/bin/env node
// The process: the only place that reads the environment, touches disk, listens and handles signals.
import { X509Certificate } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import path from 'node:path';
// Every other module loads when its command runs: `check` and `serve` start the vault's KDF first
// and load the rest (kdbxweb; for serve winston, Express...) while it runs on other threads.
import type { KeyRing } from './access/key-ring';
import type { KeysSource } from './access/reload-keys';
import type { Metrics } from './metrics';
import type { SharedLimitStores } from './rate-limit-store';
import type { Config, ConfigIo, Env } from './config';
import type { FileWatcher } from './file-watcher';
import type { Logger } from 'winston';
import type { VaultHolder } from './vault/holder';
import type { Snapshot } from './vault/snapshot';
import type { KdfBuild } from './cli/check';
import { aesKdfEngine } from './vault/aes-kdf-rounds';
import { argon2 } from './vault/argon2-hash';
import { discardEarlyKdf, earlyKdfReady, startEarlyKdf } from './vault/kdf-early';

/** A start-up failure: printed as one line, `kdbx-gateway: …`, with exit status 1 (2 for usage). */
class StartupError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

// The poll backs up the directory watch; a change is served within about this long at worst.
const POLL_MS = 1000;

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

/**
 * Starts the vault's KDF on what loadConfig is about to choose (the same variables, read the same
 * way), before the modules that parse the configuration and open the vault have loaded. Only a
 * guess: the KDF hooks use its result for the very same key, salt and parameters, so a wrong guess
 * (or an unreadable file, left for loadConfig and loadSnapshot to report) costs only the work.
 */
function startKdfEarly(env: Env): void {
  const set = (name: string): string | null => env[name] || null;
  const readText = (file: string): string | null => (existsSync(file) ? readFileSync(file, 'utf8').replace(/[\r\n]+$/, '') || null : null);
  try {
    const vaultPath = set('KDBX_PATH') ?? set('MATTSTASH_DB_PATH') ?? 'data/vault.kdbx';
    const passwordFile = set('KDBX_PASSWORD_FILE');
    const password = set('KDBX_PASSWORD') ?? (passwordFile !== null ? readText(passwordFile) : readText('secrets/kdbx_password.txt'));
    const keyFile = set('KDBX_KEYFILE');
    startEarlyKdf(readFileSync(vaultPath), password, keyFile === null ? null : readFileSync(keyFile));
  } catch {
    // Reported, precisely, when the configuration is loaded.
  }
}

/** The vault file's size, or 0 when it cannot be read (loadSnapshot then says why). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Which code derived the key at start-up: the native builds or the slower portable ones (README, Performance). */
function kdfBuild(kdf: string): KdfBuild | null {
  if (kdf === 'AES-KDF') return aesKdfEngine().lastBuild();
  return kdf.startsWith('Argon2') ? argon2().lastBuild() : null;
}

/**
 * The first open at start-up, taking the early KDF's result, which is dropped afterwards if unused.
 * A vault large for the heap opens in a worker, so that running out of memory is one clear line.
 */
async function firstSnapshot(config: Config, load: typeof import('./load'), note: (message: string) => void): Promise<Awaited<ReturnType<typeof load.loadSnapshot>>> {
  try {
    await earlyKdfReady();
    const { opensInWorker } = await import('./vault/heap-fit');
    if (!opensInWorker(fileSize(config.vaultPath))) return await load.loadSnapshot(config, undefined, { startUp: true, note });
    // Rare (a vault large for the heap): the worker derives the key again, and the early one is
    // dropped. Decided only now because loading node:v8 first would delay the early KDF's start.
    const { openVaultInWorker } = await import('./vault/open-in-worker');
    return await load.loadSnapshot(config, openVaultInWorker, { startUp: true, note });
  } finally {
    discardEarlyKdf();
  }
}

async function check(env: Env): Promise<void> {
  const started = Date.now();
  startKdfEarly(env);
  const [{ loadConfig }, load, { checkText }] = await Promise.all([import('./config'), import('./load'), import('./cli/check')]);
  const config = loadConfig(env, io);
  // `check` is how a configuration is tried out: what serve would warn about, it says too, and
  // the TLS files serve would refuse, it refuses.
  for (const warning of config.warnings) process.stderr.write(`kdbx-gateway: warning: ${warning}\n`);
  const tlsCert = config.tls ? certificateOf(readTls(config.tls, (await import('node:tls')).createSecureContext).cert) : null;
  const expired = config.tls && tlsCert ? expiredWarning(config.tls.certFile, tlsCert.validTo) : null;
  if (expired !== null) process.stderr.write(`kdbx-gateway: warning: ${expired}\n`);
  let keyFileAlone = false;
  const snapshot = await firstSnapshot(config, load, (message) => {
    keyFileAlone = true;
    process.stderr.write(`kdbx-gateway: warning: ${message}\n`);
  });
  // From the first read of the vault file, module loading included: what a user waits for.
  const openMs = Date.now() - started;
  const [{ shortKeyWarning }, { expiredKeyWarnings }] = await Promise.all([import('./access/keys-file'), import('./access/expired-keys')]);
  const short: string[] = [];
  const now = new Date();
  const keys = load.loadKeys(
    config,
    (key, holder) => {
      const warning = shortKeyWarning(key, holder);
      if (warning !== null) short.push(warning);
    },
    { startUp: true, now },
  );
  // Only once the keys loaded: a file that fails is one line, its error.
  for (const warning of [...short, ...expiredKeyWarnings(keys, now), load.demoKeyWarning(config, keys)]) {
    if (warning !== null) process.stderr.write(`kdbx-gateway: warning: ${warning}\n`);
  }
  process.stdout.write(checkText(config, snapshot, keys, { openMs, kdfBuild: kdfBuild(snapshot.info.kdf.name), tls: tlsCert, keyFileAlone }));
}

async function demo(env: Env): Promise<void> {
  const [{ DEFAULT_KEYS_FILE, DEFAULT_PASSWORD_FILE, DEFAULT_VAULT }, { buildDemo }] = await Promise.all([import('./config'), import('./cli/demo')]);
  // The same files serve will read, so `demo` then `serve` agree whatever is set.
  for (const variable of ['KDBX_PASSWORD', 'KDBX_KEYFILE', 'MATTSTASH_API_KEYS_FILE']) {
    if (env[variable]) throw new StartupError(`demo: ${variable} is set; demo writes its own password and key files, so unset it first`);
  }
  const vaultPath = env['KDBX_PATH'] || env['MATTSTASH_DB_PATH'] || DEFAULT_VAULT;
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
  // serve finds these files again through the same variables, and the defaults (relative) from the same folder.
  const set = ['KDBX_PATH', 'MATTSTASH_DB_PATH', 'KDBX_PASSWORD_FILE', 'API_KEYS_FILE'].filter((variable) => env[variable]);
  const start = set.length
    ? `Start the gateway from this folder with ${set.join(', ')} set as now: kdbx-gateway serve`
    : 'Start the gateway from this folder with kdbx-gateway serve (or ./start.sh, or npm start)';
  process.stdout.write(
    `Created ${vaultPath} (a sample vault), ${passwordPath} (its password) and ${keysPath} (an API key).\n` +
      `API key: ${files.apiKey}\n${start}\n`,
  );
}

/**
 * A stop asked for while the vault still opens: as PID 1 (the image's CMD) a signal with no handler
 * is ignored, so `docker stop` would wait out its grace period. There is nothing to drain yet. The
 * exit itself waits for a key derivation under way on the thread pool: native code cannot be stopped.
 */
function stopDuringStartUp(signal: NodeJS.Signals): void {
  process.stderr.write(`kdbx-gateway: ${signal} during start-up; stopped\n`);
  process.exit(0);
}

async function serve(env: Env): Promise<void> {
  // Before the first read of any file: the watchers reload what changed after it.
  const readAt = Date.now();
  process.once('SIGTERM', stopDuringStartUp);
  process.once('SIGINT', stopDuringStartUp);
  startKdfEarly(env);
  const [{ loadConfig }, load, { shortKeyWarning }, { expiredKeyWarnings }, { Redactor, createLogger }, { batchedOutput }, { KeyStore }, { VaultHolder }, { openVaultInWorker }, http, https] = await Promise.all([
    import('./config'),
    import('./load'),
    import('./access/keys-file'),
    import('./access/expired-keys'),
    import('./logger'),
    import('./batched-output'),
    import('./access/key-ring'),
    import('./vault/holder'),
    import('./vault/open-in-worker'),
    import('node:http'),
    import('node:https'),
  ]);
  const config = loadConfig(env, io);
  const redactor = new Redactor();
  redactor.add(config.vaultPassword);
  redactor.add(config.apiKey);
  if (config.rateLimitRedisUrl) redactor.add(decodeURIComponent(new URL(config.rateLimitRedisUrl).password));
  const stdout = batchedOutput(process.stdout, 1);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, stream: stdout, redactor });
  for (const warning of config.warnings) logger.warn(warning);

  return (async () => {
    // Every key held in clear is masked in the log, even from a file that then fails to load; one
    // short enough to guess, or expired, is named there once its file has loaded.
    const readKeys = (startUp = false): KeyRing => {
      const short: string[] = [];
      const now = new Date();
      const ring = load.loadKeys(
        config,
        (key, holder) => {
          redactor.add(key);
          const warning = shortKeyWarning(key, holder);
          if (warning !== null) short.push(warning);
        },
        { startUp, now },
      );
      for (const warning of [...short, ...expiredKeyWarnings(ring, now)]) logger.warn(warning);
      return ring;
    };
    const keys = new KeyStore(readKeys(true));
    // The keys file and API_KEY_FILE make one key ring: the watcher and the admin reload read both again.
    const keyFiles = [config.keysFilePath, config.apiKeyFile?.path ?? null].filter((f): f is string => f !== null);
    const keysSource: KeysSource | undefined = keyFiles.length > 0 ? { files: keyFiles, read: () => readKeys() } : undefined;
    const demoKey = load.demoKeyWarning(config, keys.current());
    if (demoKey !== null) logger.warn(demoKey);
    // The HTTP side loads while the KDF, already started, runs on other threads.
    const serving = Promise.all([
      import('./app'),
      import('./audit'),
      import('./metrics'),
      import('./rate-limit-store'),
      import('./http/server-settings'),
      import('./file-watcher'),
      import('./access/reload-keys'),
    ]);
    // Awaited, and so reported, below; until then a failure here must not be an unhandled rejection.
    serving.catch(() => undefined);
    // Reloads open the vault in a worker thread: kdbxweb's seconds of parsing never stall requests.
    const note = (message: string): void => void logger.warn(message);
    const holder = new VaultHolder({ snapshot: null, loader: () => load.loadSnapshot(config, openVaultInWorker, { note }) });
    // The port opens while the vault does (API.md §3): /health answers from the start, /ready is 503
    // until the vault is in, and a startup probe sees a live process through a slow key derivation.
    const opening = firstSnapshot(config, load, note);
    // The vault's own failure is the one to report; this is awaited, and so reported, below.
    opening.catch(() => undefined);
    const [{ createApp }, { streamAuditSink }, { Metrics }, { redisLimitStores }, { applyServerSettings, SERVER_OPTIONS, tcpSocketOf }, { watchFiles }, { reloadKeys }] = await serving;
    const metrics = config.metrics ? new Metrics(holder) : undefined;
    const shared = config.rateLimitRedisUrl ? redisLimitStores(config.rateLimitRedisUrl, logger) : null;
    const app = createApp({
      logger,
      holder,
      keys,
      ...(keysSource ? { keysSource } : {}),
      version: packageVersion(),
      access: { ...config, limitStore: shared ? (prefix: string) => shared.storeFor(prefix) : undefined },
      audit: streamAuditSink(config.auditLogFile === null ? stdout : openAppend(batchedOutput, 'AUDIT_LOG_FILE', config.auditLogFile), (text) => redactor.scrub(text)),
      ...(metrics ? { metrics } : {}),
    });
    const { createSecureContext } = await import('node:tls');
    const pair = config.tls ? readTls(config.tls, createSecureContext) : null;
    if (config.tls && pair) {
      const { validTo } = certificateOf(pair.cert);
      metrics?.tlsCertificate(validTo);
      const expired = expiredWarning(config.tls.certFile, validTo);
      if (expired !== null) logger.warn(expired);
    }
    const server = pair ? https.createServer({ ...SERVER_OPTIONS, ...pair }, app) : http.createServer(SERVER_OPTIONS, app);
    applyServerSettings(server);
    await listen(server, config);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
    // Not `url`, and not yet `listening`: scripts and probes that wait for that line mean "serving".
    logger.info('port open while the vault opens; /ready answers 503 until it is loaded', { address: url });
    let snapshot: Snapshot;
    try {
      snapshot = await opening;
    } catch (error) {
      // The gateway never serves a vault it cannot open: nothing may hold the process open.
      server.closeAllConnections();
      server.close();
      await shared?.close();
      throw error;
    }
    holder.swap(snapshot);
    const build = kdfBuild(snapshot.info.kdf.name);
    logger.info('vault loaded', {
      path: config.vaultPath,
      entries: snapshot.info.entries,
      format: snapshot.info.format,
      ...(build === null ? {} : { kdf: snapshot.info.kdf.name, kdfBuild: build }),
    });
    logger.info('listening', { url });
    const reloadKeysNow = (): void => {
      reloadKeys(keys, keysSource, { logger, metrics });
    };
    const watchers = config.reload === 'watch' ? watchForChanges(watchFiles, load, config, holder, logger, keysSource, reloadKeysNow, readAt) : [];
    if (config.reload === 'watch' && config.tls && server instanceof https.Server) {
      watchers.push(watchTls(watchFiles, server, config.tls, logger, metrics, createSecureContext, readAt));
    }
    handleSignals(server, holder, logger, watchers, shared, tcpSocketOf);
  })();
}

/** Opens a file for appending now, so a wrong path stops start-up instead of failing later. */
function openAppend(batchedOutput: typeof import('./batched-output').batchedOutput, variable: string, file: string): Writable {
  try {
    const fd = openSync(file, 'a', 0o600);
    return batchedOutput(createWriteStream(file, { fd }), fd);
  } catch (error) {
    throw new StartupError(`${variable}: cannot open ${file} for appending (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** OpenSSL's reason without its code: `error:0480006C:PEM routines::no start line` → `no start line`. */
const opensslReason = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('::').at(-1) ?? message;
};

/** What `check`, the log and the expiry gauge say of a certificate: its subject and when it expires. */
function certificateOf(pem: Buffer): { subject: string; validTo: Date } {
  const cert = new X509Certificate(pem);
  return { subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(Date.parse(cert.validTo)) };
}

// Served anyway (the files may be renewed any moment, and are then picked up), but every client will refuse it.
const expiredWarning = (file: string, validTo: Date): string | null =>
  validTo.getTime() <= Date.now() ? `TLS_CERT_FILE: the certificate in ${file} expired on ${validTo.toISOString()}; clients will refuse it` : null;

/** The certificate and key, each checked alone and then together, so a mistake names its file. */
function readTls(tls: NonNullable<Config['tls']>, createSecureContext: typeof import('node:tls').createSecureContext): { cert: Buffer; key: Buffer } {
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new StartupError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read('TLS_CERT_FILE', tls.certFile);
  const key = read('TLS_KEY_FILE', tls.keyFile);
  const check = (options: { cert?: Buffer; key?: Buffer }, problem: string): void => {
    try {
      createSecureContext(options);
    } catch (error) {
      throw new StartupError(`${problem} (${opensslReason(error)})`);
    }
  };
  check({ cert }, `TLS_CERT_FILE: ${tls.certFile} is not a PEM certificate`);
  check({ key }, `TLS_KEY_FILE: ${tls.keyFile} is not a PEM private key without a passphrase`);
  check({ cert, key }, `TLS_KEY_FILE: the key in ${tls.keyFile} does not belong to the certificate in ${tls.certFile}`);
  return { cert, key };
}

/**
 * Serves a renewed certificate (cert-manager, certbot) to new connections without a restart. Both
 * files are read and checked together; a pair that does not load, such as a certificate whose key
 * has not been written yet, is logged and the previous pair stays until the next change.
 */
function watchTls(
  watchFiles: typeof import('./file-watcher').watchFiles,
  server: import('node:https').Server,
  tls: NonNullable<Config['tls']>,
  logger: Logger,
  metrics: Metrics | undefined,
  createSecureContext: typeof import('node:tls').createSecureContext,
  readAt: number,
): FileWatcher {
  return watchFiles([tls.certFile, tls.keyFile], {
    pollMs: POLL_MS,
    readAt,
    onChange: () => {
      try {
        const pair = readTls(tls, createSecureContext);
        // Node rebuilds the context from these options alone: a TLS option ever given to createServer belongs here too.
        server.setSecureContext(pair);
        const { validTo } = certificateOf(pair.cert);
        metrics?.tlsCertificate(validTo);
        logger.info('tls certificate reloaded', { cert: tls.certFile, validTo: validTo.toISOString() });
        const expired = expiredWarning(tls.certFile, validTo);
        if (expired !== null) logger.warn(expired);
      } catch (error) {
        logger.warn('tls certificate reload failed; the previous certificate stays in use', { reason: (error as Error).message });
      }
      return Promise.resolve();
    },
  });
}

/** Reloads the vault (when it, its password file or key file change) and the keys file, in place. */
function watchForChanges(
  watchFiles: typeof import('./file-watcher').watchFiles,
  { LoadError }: typeof import('./load'),
  config: Config, holder: VaultHolder, logger: Logger, keysSource: KeysSource | undefined, reloadKeysNow: () => void, readAt: number): FileWatcher[] {
  const vaultFiles = [config.vaultPath, config.passwordFile, config.keyFilePath].filter((f): f is string => f !== null);
  const watchers = [
    watchFiles(vaultFiles, {
      pollMs: POLL_MS,
      readAt,
      onChange: async () => {
        try {
          const snapshot = await holder.reload();
          logger.info('vault reloaded', { path: config.vaultPath, entries: snapshot.info.entries });
        } catch (error) {
          const code = error instanceof LoadError ? error.code : 'Unknown';
          logger.warn('vault reload failed; the last good vault stays served', { code, reason: (error as Error).message });
        }
      },
    }),
  ];
  // A change to either file loads both again (reloadKeys logs and counts the outcome).
  if (keysSource !== undefined) {
    watchers.push(
      watchFiles([...keysSource.files], {
        pollMs: POLL_MS,
        readAt,
        onChange: () => {
          reloadKeysNow();
          return Promise.resolve();
        },
      }),
    );
  }
  return watchers;
}

function listen(server: Server, config: Config): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      // The address is HOST's doing: not one of this machine's, or a name that does not resolve.
      if (error.code === 'EADDRNOTAVAIL') reject(new StartupError(`HOST: ${config.host} is not an address of this machine (listening on ${where} failed)`));
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new StartupError(`HOST: ${config.host} does not resolve to an address (${error.code})`));
      else {
        const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs more privileges' : `failed (${error.code ?? error.message})`;
        reject(new StartupError(`PORT: listening on ${where} ${why}`));
      }
    });
    server.listen(config.port, config.host, resolve);
  });
}

// How long a stopping gateway with clients still connected goes on answering, each answer closing
// its connection: a keep-alive client learns to go elsewhere from an answer, not from a reset.
const DRAIN_MS = 2_000;
// Requests in flight when the listener closes get this long to finish.
const GRACE_MS = 10_000;

function handleSignals(
  server: Server,
  holder: VaultHolder,
  logger: Logger,
  watchers: readonly FileWatcher[],
  shared: SharedLimitStores | null,
  tcpOf: (socket: Socket) => Socket,
): void {
  let stopping = false;
  let closing = false;
  // Every connection (by its TCP socket: over HTTPS a request's socket wraps it), how many of its
  // requests are unanswered, and how much it had sent when the last was answered. Node's
  // closeIdleConnections passes over a connection that never sent a request, and server.close()
  // stops the timeout checks that would have ended it.
  interface Tracked {
    unanswered: number;
    readAtRest: number;
  }
  const open = new Map<Socket, Tracked>();
  server.on('connection', (socket: Socket) => {
    open.set(socket, { unanswered: 0, readAtRest: socket.bytesRead });
    socket.once('close', () => open.delete(socket));
  });
  // Quiet: nothing unanswered and nothing sent since (a request still arriving is not quiet).
  const quiet = (socket: Socket, tracked: Tracked): boolean => tracked.unanswered === 0 && socket.bytesRead === tracked.readAtRest;
  // Ahead of the app, whose fast lane writes its headers at once.
  server.prependListener('request', function trackAndCloseWhenStopping(req, res) {
    const socket = tcpOf(req.socket);
    const tracked = open.get(socket);
    if (tracked) tracked.unanswered += 1;
    res.once('close', () => {
      if (!tracked) return;
      tracked.unanswered -= 1;
      tracked.readAtRest = socket.bytesRead;
      // Stopping: a connection whose last answer is out goes now, as an idle one does at close.
      if (closing && quiet(socket, tracked)) socket.destroy();
    });
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    holder.setNotReady('shutting down');
    for (const watcher of watchers) watcher.close();
    let ended = false;
    const end = (message: string, level: 'info' | 'warn'): void => {
      if (ended) return;
      ended = true;
      void shared?.close();
      logger.log(level, message);
      logger.on('finish', () => process.exit(0));
      logger.end();
    };
    const close = (): void => {
      closing = true;
      server.close(() => end('stopped', 'info'));
      // Idle and silent connections go now; those with a request under way once it is answered.
      for (const [socket, tracked] of open) if (quiet(socket, tracked)) socket.destroy();
      // In-flight requests get a grace period; then the process goes regardless, and says so.
      setTimeout(() => end(`stopped with requests still in flight after ${GRACE_MS / 1000} s`, 'warn'), GRACE_MS).unref();
    };
    // Nobody connected (a laptop's Ctrl-C): nothing to drain.
    logger.info('shutting down', { signal, connections: open.size, drainMs: open.size > 0 ? DRAIN_MS : 0 });
    if (open.size > 0) setTimeout(close, DRAIN_MS);
    else close();
  };
  process.off('SIGTERM', stopDuringStartUp);
  process.off('SIGINT', stopDuringStartUp);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function parseArgs(argv: readonly string[]): Promise<{ command: string; name: string }> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return { command: 'help', name: '' };
  if (first === '--version' || first === '-v') return { command: 'version', name: '' };
  const command = first ?? 'serve';
  if (!COMMANDS.includes(command)) {
    // Loaded only here: the common path starts the vault's KDF before anything it can do without.
    const { closest } = await import('./text');
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
  const { command, name } = await parseArgs(argv);
  switch (command) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'keygen': {
      const { generateKey, keygenText } = await import('./cli/keygen');
      try {
        process.stdout.write(keygenText(generateKey(name)));
      } catch (error) {
        throw new StartupError(`keygen: ${(error as Error).message}`, 2);
      }
      return;
    }
    case 'check':
      return check(env);
    case 'demo':
      return demo(env);
    default:
      return serve(env);
  }
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  // By name: ConfigError and LoadError's modules are loaded only by the commands that can throw them.
  const known = error instanceof StartupError || (error instanceof Error && (error.name === 'ConfigError' || error.name === 'LoadError'));
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kdbx-gateway: ${known ? message : `unexpected error: ${message}`}\n`);
  process.exitCode = error instanceof StartupError ? error.exitCode : 1;
});
