// Every entry of the KeePassXC- and pykeepass-made fixtures answers what keepassxc-cli shows for it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createHash } from 'node:crypto';
import { VaultOpenError, isAlwaysSecretField, openVault } from '../../server/vault/open';
import type { CredentialJson } from '../../server/present/credential';
import { base32Decode, totpAt } from '../../server/present/totp';
import { parseMattstashTitle } from '../../server/vault/versions';
import { buildApp, type TestApp } from '../support/app';
import {
  FIXTURES_DIR,
  keepassxcAttachmentExport,
  keepassxcAvailable,
  keepassxcShow,
  keepassxcTotp,
  readManifest,
  type ManifestEntry,
  type ManifestVault,
} from '../support/keepassxc';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';

const KEY = 'fixture-api-key-0d8e57a1c2';
const manifest = readManifest();
mustNotLeak(KEY);
for (const vault of manifest.vaults) {
  mustNotLeak(vault.password);
  for (const entry of vault.entries) {
    mustNotLeak(entry.password, ...entry.history_passwords);
    for (const field of Object.values(entry.fields)) if (field.protected) mustNotLeak(field.value);
  }
}
checkLogsForLeaks();

// CI installs keepassxc-cli, so there the live comparison must run; elsewhere it runs when present.
const live = process.env['CI'] === 'true' || keepassxcAvailable();

type CredentialBody = CredentialJson;

const orNull = (value: string): string | null => (value === '' ? null : value);
const sorted = (values: readonly string[]): string[] => [...values].sort();
const title = (entry: ManifestEntry): string => parseMattstashTitle(entry.title)?.base ?? entry.title;

async function appFor(vault: ManifestVault): Promise<TestApp> {
  const bytes = readFileSync(path.join(FIXTURES_DIR, vault.file));
  const keyFile = vault.keyfile === null ? null : readFileSync(path.join(FIXTURES_DIR, vault.keyfile));
  const snapshot = await openVault(bytes, { password: vault.password, keyFile });
  return buildApp({ snapshot, keysText: `fixtures:${KEY}\n` });
}

/**
 * KeePassXC shows a reference that finds nothing as an empty string; the contract keeps it literal
 * (API.md §10), so a broken reference stays visible. Everything else must equal what KeePassXC shows.
 */
