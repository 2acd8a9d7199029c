// Field references, TOTP, attachments and unsupported ciphers, on vaults made in code with kdbxweb.
import { createHash } from 'node:crypto';
import request from 'supertest';
import { VaultOpenError, openVault } from '../../server/vault/open';
import { totpAt, base32Decode } from '../../server/present/totp';
import { buildApp, type TestApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { makeVault, snapshotOf } from '../support/vault';

const KEY = 'fidelity-key-5c2e81';
const VAULT_PASSWORD = 'fidelity-vault-3f1a';
const BASE = 'aa000000000000000000000000000001';
const REF1 = 'aa000000000000000000000000000002';
const CYCLE_A = 'aa00000000000000000000000000000a';
const CYCLE_B = 'aa00000000000000000000000000000b';
const PLAIN = 'aa00000000000000000000000000000c';
const SEED = 'JBSWY3DPEHPK3PXP';
const BLOB = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7919) % 256));
mustNotLeak(KEY, VAULT_PASSWORD, 'base-secret-Qz19', SEED, 'cycle-secret', 'unprotected-pass-Hy62');
checkLogsForLeaks();

let t: TestApp;
const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY);
const NOW = new Date(Date.UTC(2026, 10, 25, 12, 0, 7));

beforeAll(async () => {
  const snapshot = await snapshotOf(VAULT_PASSWORD, [
    { group: 'Refs', title: 'base', uuid: BASE, username: 'base-user', password: 'base-secret-Qz19', url: 'https://base.example' },
    { group: 'Refs', title: 'ref-1', uuid: REF1, username: `{REF:U@I:${BASE}}`, password: `{REF:P@I:${BASE}}` },
    { group: 'Refs', title: 'ref-2', username: 'r2', password: `{REF:P@I:${REF1}}`, notes: `url is {REF:A@T:base} here` },
    { group: 'Refs', title: 'ref-3', username: `{REF:P@T:ref-2}`, password: 'own-pass' },
    { group: 'Refs', title: 'cycle-a', uuid: CYCLE_A, username: 'a', password: `{REF:P@I:${CYCLE_B}}` },
    { group: 'Refs', title: 'cycle-b', uuid: CYCLE_B, username: 'b', password: `{REF:P@I:${CYCLE_A}}`, notes: 'cycle-secret' },
    { group: 'Refs', title: 'plain-pw', uuid: PLAIN, username: 'p', password: 'unprotected-pass-Hy62', plainPassword: true },
    { group: 'Refs', title: 'copies-plain', username: `{REF:P@I:${PLAIN}}`, notes: `{REF:U@I:${PLAIN}}`, url: 'cache.internal' },
    { group: 'Refs', title: 'dangling', username: '{REF:U@T:no-such-title}', password: '{REF:P@I:00000000000000000000000000000000}' },
    { group: 'Totp', title: 'uri', username: 'u', fields: { otp: { protected: `otpauth://totp/Example:alice?secret=${SEED}&period=30&digits=6` } } },
    { group: 'Totp', title: 'none', username: 'u' },
    { group: 'Totp', title: 'unprotected-seed', username: 'u', fields: { 'TOTP Seed': SEED, 'TOTP Settings': '30;6' } },
    { group: 'Totp', title: 'broken', username: 'u', fields: { otp: 'otpauth://totp/x?secret=!!!' } },
    // kdbxweb writes line ends as they are; XML readers (KeePassXC's too) turn CR LF and CR into LF.
    { group: 'Text', title: 'tabs-and-lines', username: 'u\tv', notes: 'col1\tcol2\r\nline2\rline3', fields: { tsv: 'a\tb' } },
    { group: 'Files', title: 'with-files', username: 'f', attachments: { 'blob.bin': BLOB, 'ünïcode name.txt': Buffer.from('héllo\n') } },
  ]);
  t = buildApp({ snapshot, keysText: `fid:${KEY}\n`, now: () => NOW });
});

interface Body {
  username: string | null;
  password: string | null;
  notes: string | null;
  otp: boolean;
  attachments: { name: string; size: number }[];
}
const body = async (url: string): Promise<Body> => (await get(url)).body as Body;

test('tabs survive and line ends are LF, as KeePassXC shows them', async () => {
  const res = await get('/api/v1/credentials/tabs-and-lines');
  expect(res.body).toMatchObject({ username: 'u\tv', notes: 'col1\tcol2\nline2\nline3', fields: { tsv: 'a\tb' } });
  expect((await get('/api/v1/credentials/tabs-and-lines/fields/tsv')).text).toBe('a\tb');
});

