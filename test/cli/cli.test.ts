// The command line as an operator meets it: check, keygen, demo, serve, and one clear line per mistake.
import { X509Certificate, createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Agent, get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { FIXTURES_DIR, readManifest } from '../support/keepassxc';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { BIN, cleanEnv, requireBuild, run, scratch, serve } from '../support/cli';
import { makeVault } from '../support/vault';

const manifest = readManifest();
for (const vault of manifest.vaults) mustNotLeak(vault.password);
mustNotLeak('billing-key-secret-77');
checkLogsForLeaks();

/** A folder after `kdbx-gateway demo`, with its vault password and key. */
function demoFolder(): { dir: string; password: string; key: string } {
  const dir = scratch();
  const res = run(['demo'], { cwd: dir });
  expect(res.status).toBe(0);
  const password = readFileSync(path.join(dir, 'secrets/kdbx_password.txt'), 'utf8').trim();
  const key = readFileSync(path.join(dir, 'secrets/api_keys.txt'), 'utf8').split('\n').find((l) => l.startsWith('demo:'))?.slice(5) ?? '';
  mustNotLeak(password);
  return { dir, password, key };
}

/** One line on stderr, `kdbx-gateway: …`, no stack trace (API.md §13.34). */
function expectOneLine(res: { status: number | null; stderr: string; stdout: string }, pattern: RegExp, status = 1): void {
  expect({ status: res.status, stderr: res.stderr }).toEqual({ status, stderr: expect.stringMatching(/^kdbx-gateway: [^\n]+\n$/) });
  expect(res.stderr).toMatch(pattern);
  expect(res.stderr + res.stdout).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

/** The TLS certificate's expiry as /metrics gives it (Unix seconds), over the gateway's own HTTPS. */
function expiryGauge(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path: '/metrics', agent: false, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve(Number(/^kdbx_gateway_tls_certificate_expiry_timestamp_seconds (\S+)$/m.exec(text)?.[1])));
    }).on('error', reject);
  });
}

let demo: ReturnType<typeof demoFolder>;
beforeAll(() => {
  requireBuild();
  demo = demoFolder();
});

