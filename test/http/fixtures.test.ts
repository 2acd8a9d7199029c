// Every entry of the KeePassXC- and pykeepass-made fixtures answers what keepassxc-cli shows for it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { openVault } from '../../server/vault/open';
import { parseMattstashTitle } from '../../server/vault/versions';
import { buildApp, type TestApp } from '../support/app';
import { FIXTURES_DIR, keepassxcAvailable, keepassxcShow, readManifest, type ManifestEntry, type ManifestVault } from '../support/keepassxc';
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

interface CredentialBody {
  name: string;
  path: string;
  uuid: string;
  username: string | null;
  password: string | null;
  url: string | null;
  notes: string | null;
  tags: string[];
  fields: Record<string, string>;
  version: string;
}

const orNull = (value: string): string | null => (value === '' ? null : value);
const sorted = (values: readonly string[]): string[] => [...values].sort();
const title = (entry: ManifestEntry): string => parseMattstashTitle(entry.title)?.base ?? entry.title;

async function appFor(vault: ManifestVault): Promise<TestApp> {
  const bytes = readFileSync(path.join(FIXTURES_DIR, vault.file));
  const keyFile = vault.keyfile === null ? null : readFileSync(path.join(FIXTURES_DIR, vault.keyfile));
  const snapshot = await openVault(bytes, { password: vault.password, keyFile });
  return buildApp({ snapshot, keysText: `fixtures:${KEY}\n` });
}

describe.each(manifest.vaults.map((v) => [v.file, v] as const))('%s', (_file, vault) => {
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
      username: orNull(entry.username),
      password: orNull(entry.password),
      url: orNull(entry.url),
      notes: orNull(entry.notes),
    });
    expect(sorted(body.tags)).toEqual(sorted(entry.tags));
    expect(body.fields).toEqual(Object.fromEntries(Object.entries(entry.fields).map(([k, f]) => [k, f.value])));

    const masked = (await get(`/api/v1/credentials/${encodeURIComponent(entryPath)}`)).body as CredentialBody;
    expect(masked.password).toBe(entry.password === '' ? null : '*****');
    for (const [name, field] of Object.entries(entry.fields)) {
      expect(masked.fields[name]).toBe(field.protected && field.value !== '' ? '*****' : field.value);
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
    const expected = [...entry.history_passwords, entry.password].map(orNull);
    const got: (string | null)[] = [];
    for (const version of versions.versions) {
      got.push(((await get(`${url}?show_password=true&version=${version}`)).body as CredentialBody).password);
    }
    expect(got).toEqual(expected);
    expect(versions.latest).toBe(versions.versions[versions.versions.length - 1]);
  });

  (live ? test : test.skip)('every live entry equals `keepassxc-cli show -s` field by field', async () => {
    const file = path.join(FIXTURES_DIR, vault.file);
    const keyfile = vault.keyfile === null ? null : path.join(FIXTURES_DIR, vault.keyfile);
    for (const entry of plain) {
      const shown = keepassxcShow({ file, password: vault.password, keyfile, entryPath: entry.path });
      const body = (await get(`/api/v1/credentials/${encodeURIComponent(entry.path)}?show_password=true`)).body as CredentialBody;
      const context = `entry ${entry.path}`;
      expect({ context, username: body.username ?? '', password: body.password ?? '', url: body.url ?? '', notes: body.notes ?? '' }).toEqual({
        context,
        username: shown.username,
        password: shown.password,
        url: shown.url,
        notes: shown.notes,
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
