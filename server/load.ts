// Reads the vault, its password and key file, and the keys file from disk: at start-up and on reload.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { noLiveKeyProblem } from './access/expired-keys';
import type { KeyRing } from './access/key-ring';
import { KeysFileError, type ClearKey } from './access/keys-file';
import { buildKeyRing, parseKeysFile } from './access/load-keys';
import { DEFAULT_KEYS_FILE, DEFAULT_PASSWORD_FILE, DEFAULT_VAULT, stripNewline, type Config } from './config';
import { VaultOpenError, openVault } from './vault/open';
import type { Snapshot } from './vault/snapshot';

/** Why a file could not be loaded, in one line naming the variable and file; `code` is stable. */
export class LoadError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LoadError';
    this.code = code;
  }
}

function readBytes(variable: string, file: string, what: string, hint = ''): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') {
      throw new LoadError(code, `${variable}: ${what} ${file} does not exist${hint}`);
    }
    throw new LoadError(code, `${variable}: cannot read ${what} ${file} (${code})`);
  }
}

/** The password as it is now: a password file is read again, so a rotated secret takes effect. Empty is a password too. */
function currentPassword(config: Config): string | null {
  if (config.passwordFile === null) return config.vaultPassword;
  return stripNewline(readBytes(config.passwordSource ?? 'KDBX_PASSWORD_FILE', config.passwordFile, 'password file').toString('utf8'));
}

/** What to check when the vault refuses the key: the sources in use, and the one that may be missing. */
function unlockHint(config: Config, password: string | null): string {
  const source = config.passwordSource ?? 'KDBX_PASSWORD';
  if (password === null) return ' (check KDBX_KEYFILE; or the vault also needs a password (KDBX_PASSWORD))';
  // They are kept (a KeePass password may end in spaces), and no editor shows them.
  const spaces = config.passwordFile !== null && /[ \t]$/.test(password) ? "; the file's last line ends in spaces or tabs, which count as part of the password" : '';
  if (config.keyFilePath === null) return ` (check ${source}${password === '' ? ', which is empty' : spaces}; or the vault also needs a key file (KDBX_KEYFILE))`;
  if (password === '') {
    // An empty password is still part of the key, so a vault its key file alone opens refuses it. The
    // default password file was tried without already (openUnlocked).
    const alone = source.startsWith('KDBX_PASSWORD_FILE') ? 'unset KDBX_PASSWORD_FILE' : config.passwordSource === DEFAULT_PASSWORD_FILE ? null : `move ${config.passwordFile ?? source} away`;
    return ` (check ${source}, which is empty, and KDBX_KEYFILE${alone ? `; if the vault opens with its key file alone, ${alone}` : ''})`;
  }
  return spaces ? ` (check ${source}${spaces}; and check KDBX_KEYFILE)` : ` (check ${source} and KDBX_KEYFILE)`;
}

/**
 * The default password file, picked up unasked (in a clone, the demo's), beside a key file: the
 * vault may be one that its key file alone opens, as KeePassXC allows. Only then is the key file
 * tried alone; the first refusal is the one reported.
 */
async function openUnlocked(
  config: Config,
  open: typeof openVault,
  bytes: Uint8Array,
  password: string | null,
  keyFile: Uint8Array | null,
  note: (message: string) => void,
): Promise<Snapshot> {
  try {
    return await open(bytes, { password, keyFile });
  } catch (error) {
    const unasked = config.passwordSource === DEFAULT_PASSWORD_FILE && keyFile !== null && password !== null;
    if (!(unasked && error instanceof VaultOpenError && error.code === 'InvalidKey')) throw error;
    const snapshot = await open(bytes, { password: null, keyFile }).catch(() => {
      throw error;
    });
    note(`KDBX_KEYFILE alone opens ${config.vaultPath}; ${DEFAULT_PASSWORD_FILE}, picked up by default, is not part of its key (move it away, or name a password file with KDBX_PASSWORD_FILE)`);
    return snapshot;
  }
}

/**
 * `open` is openVault here, or its worker-thread twin for a serving gateway's reloads. At start-up a
 * missing default vault suggests `demo`; on a reload (a vault that was there) it would mislead.
 */