describe('demo', () => {
  test('creates the vault, its password and a key, mode 0600, and never overwrites', () => {
    for (const file of ['data/vault.kdbx', 'secrets/kdbx_password.txt', 'secrets/api_keys.txt']) {
      expect(statSync(path.join(demo.dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(demo.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = run(['demo'], { cwd: demo.dir });
    expectOneLine(again, /already exists/);
    expectOneLine(run(['demo'], { cwd: scratch(), env: { KDBX_PASSWORD: 'mine' } }), /demo: KDBX_PASSWORD is set/);
  });

  test('its closing line says how to start the gateway on the files it made, and that works', () => {
    expect(run(['demo'], { cwd: scratch() }).stdout).toMatch(/\nStart the gateway from this folder with kdbx-gateway serve \(or \.\/start\.sh, or npm start\)\n$/);
    const dir = scratch();
    const env = { KDBX_PATH: path.join(dir, 'v/demo.kdbx'), API_KEYS_FILE: path.join(dir, 'k/keys.txt') };
    const made = run(['demo'], { cwd: dir, env });
    expect(made.stdout).toMatch(/\nStart the gateway from this folder with KDBX_PATH, API_KEYS_FILE set as now: kdbx-gateway serve\n$/);
    // As it says: those variables, that folder (the password file is at its default place there).
    const checked = run(['check'], { cwd: dir, env });
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
    expect(checked.stdout).toMatch(/keys loaded:\s+1 \(demo\)/);
  });
});

describe('check', () => {
  test('prints entries, groups, KDF and its parameters and keys loaded, and no secret', () => {
    const res = run(['check'], { cwd: demo.dir });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/entries:\s+4\b/);
    expect(res.stdout).toMatch(/groups:\s+4\b/);
    expect(res.stdout).toMatch(/kdf:\s+Argon2id, memory 64 MiB, iterations 2, parallelism 2/);
    expect(res.stdout).toMatch(/keys loaded:\s+1 \(demo\)/);
    expect(res.stdout).toMatch(/format:\s+KDBX 4\.\d/);
    expect(res.stdout).not.toContain(demo.password);
    expect(res.stdout).not.toContain(demo.key);
  });

  test('says which code derived the key: the native builds where `npm run build` made them and the CPU runs them', () => {
    const built = (file: string): boolean => existsSync(path.join(__dirname, '..', '..', 'dist', 'native', file));
    const flags = process.platform === 'linux' && process.arch === 'x64' ? readFileSync('/proc/cpuinfo', 'latin1') : '';
    const has = (flag: string): boolean => new RegExp(`^flags\\s*:.*\\b${flag}\\b`, 'm').test(flags);
    // In CI (x86-64 with AVX2, AES-NI and a compiler) the native builds must be the ones in use.
    if (process.env['CI'] === 'true' && has('avx2') && has('aes')) expect([built('argon2-avx2.node'), built('aes-kdf.node')]).toEqual([true, true]);
    const argon = run(['check'], { cwd: demo.dir });
    expect(argon.stdout).toMatch(
      built('argon2-avx2.node') && has('avx2') ? /kdf:.*\(hashed by argon2's AVX2 build\)\n/ : /kdf:.*\(hashed by argon2's portable build\)\n/,
    );
    const basic = manifest.vaults.find((v) => v.file === 'kxc-basic.kdbx');
    const aes = run(['check'], { cwd: scratch(), env: { KDBX_PATH: path.join(FIXTURES_DIR, 'kxc-basic.kdbx'), KDBX_PASSWORD: basic?.password ?? '', API_KEY: 'check-only-key-8842' } });
    expect(aes.stdout).toMatch(
      built('aes-kdf.node') && has('aes') ? /kdf:\s+AES-KDF, \d+ rounds \(computed with AES-NI, both halves in one loop\)\n/ : /kdf:\s+AES-KDF, \d+ rounds \(computed by OpenSSL\)\n/,
    );
  });

  test('loads no logger, YAML, schema, glob or IP library: they would slow the open it times', () => {
    const dir = scratch();
    const loaded = path.join(dir, 'loaded.txt');
    const preload = path.join(dir, 'record-modules.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, Object.keys(require.cache).join('\\n')));\n`);
    const res = run(['check'], { cwd: demo.dir, env: { NODE_OPTIONS: `--require ${preload}` } });
    expect(res.status).toBe(0);
    const modules = readFileSync(loaded, 'utf8');
    expect(modules).toContain(`${path.sep}kdbxweb${path.sep}`);
    expect(modules).not.toMatch(/node_modules[\\/](winston|logform|zod|yaml|picomatch|ipaddr\.js)[\\/]/);
    expect(modules).not.toMatch(/batched-output/);
  });

  test.each(manifest.vaults.map((v) => [v.file, v] as const))('opens the fixture %s with its password and key file', (_file, vault) => {
    const env: Record<string, string> = { KDBX_PATH: path.join(FIXTURES_DIR, vault.file), API_KEY: 'check-only-key-8842' };
    if (vault.password !== null) env['KDBX_PASSWORD'] = vault.password;
    if (vault.keyfile !== null) env['KDBX_KEYFILE'] = path.join(FIXTURES_DIR, vault.keyfile);
    const res = run(['check'], { cwd: scratch(), env });
    if (vault.expect_error !== null) {
      // An unsupported vault (Twofish) stops with one line that names what is unsupported.
      expectOneLine(res, new RegExp(`KDBX_PATH: cannot open .*${vault.expect_error}`));
      return;
    }
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`KDBX ${vault.kdbx_version}, ${vault.cipher}, ${vault.compression === 'gzip' ? 'gzip' : 'uncompressed'}`);
    expect(res.stdout).toContain(vault.kdf);
    expect(res.stdout).toMatch(new RegExp(`entries:\\s+${vault.entries.filter((e) => !e.recycled).length}\\b`));
  });
});

describe('each misconfiguration stops with one line', () => {
  const base = (): Record<string, string> => ({
    KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'),
    KDBX_PASSWORD: demo.password,
    API_KEY: 'a-good-enough-key-5521',
  });

  test.each<[string, (dir: string) => Record<string, string>, RegExp]>([
    ['wrong vault password', () => ({ ...base(), KDBX_PASSWORD: 'not-the-password' }), /wrong vault password or key file/],
    ['missing vault', (dir) => ({ ...base(), KDBX_PATH: path.join(dir, 'nope.kdbx') }), /KDBX_PATH: .*nope\.kdbx does not exist$/m],
    ['no vault at the default path', () => {
      const { KDBX_PATH: _dropped, ...rest } = base();
      return rest;
    }, /KDBX_PATH: vault file data\/vault\.kdbx does not exist \(run `kdbx-gateway demo` to create a sample one\)/],
    ['an unreadable default password file', (dir) => {
      const { KDBX_PASSWORD: _dropped, ...rest } = base();
      mkdirSync(path.join(dir, 'secrets', 'kdbx_password.txt'), { recursive: true });
      return rest;
    }, /^kdbx-gateway: KDBX_PASSWORD: cannot read secrets\/kdbx_password\.txt \(EISDIR\)$/m],
    ['a file that is not KDBX', (dir) => {
      writeFileSync(path.join(dir, 'text.kdbx'), 'this is not a vault\n');
      return { ...base(), KDBX_PATH: path.join(dir, 'text.kdbx') };
    }, /not a KeePass KDBX file/],
    ['a vault cut short, as by a copy caught half-way (not taken for a wrong password)', (dir) => {
      const whole = readFileSync(path.join(demo.dir, 'data/vault.kdbx'));
      writeFileSync(path.join(dir, 'cut.kdbx'), whole.subarray(0, whole.length - 100));
      return { ...base(), KDBX_PATH: path.join(dir, 'cut.kdbx') };
    }, /KDBX_PATH: cannot open .*cut\.kdbx: the vault file is corrupt or truncated: its encrypted part is cut short \(a save or copy still under way/],
    ['a KeePass 1.x file', (dir) => {
      // KeePass 1.x's two signature words, then the rest of its 124-byte header.
      writeFileSync(path.join(dir, 'old.kdb'), Buffer.concat([Buffer.from('03d9a29a65fb4bb5', 'hex'), Buffer.alloc(116)]));
      return { ...base(), KDBX_PATH: path.join(dir, 'old.kdb') };
    }, /KDBX_PATH: cannot open .*old\.kdb: this is a KeePass 1\.x \(\.kdb\) file, which kdbx-gateway does not read; import it in KeePassXC/],
    ['a truncated vault', (dir) => {
      writeFileSync(path.join(dir, 'cut.kdbx'), readFileSync(path.join(demo.dir, 'data/vault.kdbx')).subarray(0, 300));
      return { ...base(), KDBX_PATH: path.join(dir, 'cut.kdbx') };
    }, /KDBX_PATH: cannot open/],
    ['an unreadable keys file', (dir) => {
      mkdirSync(path.join(dir, 'keys-dir'));
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys-dir') };
    }, /API_KEYS_FILE: cannot read .*keys-dir/],
    ['a missing keys file', (dir) => ({ ...base(), API_KEYS_FILE: path.join(dir, 'none.txt') }), /API_KEYS_FILE: .*does not exist/],
    ['a malformed keys file', (dir) => {
      writeFileSync(path.join(dir, 'keys.txt'), '# ok\ngood:key-one-1234\nsha256:abc-secretish-content\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.txt') };
    }, /API_KEYS_FILE: .*line 3/],
    ['a malformed policy keys file', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: billing-key-secret-77\n    alow: ["billing/**"]\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /API_KEYS_FILE: .*keys\.yaml: keys\[0\] \(billing\): unknown field 'alow'; did you mean 'allow'\?/],
    ['a keys file of comments only', (dir) => {
      writeFileSync(path.join(dir, 'keys.txt'), '# keys go here\n\n');
      const { API_KEY: _dropped, ...rest } = base();
      return { ...rest, API_KEYS_FILE: path.join(dir, 'keys.txt') };
    }, /^kdbx-gateway: API_KEYS_FILE: .*keys\.txt holds no key, only comments or blank lines/],
    ['a name with an empty key', (dir) => {
      writeFileSync(path.join(dir, 'keys.txt'), 'ci:\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.txt') };
    }, /keys\.txt: line 1: nothing after the ':'; a line is name:key$/m],
    ['a YAML keys file with a .txt ending', (dir) => {
      writeFileSync(path.join(dir, 'keys.txt'), '# per-key rights\nkeys:\n  - name: billing\n    key: billing-key-secret-77\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.txt') };
    }, /keys\.txt: line 2: this looks like a YAML keys file; give the file a \.yaml or \.yml ending$/m],
    ['a YAML keys file that is a bare list', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), '- name: billing\n  key: billing-key-secret-77\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /keys\.yaml: must be a mapping with a `keys:` list of key entries/],
    ['reveal: yes in a YAML keys file', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: billing-key-secret-77\n    reveal: yes\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /keys\[0\] \(billing\): field 'reveal': must be true or false$/m],
    ['a key of digits only, unquoted in YAML', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: 8675309867530986\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /keys\[0\] \(billing\): field 'key': must be a non-empty string \(in quotes if it is made only of digits\)$/m],
    ['a time without its zone in expires, on a server in another zone', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: billing-key-secret-77\n    expires: 2027-01-01T10:00:00\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml'), TZ: 'America/Los_Angeles' };
    }, /keys\[0\] \(billing\): field 'expires' must be a date such as 2027-01-01 or a time with its zone such as 2027-01-01T10:00:00Z \(received "2027-01-01T10:00:00"\)$/m],
    ['a date without its zeros in expires', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: billing-key-secret-77\n    expires: 2027-1-1\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /keys\[0\] \(billing\): field 'expires' must be a date such as 2027-01-01 or a time with its zone such as 2027-01-01T10:00:00Z \(received "2027-1-1"\)$/m],
    ['a keys file whose every key has expired', (dir) => {
      writeFileSync(path.join(dir, 'keys.yaml'), 'keys:\n  - name: billing\n    key: billing-key-secret-77\n    expires: 2020-01-01\n  - name: ci\n    key: sha256:' + 'ab'.repeat(32) + '\n    expires: 2020-06-01T12:00:00Z\n');
      const { API_KEY: _dropped, ...rest } = base();
      return { ...rest, API_KEYS_FILE: path.join(dir, 'keys.yaml') };
    }, /^kdbx-gateway: API_KEYS_FILE: every key in .*keys\.yaml has expired \('billing' at the end of 2020-01-01 UTC, 'ci' at 2020-06-01T12:00:00\.000Z\); move an expires date on, or add a key \(`kdbx-gateway keygen` makes one\)$/m],
    ['no API key at all', () => {
      const { API_KEY: _dropped, ...rest } = base();
      return rest;
    }, /no API keys/],
    ['no vault password', () => {
      const { KDBX_PASSWORD: _dropped, ...rest } = base();
      return rest;
    }, /no vault password/],
    ['a password and a password file', (dir) => {
      writeFileSync(path.join(dir, 'pw.txt'), 'x');
      return { ...base(), KDBX_PASSWORD_FILE: path.join(dir, 'pw.txt') };
    }, /KDBX_PASSWORD and KDBX_PASSWORD_FILE are both set/],
    ['an unreadable password file', (dir) => {
      const { KDBX_PASSWORD: _dropped, ...rest } = base();
      return { ...rest, KDBX_PASSWORD_FILE: path.join(dir, 'missing-pw.txt') };
    }, /KDBX_PASSWORD_FILE: cannot read .*missing-pw\.txt \(ENOENT\)/],
    ['a password file whose line ends in a space', (dir) => {
      const { KDBX_PASSWORD: _dropped, ...rest } = base();
      writeFileSync(path.join(dir, 'pw.txt'), `${demo.password} \n`);
      return { ...rest, KDBX_PASSWORD_FILE: path.join(dir, 'pw.txt') };
    }, /wrong vault password or key file \(check KDBX_PASSWORD_FILE \(.*pw\.txt\); the file's last line ends in spaces or tabs, which count as part of the password; or the vault also needs a key file \(KDBX_KEYFILE\)\)$/m],
    ['a password file whose line ends in a tab, beside a key file', (dir) => {
      const { KDBX_PASSWORD: _dropped, ...rest } = base();
      writeFileSync(path.join(dir, 'pw.txt'), `${demo.password}\t\r\n`);
      return { ...rest, KDBX_PASSWORD_FILE: path.join(dir, 'pw.txt'), KDBX_KEYFILE: path.join(FIXTURES_DIR, 'kxc-keyonly.keyx') };
    }, /\(check KDBX_PASSWORD_FILE \(.*pw\.txt\); the file's last line ends in spaces or tabs, which count as part of the password; and check KDBX_KEYFILE\)$/m],
    ['an empty password file beside the key file of a vault that key file alone opens', (dir) => {
      writeFileSync(path.join(dir, 'pwempty'), '\n');
      return { KDBX_PATH: path.join(FIXTURES_DIR, 'kxc-keyonly.kdbx'), KDBX_KEYFILE: path.join(FIXTURES_DIR, 'kxc-keyonly.keyx'), KDBX_PASSWORD_FILE: path.join(dir, 'pwempty'), API_KEY: 'a-good-enough-key-5521' };
    }, /\(check KDBX_PASSWORD_FILE \(.*pwempty\), which is empty, and KDBX_KEYFILE; if the vault opens with its key file alone, unset KDBX_PASSWORD_FILE\)$/m],
    ['a missing key file', (dir) => ({ ...base(), KDBX_KEYFILE: path.join(dir, 'none.keyx') }), /KDBX_KEYFILE: .*does not exist/],
    ['API_KEY that repeats a key of the keys file', (dir) => {
      writeFileSync(path.join(dir, 'keys.txt'), 'billing:a-good-enough-key-5521\n');
      return { ...base(), API_KEYS_FILE: path.join(dir, 'keys.txt') };
    }, /^kdbx-gateway: API_KEY: the same key as the keys file's key 'billing'; give each client its own/],
    ['a bad port', () => ({ ...base(), PORT: 'eighty' }), /PORT must be an integer from 0 to 65535 \(received "eighty"\)/],
    ['a port out of range', () => ({ ...base(), PORT: '70000' }), /PORT must be an integer/],
    ['a bad log level', () => ({ ...base(), LOG_LEVEL: 'verbos' }), /LOG_LEVEL must be one of .*did you mean verbose\?/],
    ['a bad log format', () => ({ ...base(), LOG_FORMAT: 'xml' }), /LOG_FORMAT must be one of json, pretty/],
  ])('%s', (_name, env, pattern) => {
    const dir = scratch();
    const settings = env(dir);
    for (const command of ['check', 'serve']) expectOneLine(run([command], { cwd: dir, env: settings }), pattern);
  });

  test('a missing vault is never created (mattstash makes a new empty one)', () => {
    const dir = scratch();
    const missing = path.join(dir, 'data', 'vault.kdbx');
    expectOneLine(run(['serve'], { cwd: dir, env: { ...base(), KDBX_PATH: missing } }), /does not exist/);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  test('a vault with an empty password opens from an empty password file', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'empty.kdbx'), await makeVault('', [{ group: 'G', title: 'open-door', username: 'u' }]));
    writeFileSync(path.join(dir, 'pw.txt'), '\n');
    const res = run(['check'], { cwd: dir, env: { KDBX_PATH: path.join(dir, 'empty.kdbx'), KDBX_PASSWORD_FILE: path.join(dir, 'pw.txt'), API_KEY: 'check-only-key-8842' } });
    expect(res.stdout).toMatch(/credentials:\s+1\b/);
    // The same file against a vault that has a password says the file is empty.
    const wrong = run(['check'], { cwd: dir, env: { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'), KDBX_PASSWORD_FILE: path.join(dir, 'pw.txt'), API_KEY: 'k' } });
    expectOneLine(wrong, /check KDBX_PASSWORD_FILE \(.*pw\.txt\), which is empty; or the vault also needs a key file \(KDBX_KEYFILE\)\)/);
  });

  test('a refused key names the sources in use and the one that may be missing', () => {
    const fixture = (file: string): string => path.join(FIXTURES_DIR, file);
    const both = manifest.vaults.find((v) => v.file === 'kxc-keyfile.kdbx');
    // The key-file-only vault with another vault's key file: no password is in use, so none is named.
    const wrongKey = run(['check'], { cwd: scratch(), env: { KDBX_PATH: fixture('kxc-keyonly.kdbx'), KDBX_KEYFILE: fixture('kxc-keyfile.keyx'), API_KEY: 'k' } });
    expectOneLine(wrongKey, /\(check KDBX_KEYFILE; or the vault also needs a password \(KDBX_PASSWORD\)\)$/m);
    // The password-and-key-file vault with its password alone.
    const noKey = run(['check'], { cwd: scratch(), env: { KDBX_PATH: fixture('kxc-keyfile.kdbx'), KDBX_PASSWORD: both?.password ?? '', API_KEY: 'k' } });
    expectOneLine(noKey, /\(check KDBX_PASSWORD; or the vault also needs a key file \(KDBX_KEYFILE\)\)$/m);
  });

  test('a vault its key file alone opens, in a folder whose default password file belongs to another vault', () => {
    const fixture = (file: string): string => path.join(FIXTURES_DIR, file);
    // demo.dir holds secrets/kdbx_password.txt (the demo's); it is picked up unasked, and the key file is then tried alone.
    const keysFile = path.join(scratch(), 'keys.txt');
    writeFileSync(keysFile, 'ops:key-file-only-vault-0001\n');
    const env = { KDBX_PATH: fixture('kxc-keyonly.kdbx'), KDBX_KEYFILE: fixture('kxc-keyonly.keyx'), API_KEYS_FILE: keysFile };
    const res = run(['check'], { cwd: demo.dir, env });
    expect({ status: res.status, stderr: res.stderr }).toEqual({
      status: 0,
      stderr: `kdbx-gateway: warning: KDBX_KEYFILE alone opens ${env.KDBX_PATH}; secrets/kdbx_password.txt, picked up by default, is not part of its key (move it away, or name a password file with KDBX_PASSWORD_FILE)\n`,
    });
    expect(res.stdout).toMatch(/^unlocked by:\s+key file \S+kxc-keyonly\.keyx$/m);
    // Named on purpose, the password file is used as given: the refusal stands.
    const asked = run(['check'], { cwd: demo.dir, env: { ...env, KDBX_PASSWORD_FILE: path.join(demo.dir, 'secrets/kdbx_password.txt') } });
    expectOneLine(asked, /wrong vault password or key file \(check KDBX_PASSWORD_FILE \(.*\) and KDBX_KEYFILE\)$/m);
  });

  test("the demo's key left in the default keys file is named when another vault is served", () => {
    const own = path.join(scratch(), 'own.kdbx');
    copyFileSync(path.join(demo.dir, 'data/vault.kdbx'), own);
    const res = run(['check'], { cwd: demo.dir, env: { KDBX_PATH: own } });
    expect(res.status).toBe(0);
    expect(res.stderr).toBe(
      `kdbx-gateway: warning: secrets/api_keys.txt, picked up by default, holds the demo's key 'demo', which can read ${own} too: remove its line, or name your keys file with API_KEYS_FILE\n`,
    );
    // Beside the demo vault itself, nothing to say, however its path is written.
    expect(run(['check'], { cwd: demo.dir }).stderr).toBe('');
    expect(run(['check'], { cwd: demo.dir, env: { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx') } }).stderr).toBe('');
    expect(run(['check'], { cwd: demo.dir, env: { KDBX_PATH: './data//vault.kdbx' } }).stderr).toBe('');
  });

  test('the wrong password never reaches the output', () => {
    const res = run(['serve'], { cwd: scratch(), env: { ...base(), KDBX_PASSWORD: 'wrong-but-secret-7731' } });
    expect(res.stderr + res.stdout).not.toContain('wrong-but-secret-7731');
  });

  test('usage errors exit 2', () => {
    expectOneLine(run(['chek'], { cwd: scratch() }), /unknown command 'chek'; did you mean 'check'\?/, 2);
    expectOneLine(run(['check', '--force'], { cwd: scratch() }), /unexpected argument '--force'/, 2);
    expectOneLine(run(['keygen', '--name', 'bad name'], { cwd: scratch() }), /--name must be/, 2);
  });

  test('a port in use is one line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      expectOneLine(run(['serve'], { cwd: scratch(), env: { ...base(), PORT: String(port) } }), /already in use/);
    } finally {
      blocker.close();
    }
  });
});

describe('keygen', () => {
  test('prints a 32-byte base64url key and the name:sha256 line of its hash', () => {
    const res = run(['keygen', '--name', 'billing-api'], { cwd: scratch() });
    expect(res.status).toBe(0);
    const key = /key:\s+(\S+)/.exec(res.stdout)?.[1] ?? '';
    const line = /line:\s+(\S+)/.exec(res.stdout)?.[1] ?? '';
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(line).toBe(`billing-api:sha256:${createHash('sha256').update(key).digest('hex')}`);
    const other = run(['keygen'], { cwd: scratch() });
    expect(/key:\s+(\S+)/.exec(other.stdout)?.[1]).not.toBe(key);
  });
});

describe('serve', () => {
  test('the port opens while the vault does: /health answers, /ready and the API are 503 until it is loaded', async () => {
    const dir = scratch();
    const password = 'slow-open-vault-pass-8d21';
    const key = 'slow-open-key-0123456789abcdef';
    mustNotLeak(password, key);
    // A key derivation of a second or two, as KeePassXC's calibrated ones are.
    writeFileSync(path.join(dir, 'slow.kdbx'), await makeVault(password, [{ group: 'app', title: 'db', password: 'p' }], null, { memoryMiB: 64, iterations: 40 }));
    writeFileSync(path.join(dir, 'keys.txt'), `ops:${key}\n`);
    const env = { KDBX_PATH: path.join(dir, 'slow.kdbx'), KDBX_PASSWORD: password, API_KEYS_FILE: path.join(dir, 'keys.txt'), PORT: '0', HOST: '127.0.0.1' };
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = once(child, 'exit');
    const answer = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
    };
    try {
      let address: string | undefined;
      for (let i = 0; i < 200 && address === undefined; i += 1) {
        address = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
        if (address === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(address).toBeDefined();
      const health = await answer(`${address}/health`);
      const ready = await answer(`${address}/ready`);
      const api = await answer(`${address}/api/v1/credentials`, { 'X-API-Key': key });
      // All three were answered before the vault was in.
      expect(output).not.toContain('"vault loaded"');
      expect(health).toMatchObject({ status: 200, body: { status: 'healthy' } });
      expect(ready).toEqual({ status: 503, type: expect.stringMatching(/^application\/json/), body: { status: 'not_ready', reason: 'the vault has not been loaded yet' } });
      expect(api).toMatchObject({ status: 503, type: expect.stringMatching(/^application\/problem\+json/), body: { detail: 'the vault is not loaded yet' } });
      for (let i = 0; i < 400 && !output.includes('"listening"'); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await answer(`${address}/ready`)).toMatchObject({ status: 200, body: { status: 'ready' } });
      expect((await answer(`${address}/api/v1/credentials`, { 'X-API-Key': key })).status).toBe(200);
      // An expected 503 is in the access log, not logged as a failure with a stack.
      expect(output).not.toMatch(/request failed|"stack"/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 30_000);

  test('a vault that fails to open after the port opened stops the process with one line', () => {
    const res = run(['serve'], { cwd: demo.dir, env: { KDBX_PASSWORD: 'not-the-demo-password-1', PORT: '0', HOST: '127.0.0.1' } });
    expectOneLine(res, /wrong vault password or key file/);
    expect(res.stdout).toContain('port open while the vault opens');
  });

  test('answers with the demo data, then stops on SIGTERM with status 0', async () => {
    const server = await serve({ cwd: demo.dir });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/credentials/db-prod`, { headers: { 'X-API-Key': demo.key } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { path: string }).path).toBe('Databases/Prod/db-prod');
      expect((await fetch(`http://127.0.0.1:${server.port}/ready`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output()).not.toContain(demo.key);
    // The start-up line names the vault's KDF and the code that derived its key (README, Performance).
    const loaded = server.output().split('\n').find((line) => line.includes('"message":"vault loaded"')) ?? '';
    expect(JSON.parse(loaded)).toMatchObject({ entries: 4, kdf: 'Argon2id', kdfBuild: expect.stringMatching(/^(avx2|portable)$/) });
  });

  test('reads the mattstash server\'s variables and .mattstash.txt, and answers /api/health', async () => {
    const dir = scratch();
    mkdirSync(path.join(dir, 'db'));
    copyFileSync(path.join(demo.dir, 'data/vault.kdbx'), path.join(dir, 'db/mattstash.kdbx'));
    writeFileSync(path.join(dir, 'db/.mattstash.txt'), `${demo.password}\n`);
    const server = await serve({ cwd: dir, env: { MATTSTASH_DB_PATH: path.join(dir, 'db/mattstash.kdbx'), MATTSTASH_API_KEY: 'mattstash-key-0042' } });
    try {
      expect(((await (await fetch(`http://127.0.0.1:${server.port}/api/health`)).json()) as { status: string }).status).toBe('healthy');
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/credentials/api-token`, { headers: { 'X-API-Key': 'mattstash-key-0042' } });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test('API_KEY_FILE and KDBX_PASSWORD_FILE read secrets from files, trailing newline ignored', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'pw'), `${demo.password}\n`);
    writeFileSync(path.join(dir, 'key'), 'file-key-value-9931\n');
    const server = await serve({
      cwd: dir,
      env: { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'), KDBX_PASSWORD_FILE: path.join(dir, 'pw'), API_KEY_FILE: path.join(dir, 'key') },
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/credentials`, { headers: { Authorization: 'Bearer file-key-value-9931' } });
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test('check prints the warnings serve would log, on stderr, and still succeeds', () => {
    const res = run(['check'], { cwd: demo.dir, env: { ALLOWED_IP: '10.0.0.0/8', VAULTS_FILE: '/etc/vaults.yaml', TLS_CERT: '/etc/tls/cert.pem' } });
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/^kdbx-gateway: warning: ALLOWED_IP is not a kdbx-gateway variable; did you mean ALLOWED_IPS\?$/m);
    expect(res.stderr).toMatch(/^kdbx-gateway: warning: TLS_CERT is not a kdbx-gateway variable; did you mean TLS_CERT_FILE\?$/m);
    expect(res.stderr).toMatch(/^kdbx-gateway: warning: VAULTS_FILE is set but this version/m);
    expect(res.stdout).toMatch(/^ok$/m);
  });

  test('a key short enough to guess is named (never shown) by check, by serve, and again when the keys file changes', async () => {
    const dir = scratch();
    const keysFile = path.join(dir, 'keys.txt');
    mustNotLeak('q7z-tiny');
    mustNotLeak('x9k-api');
    mustNotLeak('q7z-tin2');
    const good = 'a-random-key-of-forty-three-characters-0000';
    writeFileSync(keysFile, `ci:q7z-tiny\nlong-enough:${good}\nsha256:${createHash('sha256').update('x').digest('hex')}\n`);
    const env = { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'), KDBX_PASSWORD: demo.password, API_KEYS_FILE: keysFile, API_KEY: 'x9k-api' };
    const checked = run(['check'], { cwd: dir, env });
    expect(checked.status).toBe(0);
    const warnings = checked.stderr.split('\n').filter(Boolean);
    expect(warnings).toEqual([
      "kdbx-gateway: warning: the keys file's key 'ci' is shorter than 16 characters and can be guessed (`kdbx-gateway keygen` makes a random 43-character key)",
      'kdbx-gateway: warning: API_KEY is shorter than 16 characters and can be guessed (`kdbx-gateway keygen` makes a random 43-character key)',
    ]);
    // The warning names the variable the key came from.
    const { API_KEY: _apiKey, ...withoutApiKey } = env;
    const mattstash = run(['check'], { cwd: dir, env: { ...withoutApiKey, MATTSTASH_API_KEY: 'x9k-api' } });
    expect(mattstash.stderr).toMatch(/^kdbx-gateway: warning: MATTSTASH_API_KEY is shorter than 16 characters/m);
    writeFileSync(path.join(dir, 'api-key'), 'x9k-api\n');
    const fromFile = run(['check'], { cwd: dir, env: { ...withoutApiKey, API_KEY_FILE: path.join(dir, 'api-key') } });
    expect(fromFile.stderr).toMatch(/^kdbx-gateway: warning: the key in API_KEY_FILE \(.*api-key\) is shorter than 16 characters/m);
    const server = await serve({ cwd: dir, env });
    try {
      expect(server.output()).toMatch(/"the keys file's key 'ci' is shorter than 16 characters/);
      expect(server.output()).toMatch(/"API_KEY is shorter than 16 characters/);
      writeFileSync(keysFile, `ci2:q7z-tin2\nlong-enough:${good}\n`);
      for (let i = 0; i < 100 && !server.output().includes('keys reloaded'); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.output()).toMatch(/"the keys file's key 'ci2' is shorter than 16 characters/);
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toMatch(/long-enough' is/);
  });

  test('an expired key is named (never shown) by check, by serve, and when the keys file changes, where it only warns', async () => {
    const dir = scratch();
    const keysFile = path.join(dir, 'keys.yaml');
    const live = 'a-random-key-of-forty-three-characters-0003';
    mustNotLeak('retired-key-value-0004', live);
    const file = (entries: string): string => `keys:\n${entries}`;
    const retired = '  - name: retired\n    key: retired-key-value-0004\n    expires: 2020-01-01\n';
    // A time with its zone means that instant on a server in any zone.
    writeFileSync(keysFile, file(`${retired}  - name: ops\n    key: ${live}\n    expires: 2099-01-01T10:00:00-08:00\n`));
    const env = { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'), KDBX_PASSWORD: demo.password, API_KEYS_FILE: keysFile, TZ: 'America/Los_Angeles' };
    const warning = "the keys file's key 'retired' expired at the end of 2020-01-01 UTC; requests with it get 401 until its expires date is moved on";
    const checked = run(['check'], { cwd: dir, env });
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: `kdbx-gateway: warning: ${warning}\n` });
    expect(checked.stdout).toMatch(/^keys loaded:\s+2 \(retired, ops\)/m);
    const server = await serve({ cwd: dir, env });
    const status = async (key: string): Promise<number> =>
      (await fetch(`http://127.0.0.1:${server.port}/api/v1/credentials`, { headers: { 'X-API-Key': key } })).status;
    try {
      expect(server.output()).toContain(`"message":"${warning}"`);
      expect(await status(live)).toBe(200);
      // On a reload, a file whose keys have all expired is taken, as any change to it is: it warns, and does not stop the gateway.
      writeFileSync(keysFile, file('  - name: gone\n    key: retired-key-value-0004\n    expires: 2020-01-01\n'));
      for (let i = 0; i < 100 && !server.output().includes('keys reloaded'); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.output()).toContain('"message":"the keys file\'s key \'gone\' expired at the end of 2020-01-01 UTC; requests with it get 401');
      expect(server.output()).not.toContain('keys file reload failed');
      // Taken: the key it no longer lists stops at once.
      expect(await status(live)).toBe(401);
    } finally {
      await server.stop();
    }
    // API_KEY never expires: beside it, a file of expired keys starts, with its warning.
    const withApiKey = run(['check'], { cwd: dir, env: { ...env, API_KEY: 'a-good-enough-key-5521' } });
    expect({ status: withApiKey.status, stderr: withApiKey.stderr }).toEqual({ status: 0, stderr: "kdbx-gateway: warning: the keys file's key 'gone' expired at the end of 2020-01-01 UTC; requests with it get 401 until its expires date is moved on\n" });
  });

  test('a keys file that stops loading shows on /metrics until it loads again', async () => {
    const dir = scratch();
    const keysFile = path.join(dir, 'keys.txt');
    const key = 'a-random-key-of-forty-three-characters-0001';
    writeFileSync(keysFile, `ops:${key}\n`);
    const server = await serve({ cwd: dir, env: { KDBX_PATH: path.join(demo.dir, 'data/vault.kdbx'), KDBX_PASSWORD: demo.password, API_KEYS_FILE: keysFile, METRICS: 'true' } });
    const failing = async (): Promise<string | undefined> =>
      /^kdbx_gateway_keys_reload_failing (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text())?.[1];
    // One more line than before the write: a file written just before the start may be read again once then.
    const times = (text: string): number => server.output().split(text).length - 1;
    const waitForOneMore = async (text: string, before: number): Promise<void> => {
      for (let i = 0; i < 100 && times(text) <= before; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await failing()).toBe('0');
      const failedBefore = times('keys file reload failed');
      writeFileSync(keysFile, `ops:${key}\nbroken line with spaces\n`);
      await waitForOneMore('keys file reload failed', failedBefore);
      expect(await failing()).toBe('1');
      const reloadedBefore = times('keys reloaded');
      writeFileSync(keysFile, `ops:${key}\nci:${key.replace('0001', '0002')}\n`);
      await waitForOneMore('keys reloaded', reloadedBefore);
      expect(await failing()).toBe('0');
    } finally {
      await server.stop();
    }
  });

  test('settings this version does not support yet are named in a warning, not ignored silently', async () => {
    const server = await serve({ cwd: demo.dir, env: { VAULTS_FILE: '/etc/vaults.yaml', KDBX_PASWORD: 'typo' } });
    await server.stop();
    expect(server.output()).toMatch(/VAULTS_FILE is set but this version of kdbx-gateway does not support it yet/);
    expect(server.output()).toMatch(/KDBX_PASWORD is not a kdbx-gateway variable; did you mean KDBX_PASSWORD\?/);
  });
});

describe('operations', () => {
  test('TLS_CERT_FILE and TLS_KEY_FILE serve HTTPS directly', async () => {
    const dir = scratch();
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const server = await serve({ cwd: demo.dir, env: { TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem') } });
    try {
      expect(server.output()).toMatch(/"url":"https:\/\/127\.0\.0\.1:\d+"/);
      const status = await new Promise<number>((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port: server.port, path: '/ready', ca: readFileSync(path.join(dir, 'cert.pem')), servername: '127.0.0.1', checkServerIdentity: () => undefined }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await server.stop();
    }
    expectOneLine(run(['serve'], { cwd: demo.dir, env: { TLS_CERT_FILE: path.join(dir, 'cert.pem') } }), /TLS_KEY_FILE is not set/);
    // Each mistake names its variable and file, not OpenSSL's error code alone.
    const other = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other',
      '-keyout', path.join(dir, 'other-key.pem'), '-out', path.join(dir, 'other-cert.pem')], { encoding: 'utf8' });
    expect(other.status).toBe(0);
    writeFileSync(path.join(dir, 'not-pem.txt'), 'hello\n');
    const tls = (cert: string, key: string) => run(['serve'], { cwd: demo.dir, env: { TLS_CERT_FILE: path.join(dir, cert), TLS_KEY_FILE: path.join(dir, key) } });
    expectOneLine(tls('not-pem.txt', 'key.pem'), /TLS_CERT_FILE: .*not-pem\.txt is not a PEM certificate \(no start line\)/);
    expectOneLine(tls('cert.pem', 'not-pem.txt'), /TLS_KEY_FILE: .*not-pem\.txt is not a PEM private key/);
    expectOneLine(tls('cert.pem', 'other-key.pem'), /TLS_KEY_FILE: the key in .*other-key\.pem does not belong to the certificate in .*cert\.pem/);
    // check, the command for trying a configuration, refuses them alike.
    const checked = run(['check'], { cwd: demo.dir, env: { TLS_CERT_FILE: path.join(dir, 'not-pem.txt'), TLS_KEY_FILE: path.join(dir, 'key.pem') } });
    expectOneLine(checked, /TLS_CERT_FILE: .*not-pem\.txt is not a PEM certificate/);
  });

  test('a renewed certificate reaches new connections without a restart; a pair that does not load keeps the old one', async () => {
    const dir = scratch();
    const makePair = (name: string): string => {
      const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
        '-keyout', path.join(dir, `${name}-key.pem`), '-out', path.join(dir, `${name}-cert.pem`)], { encoding: 'utf8' });
      expect(made.status).toBe(0);
      return new X509Certificate(readFileSync(path.join(dir, `${name}-cert.pem`))).fingerprint256;
    };
    const first = makePair('first');
    const second = makePair('second');
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    copyFileSync(path.join(dir, 'first-cert.pem'), certFile);
    copyFileSync(path.join(dir, 'first-key.pem'), keyFile);
    const server = await serve({ cwd: demo.dir, env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
    const served = (): Promise<string> =>
      new Promise((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port: server.port, path: '/health', agent: false, rejectUnauthorized: false }, (res) => {
          resolve((res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256);
          res.resume();
        }).on('error', reject);
      });
    const count = (text: string): number => server.output().split(text).length - 1;
    /** Replaces a file in one step, as renewal tools do (no half-written file to catch), and waits for the log line it causes. */
    const replace = async (file: string, content: Buffer | string, outcome: string): Promise<void> => {
      const before = count(outcome);
      writeFileSync(`${file}.new`, content);
      renameSync(`${file}.new`, file);
      for (let i = 0; i < 100 && count(outcome) === before; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(count(outcome)).toBe(before + 1);
    };
    const failed = 'tls certificate reload failed; the previous certificate stays in use';
    try {
      expect(await served()).toBe(first);
      await replace(certFile, 'renewal in progress\n', failed);
      expect(server.output()).toMatch(/TLS_CERT_FILE: .*cert\.pem is not a PEM certificate/);
      expect(await served()).toBe(first);
      // The certificate first, as a renewal that writes the files one by one might: the mismatch is refused too.
      await replace(certFile, readFileSync(path.join(dir, 'second-cert.pem')), failed);
      expect(server.output()).toMatch(/TLS_KEY_FILE: the key in .*key\.pem does not belong to the certificate/);
      expect(await served()).toBe(first);
      await replace(keyFile, readFileSync(path.join(dir, 'second-key.pem')), 'tls certificate reloaded');
      expect(await served()).toBe(second);
      expect(await expiryGauge(server.port)).toBe(Date.parse(new X509Certificate(readFileSync(path.join(dir, 'second-cert.pem'))).validTo) / 1000);
    } finally {
      await server.stop();
    }
  });

  test('check and /metrics say when the certificate expires; an expired one is named in a warning', async () => {
    const dir = scratch();
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const validTo = new Date(Date.parse(new X509Certificate(readFileSync(path.join(dir, 'cert.pem'))).validTo));
    const tls = { TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem') };
    const checked = run(['check'], { cwd: demo.dir, env: tls });
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
    expect(checked.stdout).toContain(`tls:          CN=127.0.0.1, valid until ${validTo.toISOString()}\n`);
    const server = await serve({ cwd: demo.dir, env: tls });
    try {
      expect(await expiryGauge(server.port)).toBe(validTo.getTime() / 1000);
    } finally {
      await server.stop();
    }
    // A certificate that ended on 2 January 2020, signed with openssl ca (req -x509 takes no past dates).
    const old = path.join(dir, 'old');
    mkdirSync(old);
    writeFileSync(path.join(old, 'index.txt'), '');
    writeFileSync(path.join(old, 'serial'), '01\n');
    writeFileSync(path.join(old, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
    for (const args of [
      ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'key.pem', '-out', 'req.csr'],
      ['ca', '-batch', '-notext', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'key.pem', '-in', 'req.csr', '-out', 'cert.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z'],
    ]) expect(spawnSync('openssl', args, { cwd: old, encoding: 'utf8' }).status).toBe(0);
    const expired = run(['check'], { cwd: demo.dir, env: { TLS_CERT_FILE: path.join(old, 'cert.pem'), TLS_KEY_FILE: path.join(old, 'key.pem') } });
    expect(expired.status).toBe(0);
    expect(expired.stderr).toMatch(/^kdbx-gateway: warning: TLS_CERT_FILE: the certificate in .*old\/cert\.pem expired on 2020-01-02T00:00:00\.000Z; clients will refuse it$/m);
  });

  test('HOST that is not an address of this machine is named, not taken for PORT', () => {
    expectOneLine(run(['serve'], { cwd: demo.dir, env: { HOST: '192.0.2.1', PORT: '0' } }), /^kdbx-gateway: HOST: 192\.0\.2\.1 is not an address of this machine/);
  });

  test('SIGTERM while the vault still opens stops the process before it serves', async () => {
    // A KDF of a second or so: the signal comes after Node has started and long before the vault is open.
    const dir = scratch();
    writeFileSync(path.join(dir, 'slow.kdbx'), await makeVault('slow-vault-pass-31', [{ group: '', title: 'x' }], null, { memoryMiB: 64, iterations: 40 }));
    const env = { KDBX_PATH: path.join(dir, 'slow.kdbx'), KDBX_PASSWORD: 'slow-vault-pass-31', API_KEY: 'slow-key-8841', PORT: '0' };
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: 'kdbx-gateway: SIGTERM during start-up; stopped\n' });
  });

  test('AUDIT_LOG_FILE receives the audit lines, appended; a bad path stops start-up', async () => {
    const dir = scratch();
    const file = path.join(dir, 'audit.log');
    writeFileSync(file, '{"earlier":"line"}\n');
    const server = await serve({ cwd: demo.dir, env: { AUDIT_LOG_FILE: file } });
    try {
      await fetch(`http://127.0.0.1:${server.port}/api/v1/credentials/db-prod`, { headers: { 'X-API-Key': demo.key, 'X-Request-Id': 'audit-file-1' } });
    } finally {
      await server.stop();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('{"earlier":"line"}');
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ audit: true, request_id: 'audit-file-1', key: 'demo', credential: 'Databases/Prod/db-prod', status: 200 });
    expect(server.output()).not.toMatch(/"audit":true/);
    expectOneLine(run(['serve'], { cwd: demo.dir, env: { AUDIT_LOG_FILE: path.join(dir, 'no/such/dir/audit.log') } }), /AUDIT_LOG_FILE: cannot open .* for appending \(ENOENT\)/);
  });

  test('SIGTERM drains keep-alive clients: answers close their connections, /ready is 503, nobody is reset', async () => {
    const server = await serve({ cwd: demo.dir });
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    const ask = (url: string) =>
      new Promise<{ status: number; connection: string }>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port: server.port, path: url, agent, headers: { 'X-API-Key': demo.key } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: String(res.headers.connection) }));
        }).on('error', reject);
      });
    const errors: string[] = [];
    let signalled = false;
    // Three clients asking back to back until an answer tells them the connection closes.
    const client = async (): Promise<number> => {
      let after = 0;
      for (;;) {
        const res = await ask('/api/v1/credentials/db-prod').catch((error: Error) => {
          errors.push(error.message);
          return null;
        });
        if (!res) return after;
        if (signalled) after += 1;
        if (res.connection === 'close') return after;
      }
    };
    const clients = [client(), client(), client()];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = server.stop();
    signalled = true;
    // The signal is handled on the gateway's next turn: ask /ready once it says it is stopping.
    while (!server.output().includes('"message":"shutting down"')) await new Promise((resolve) => setTimeout(resolve, 10));
    const ready = await new Promise<number>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: server.port, path: '/ready', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    const answeredAfter = await Promise.all(clients);
    agent.destroy();
    expect(errors).toEqual([]);
    expect(ready).toBe(503);
    expect(answeredAfter.every((n) => n >= 1)).toBe(true);
    expect(await exited).toBe(0);
    const line = server.output().split('\n').find((l) => l.includes('"message":"shutting down"')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ signal: 'SIGTERM', drainMs: 2000 });
  });

  test('a connection that never sent a byte does not hold up the stop', async () => {
    const server = await serve({ cwd: demo.dir });
    const silent = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    silent.on('error', () => undefined);
    const closed = new Promise((resolve) => silent.once('close', resolve));
    expect(await server.stop()).toBe(0);
    await closed;
    // Closed with the idle ones after the drain, not left to the 10 s grace for requests in flight.
    expect(server.output()).toMatch(/"message":"stopped"/);
    expect(server.output()).not.toMatch(/still in flight/);
  });

  test('SIGTERM lets a request in flight finish, then exits 0', async () => {
    const server = await serve({ cwd: demo.dir });
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    // The request is under way (headers half sent) when the signal arrives.
    socket.write(`GET /api/v1/credentials/db-prod HTTP/1.1\r\nHost: x\r\nX-API-Key: ${demo.key}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exited = server.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write('Connection: close\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('"path":"Databases/Prod/db-prod"');
    expect(await exited).toBe(0);
    expect(server.output()).toMatch(/shutting down.*SIGTERM/);
  });

  test.each([
    ['RATE_LIMIT', 'lots'],
    ['AUTH_FAIL_LIMIT', '10/fortnight'],
    ['TRUST_PROXY', 'true'],
    ['ALLOWED_IPS', '10.0.0.0/40'],
    ['CORS_ORIGINS', '*'],
    ['METRICS', 'sometimes'],
    ['RELOAD', 'always'],
  ])('%s=%s stops start-up with one line naming it', (variable, value) => {
    expectOneLine(run(['serve'], { cwd: demo.dir, env: { [variable]: value } }), new RegExp(`^kdbx-gateway: ${variable}`));
  });
});

describe('the kdbx-gateway command (package.json bin)', () => {
  const root = path.join(__dirname, '..', '..');
  const launcher = path.join(root, (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['kdbx-gateway'] ?? '');
  const systemPath = process.env['PATH'] ?? '/usr/bin:/bin';

  /** The command as npm installs it: a symlink in node_modules/.bin, found on PATH. */
  function installed(): string {
    const bin = path.join(scratch(), 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(launcher, path.join(bin, 'kdbx-gateway'));
    return bin;
  }

  /** What `node` is started with: a stand-in first on PATH prints the variable and its arguments. */
  function nodeGets(args: string[]): { bundle: string; argv: string[] } {
    const dir = scratch();
    writeFileSync(path.join(dir, 'node'), '#!/bin/sh\nprintf "%s\\n" "bundle=${NODE_EXTRA_CA_CERTS-unset}"\nfor a in "$@"; do printf "%s\\n" "arg=$a"; done\n', { mode: 0o755 });
    const res = spawnSync(launcher, args, { env: cleanEnv({ NODE_EXTRA_CA_CERTS: '/etc/extra-ca.pem', PATH: `${dir}:${systemPath}` }), encoding: 'utf8' });
    expect(res.status).toBe(0);
    const lines = res.stdout.split('\n').filter(Boolean);
    return { bundle: lines[0]?.slice('bundle='.length) ?? '', argv: lines.slice(1).map((l) => l.slice('arg='.length)) };
  }

  test('every command but serve starts Node without NODE_EXTRA_CA_CERTS; serve keeps it and gets the image\'s flag', () => {
    for (const command of ['check', 'keygen', 'demo', 'help', '--version', '']) {
      expect(nodeGets([command])).toEqual({ bundle: 'unset', argv: [launcher, command] });
    }
    // serve may connect to Redis over TLS (rediss://), perhaps with a private CA.
    expect(nodeGets(['serve'])).toEqual({ bundle: '/etc/extra-ca.pem', argv: ['--max-semi-space-size=4', launcher, 'serve'] });
    expect(nodeGets([])).toEqual({ bundle: '/etc/extra-ca.pem', argv: ['--max-semi-space-size=4', launcher] });
    expect(nodeGets(['keygen', '--name', 'two words'])).toEqual({ bundle: 'unset', argv: [launcher, 'keygen', '--name', 'two words'] });
  });

  test('runs through npm\'s symlink on PATH: check opens the vault', () => {
    const bin = installed();
    const res = spawnSync('kdbx-gateway', ['check'], { cwd: demo.dir, env: cleanEnv({ PATH: `${bin}:${systemPath}` }), encoding: 'utf8' });
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
    expect(res.stdout).toMatch(/entries:\s+4\b/);
  });

  test('serve runs as Node itself, with the flag the image uses', async () => {
    const child = spawn(launcher, ['serve'], { cwd: demo.dir, env: cleanEnv({ PORT: '0', HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = once(child, 'exit');
    try {
      for (let i = 0; i < 200 && !output.includes('"listening"'); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(output).toContain('"listening"');
      // exec replaced sh with node: the child's own command line is Node's.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(argv.slice(1)).toEqual(['--max-semi-space-size=4', launcher, 'serve']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  test('passes every argument through to the gateway', () => {
    const res = spawnSync(launcher, ['keygen', '--name', 'from-launcher'], { cwd: scratch(), env: cleanEnv(), encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/line:\s+from-launcher:sha256:[0-9a-f]{64}/);
    expect(res.stderr).toBe('');
  });

  test('without a build it says so in one line', () => {
    const copy = path.join(scratch(), 'bin');
    mkdirSync(copy);
    copyFileSync(launcher, path.join(copy, 'kdbx-gateway'));
    const res = spawnSync(path.join(copy, 'kdbx-gateway'), ['check'], { env: cleanEnv(), encoding: 'utf8' });
    expectOneLine(res, /^kdbx-gateway: .*dist\/server\/main\.js is missing; build it with `npm run build`$/m);
  });
});