describe('field references', () => {
  test('a chain of 3 resolves; the referenced password stays masked unless revealed', async () => {
    expect(await body('/api/v1/credentials/ref-2?show_password=true')).toMatchObject({ password: 'base-secret-Qz19', notes: 'url is https://base.example here' });
    expect((await body('/api/v1/credentials/ref-2')).password).toBe('*****');
    expect(await body('/api/v1/credentials/ref-1?show_password=true')).toMatchObject({ username: 'base-user', password: 'base-secret-Qz19' });
    expect((await get('/api/v1/credentials/ref-2/fields/password')).text).toBe('base-secret-Qz19');
  });

  test('a plain field that copies a password is masked like the password', async () => {
    expect((await body('/api/v1/credentials/ref-3')).username).toBe('*****');
    expect((await body('/api/v1/credentials/ref-3?show_password=true')).username).toBe('base-secret-Qz19');
  });

  test('a copied password is masked even where the vault stores it unprotected', async () => {
    expect(await body('/api/v1/credentials/copies-plain')).toMatchObject({ username: '*****', notes: 'p' });
    expect((await body('/api/v1/credentials/copies-plain?show_password=true')).username).toBe('unprotected-pass-Hy62');
    const url = (await get('/api/v1/db-url/copies-plain?dialect=redis').set('Accept', 'text/plain')).text;
    expect(url).toContain('@cache.internal:6379');
    expect(url).not.toContain('unprotected-pass-Hy62');
  });

  test('a cycle and a dangling reference stay literal', async () => {
    expect((await body('/api/v1/credentials/cycle-a?show_password=true')).password).toBe(`{REF:P@I:${CYCLE_B}}`);
    expect((await body('/api/v1/credentials/cycle-b?show_password=true')).password).toBe(`{REF:P@I:${CYCLE_A}}`);
    expect(await body('/api/v1/credentials/dangling?show_password=true')).toMatchObject({
      username: '{REF:U@T:no-such-title}',
      password: '{REF:P@I:00000000000000000000000000000000}',
    });
  });
});

describe('TOTP', () => {
  test('the otp flag, and the code of the period in force', async () => {
    expect((await body('/api/v1/credentials/Totp/uri')).otp).toBe(true);
    expect((await body('/api/v1/credentials/Totp/none')).otp).toBe(false);
    const res = await get('/api/v1/credentials/Totp/uri/totp');
    expect(res.status).toBe(200);
    const expected = totpAt({ secret: base32Decode(SEED) ?? Buffer.alloc(0), algorithm: 'SHA1', digits: 6, period: 30 }, NOW.getTime());
    expect(res.body).toEqual({ code: expected.code, period: 30, digits: 6, algorithm: 'SHA1', expires_in: 23 });
  });

  test('a seed stored unprotected is still masked', async () => {
    const res = await get('/api/v1/credentials/Totp/unprotected-seed');
    expect(res.body).toMatchObject({ otp: true, fields: { 'TOTP Seed': '*****', 'TOTP Settings': '30;6' } });
    expect((await get('/api/v1/credentials/Totp/unprotected-seed/totp')).status).toBe(200);
  });

  test('no TOTP is 404, unusable settings 422, and the code needs the reveal right', async () => {
    expect((await get('/api/v1/credentials/Totp/none/totp')).status).toBe(404);
    expect((await get('/api/v1/credentials/Totp/broken/totp')).status).toBe(422);
    const reader = buildApp({ snapshot: t.holder.current(), keysText: `keys:\n  - name: reader\n    key: reader-key-000111\n`, keysFile: 'keys.yaml' });
    expect((await request(reader.app).get('/api/v1/credentials/Totp/uri/totp').set('X-API-Key', 'reader-key-000111')).status).toBe(403);
  });
});

describe('attachments', () => {
  test('listed with sizes, served byte for byte as a download', async () => {
    expect((await body('/api/v1/credentials/with-files')).attachments).toEqual([
      { name: 'blob.bin', size: 1500 },
      { name: 'ünïcode name.txt', size: 7 },
    ]);
    const res = await get('/api/v1/credentials/with-files/attachments/blob.bin').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?blob\.bin"?$/);
    expect(createHash('sha256').update(res.body as Buffer).digest('hex')).toBe(createHash('sha256').update(BLOB).digest('hex'));
    const unicode = await get(`/api/v1/credentials/with-files/attachments/${encodeURIComponent('ünïcode name.txt')}`);
    expect(unicode.headers['content-disposition']).toContain("filename*=UTF-8''%C3%BCn%C3%AFcode%20name.txt");
    expect((await get('/api/v1/credentials/with-files/attachments/nope.bin').set('X-Request-Id', 'no-such-file')).status).toBe(404);
    // The audit says a value was revealed only when one was sent.
    expect(t.audit.find((a) => a.request_id === 'no-such-file')).toMatchObject({ status: 404, revealed: false });
  });
});

describe('unsupported ciphers', () => {
  test('a Twofish header is named before kdbxweb tries, in one line', async () => {
    const bytes = Buffer.from(await makeVault('pw-twofish-test', [{ group: '', title: 'x' }]));
    // Header field 2 (CipherID) follows the 12-byte signature and version in KDBX 4: [id][u32 len][data].
    let offset = 12;
    while (bytes.readUInt8(offset) !== 2) offset += 5 + bytes.readUInt32LE(offset + 1);
    Buffer.from('ad68f29f576f4bb9a36ad47af965346c', 'hex').copy(bytes, offset + 5);
    const error = await openVault(bytes, { password: 'pw-twofish-test', keyFile: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultOpenError);
    expect((error as VaultOpenError).code).toBe('Unsupported');
    expect((error as Error).message).toMatch(/Twofish/);
    expect((error as Error).message).not.toMatch(/\n/);
  });
});