function expected(entry: ManifestEntry, field: 'username' | 'password' | 'url' | 'notes'): string {
  const raw = entry.raw?.[field] ?? '';
  return entry[field] === '' && /\{REF:/i.test(raw) ? raw : entry[field];
}

const unsupported = manifest.vaults.filter((v) => v.expect_error !== null);
test.each(unsupported.map((v) => [v.file, v] as const))('%s fails to open with one line naming its cipher', async (_file, vault) => {
  const error = await openVault(readFileSync(path.join(FIXTURES_DIR, vault.file)), { password: vault.password, keyFile: null }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(VaultOpenError);
  expect((error as Error).message).toContain(vault.expect_error ?? '');
  expect((error as Error).message).not.toMatch(/\n/);
});

const readable = manifest.vaults.filter((v) => v.expect_error === null);
describe.each(readable.map((v) => [v.file, v] as const))('%s', (_file, vault) => {
  let t: TestApp;
  const get = (url: string) => request(t.app).get(url).set('X-API-Key', KEY);
  const liveEntries = vault.entries.filter((e) => !e.recycled);
  // Entries the API serves one to one: not mattstash versions, not a plain entry they hide.
  const versioned = new Set(liveEntries.filter((e) => parseMattstashTitle(e.title)).map((e) => `${e.path.slice(0, -e.title.length)}${title(e)}`));
  const plain = liveEntries.filter((e) => !parseMattstashTitle(e.title) && !versioned.has(e.path));
  const titleCount = (name: string): number => new Set(liveEntries.filter((e) => title(e) === name).map((e) => `${e.path.slice(0, -e.title.length)}${title(e)}`)).size;

  beforeAll(async () => {
    t = await appFor(vault);
  });

  test.each(plain.map((e) => [e.path, e] as const))('%s by path and by title matches the vault', async (entryPath, entry) => {
    const byPath = await get(`/api/v1/credentials/${entryPath.split('/').map(encodeURIComponent).join('/')}?show_password=true`);
    expect(byPath.status).toBe(200);
    const body = byPath.body as CredentialBody;
    expect(body).toMatchObject({
      name: entry.title,
      path: entry.path,
      uuid: entry.uuid,
      username: orNull(expected(entry, 'username')),
      password: orNull(expected(entry, 'password')),
      url: orNull(expected(entry, 'url')),
      notes: orNull(expected(entry, 'notes')),
    });
    expect(sorted(body.tags)).toEqual(sorted(entry.tags));
    expect(body.fields).toEqual(Object.fromEntries(Object.entries(entry.fields).map(([k, f]) => [k, f.value])));

    const masked = (await get(`/api/v1/credentials/${encodeURIComponent(entryPath)}`)).body as CredentialBody;
    expect(masked.password).toBe(expected(entry, 'password') === '' ? null : '*****');
    for (const [name, field] of Object.entries(entry.fields)) {
      expect(masked.fields[name]).toBe((field.protected || isAlwaysSecretField(name)) && field.value !== '' ? '*****' : field.value);
    }

    const byTitle = await get(`/api/v1/credentials/${encodeURIComponent(entry.title)}`);
    if (titleCount(entry.title) === 1) {
      expect(byTitle.status).toBe(200);
      expect((byTitle.body as CredentialBody).path).toBe(entry.path);
    } else {
      expect(byTitle.status).toBe(409);
      expect((byTitle.body as { candidates: string[] }).candidates).toContain(entry.path);
    }
  });

  test.each(plain.map((e) => [e.path, e] as const))('%s lists history + 1 versions with the history passwords in order', async (entryPath, entry) => {
    const url = `/api/v1/credentials/${encodeURIComponent(entryPath)}`;
    const versions = (await get(`${url}/versions`)).body as { versions: string[]; latest: string };
    expect(versions.versions).toHaveLength(entry.history_passwords.length + 1);
    const passwords = [...entry.history_passwords, expected(entry, 'password')].map(orNull);
    const got: (string | null)[] = [];
    for (const version of versions.versions) {
      got.push(((await get(`${url}?show_password=true&version=${version}`)).body as CredentialBody).password);
    }
    expect(got).toEqual(passwords);
    expect(versions.latest).toBe(versions.versions[versions.versions.length - 1]);
  });

  (live ? test : test.skip)('every live entry equals `keepassxc-cli show -s` field by field', async () => {
    const file = path.join(FIXTURES_DIR, vault.file);
    const keyfile = vault.keyfile === null ? null : path.join(FIXTURES_DIR, vault.keyfile);
    for (const entry of plain) {
      const shown = keepassxcShow({ file, password: vault.password, keyfile, entryPath: entry.path });
      const body = (await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}?show_password=true`)).body as CredentialBody;
      const context = `entry ${entry.path}`;
      const dangling = (field: 'username' | 'password' | 'url' | 'notes', value: string): string =>
        value === '' && /\{REF:/i.test(entry.raw?.[field] ?? '') ? (entry.raw?.[field] ?? '') : value;
      expect({ context, username: body.username ?? '', password: body.password ?? '', url: body.url ?? '', notes: body.notes ?? '' }).toEqual({
        context,
        username: dangling('username', shown.username),
        password: dangling('password', shown.password),
        url: dangling('url', shown.url),
        notes: dangling('notes', shown.notes),
      });
      expect({ context, uuid: body.uuid, tags: sorted(body.tags), fields: body.fields }).toEqual({
        context,
        uuid: shown.uuid,
        tags: sorted(shown.tags),
        fields: shown.attributes,
      });
    }
  });

  test('the Recycle Bin is never served or listed', async () => {
    const list = (await get('/api/v1/credentials?limit=10000')).body as { credentials: CredentialBody[]; count: number };
    const listed = list.credentials.map((c) => c.path);
    for (const entry of vault.entries.filter((e) => e.recycled)) {
      expect(listed).not.toContain(entry.path);
      expect((await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}`)).status).toBe(404);
      if (titleCount(entry.title) === 0) expect((await get(`/api/v1/credentials/${encodeURIComponent(entry.title)}`)).status).toBe(404);
    }
    const servedOnce = new Set([...plain.map((e) => e.path), ...versioned]);
    expect(sorted(listed)).toEqual(sorted([...servedOnce]));
    expect(list.count).toBe(servedOnce.size);
  });

  const withOtp = plain.filter((e) => e.otp);
  if (withOtp.length > 0)
  test('TOTP: the flag, RFC 6238 from the stored secret, and keepassxc-cli show --totp in the same window', async () => {
    const file = path.join(FIXTURES_DIR, vault.file);
    for (const entry of plain) {
      const body = (await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}`)).body as { otp: boolean };
      expect({ path: entry.path, otp: body.otp }).toEqual({ path: entry.path, otp: entry.otp !== null });
    }
    for (const entry of withOtp) {
      const otp = entry.otp;
      if (!otp) continue;
      // Codes change at period boundaries: retry once if the window turned between the two reads.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const before = Date.now();
        const res = await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}/totp`);
        const fromKeepassxc = live && entry.keepassxc_totp ? keepassxcTotp({ file, password: vault.password, keyfile: null, entryPath: entry.path }) : null;
        const after = Date.now();
        if (Math.floor(before / 1000 / otp.period) !== Math.floor(after / 1000 / otp.period)) continue;
        expect(res.status).toBe(200);
        const secret = base32Decode(otp.secret_base32) ?? Buffer.alloc(0);
        const own = totpAt({ secret, algorithm: otp.algorithm, digits: otp.digits, period: otp.period }, before);
        expect({ path: entry.path, ...(res.body as object), expires_in: 0 }).toEqual({ path: entry.path, ...own, expires_in: 0 });
        if (fromKeepassxc !== null) expect({ path: entry.path, code: (res.body as { code: string }).code }).toEqual({ path: entry.path, code: fromKeepassxc });
        break;
      }
    }
  });

  const withFiles = plain.filter((e) => e.attachments.length > 0);
  if (withFiles.length > 0)
  test('attachments come back byte for byte (sha256 of the imported file, and of keepassxc-cli\'s export)', async () => {
    const file = path.join(FIXTURES_DIR, vault.file);
    for (const entry of withFiles) {
      const listed = ((await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}`)).body as { attachments: { name: string; size: number }[] }).attachments;
      expect(listed).toEqual(entry.attachments.map((a) => ({ name: a.name, size: a.size })));
      for (const attachment of entry.attachments) {
        const res = await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}/attachments/${encodeURIComponent(attachment.name)}`)
          .buffer(true)
          .parse((r, done) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => done(null, Buffer.concat(chunks)));
          });
        const sha = createHash('sha256').update(res.body as Buffer).digest('hex');
        expect({ name: attachment.name, sha }).toEqual({ name: attachment.name, sha: attachment.sha256 });
        if (live) {
          const exported = keepassxcAttachmentExport({ file, password: vault.password, keyfile: null, entryPath: entry.path, name: attachment.name });
          expect(createHash('sha256').update(exported).digest('hex')).toBe(sha);
        }
      }
    }
  });

  const withExpiry = plain.filter((e) => e.expires !== null);
  if (withExpiry.length > 0)
  test('expiry as KeePass stores it, and include_expired=false leaves expired ones out', async () => {
    for (const entry of withExpiry) {
      const body = (await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}`)).body as { expires: string; expired: boolean };
      expect(body.expires).toBe(entry.expires);
      expect(body.expired).toBe(Date.parse(entry.expires ?? '') <= Date.now());
    }
    const kept = ((await get('/api/v1/credentials?include_expired=false&limit=10000')).body as { credentials: { path: string }[] }).credentials.map((c) => c.path);
    for (const entry of withExpiry) expect(kept.includes(entry.path)).toBe(Date.parse(entry.expires ?? '') > Date.now());
  });

  const groups = [...versioned];
  if (groups.length > 0)
  test('mattstash-style entries are one credential at their highest version', async () => {
    for (const credentialPath of groups) {
      const entries = liveEntries
        .filter((e) => parseMattstashTitle(e.title) && `${e.path.slice(0, -e.title.length)}${title(e)}` === credentialPath)
        .sort((a, b) => (parseMattstashTitle(a.title)?.number ?? 0) - (parseMattstashTitle(b.title)?.number ?? 0));
      const latest = entries[entries.length - 1];
      const body = (await get(`/api/v1/credentials/${encodeURIComponent(credentialPath)}?show_password=true`)).body as CredentialBody;
      expect(body.path).toBe(credentialPath);
      expect(body.password).toBe(latest?.password);
      const versions = (await get(`/api/v1/credentials/${encodeURIComponent(credentialPath)}/versions`)).body as { versions: string[] };
      expect(versions.versions).toEqual(entries.map((e) => e.title.slice(-10)));
    }
  });
});