/** `note` is told what a user should know about an open that succeeded: the key file alone opened the vault. */
export async function loadSnapshot(
  config: Config,
  open: typeof openVault = openVault,
  options: { startUp?: boolean; note?: (message: string) => void } = {},
): Promise<Snapshot> {
  const demoHint = options.startUp && config.vaultPath === DEFAULT_VAULT ? ' (run `kdbx-gateway demo` to create a sample one)' : '';
  const bytes = readBytes('KDBX_PATH', config.vaultPath, 'vault file', demoHint);
  const keyFile = config.keyFilePath === null ? null : readBytes('KDBX_KEYFILE', config.keyFilePath, 'key file');
  const password = currentPassword(config);
  try {
    return await openUnlocked(config, open, bytes, password, keyFile, options.note ?? (() => undefined));
  } catch (error) {
    if (!(error instanceof VaultOpenError)) throw error;
    const unlock = error.code === 'InvalidKey' ? unlockHint(config, password) : '';
    throw new LoadError(error.code, `KDBX_PATH: cannot open ${config.vaultPath}: ${error.message}${unlock}`);
  }
}

/** API_KEY as it is now: its file is read again, so a rotated key takes effect and the old one stops. */
function currentApiKey(config: Config): string | null {
  if (config.apiKeyFile === null) return config.apiKey;
  const { variable, path } = config.apiKeyFile;
  const key = stripNewline(readBytes(variable, path, 'key file').toString('utf8'));
  if (key === '') throw new LoadError('EmptyKey', `${variable}: ${path} is empty`);
  return key;
}

/**
 * The demo's key left in the default keys file while another vault is served: `demo` wrote it in
 * clear beside the demo vault, and it reads the user's own vault too.
 */
export function demoKeyWarning(config: Config, ring: KeyRing): string | null {
  // By place, not spelling: ./start.sh hands the demo vault over as an absolute path.
  if (config.keysFilePath !== DEFAULT_KEYS_FILE || path.resolve(config.vaultPath) === path.resolve(DEFAULT_VAULT) || !ring.names.includes('demo')) return null;
  return `${DEFAULT_KEYS_FILE}, picked up by default, holds the demo's key 'demo', which can read ${config.vaultPath} too: remove its line, or name your keys file with API_KEYS_FILE`;
}

/**
 * `clear` is told every key in clear (API_KEY, and the file's unhashed keys): the log masks them, rotated ones too.
 * `startUp` refuses a ring whose every key has expired; a reload takes it, as it takes a key that expires while served.
 */
export function loadKeys(config: Config, clear: ClearKey = () => undefined, { startUp = false, now = new Date() }: { startUp?: boolean; now?: Date } = {}): KeyRing {
  const file = config.keysFilePath;
  let records: ReturnType<typeof parseKeysFile> = [];
  if (file !== null) {
    const text = readBytes('API_KEYS_FILE', file, 'keys file').toString('utf8');
    try {
      records = parseKeysFile(file, text, clear);
    } catch (error) {
      if (error instanceof KeysFileError) throw new LoadError('KeysFileInvalid', `API_KEYS_FILE: ${file}: ${error.message}`);
      throw error;
    }
  }
  let ring;
  try {
    const apiKey = currentApiKey(config);
    if (apiKey !== null) clear(apiKey, config.apiKeyFile ? `the key in ${config.apiKeySource ?? config.apiKeyFile.variable}` : (config.apiKeySource ?? 'API_KEY'));
    ring = buildKeyRing(records, apiKey);
  } catch (error) {
    if (error instanceof KeysFileError) throw new LoadError('KeysFileInvalid', error.message);
    throw error;
  }
  if (!ring && file !== null) {
    // Only a text file gets here: a YAML or JSON one with no key fails its schema first.
    throw new LoadError('NoKeys', `API_KEYS_FILE: ${file} holds no key, only comments or blank lines (\`kdbx-gateway keygen\` makes a key and its line)`);
  }
  if (!ring) {
    throw new LoadError('NoKeys', `no API keys: set API_KEYS_FILE or API_KEY (or create ${DEFAULT_KEYS_FILE}; \`kdbx-gateway keygen\` makes one)`);
  }
  const expired = startUp && file !== null ? noLiveKeyProblem(ring, now, file) : null;
  if (expired !== null) throw new LoadError('KeysExpired', `API_KEYS_FILE: ${expired}`);
  return ring;
}
