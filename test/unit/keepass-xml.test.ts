// The streaming XML reader yields the very records kdbxweb's DOM reader does, on every fixture and on kdbxweb-made vaults.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as kdbxweb from 'kdbxweb';
import { readVault, readVaultWithKdbxweb, type VaultCredentials, type VaultRead } from '../../server/vault/open';
import { Secret } from '../../server/vault/secret';
import { encodeRecords } from '../../server/vault/transfer';
import { FIXTURES_DIR, readManifest } from '../support/keepassxc';
import { makeVault, type EntrySpec } from '../support/vault';

const vaults = readManifest().vaults.filter((v) => v.expect_error === null);

/** Secrets as `{ secret }` (Jest cannot see a private field), so protected flags and texts both count. */
const comparable = (read: VaultRead) => ({ info: read.info, live: read.live, all: encodeRecords(read.all) });

/** kdbxweb drops every tab before parsing; KeePassXC, and so the gateway, keeps them. Else the same (kdbxweb's side has none). */
const dropTabs = (value: unknown): unknown => {
  if (typeof value === 'string') return value.replaceAll('\t', '');
  if (Array.isArray(value)) return value.map(dropTabs);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, dropTabs(item)]));
};
const tabless = (read: VaultRead): unknown => dropTabs(comparable(read));

async function both(bytes: Uint8Array, credentials: VaultCredentials): Promise<[VaultRead, VaultRead]> {
  return [await readVault(bytes, credentials), await readVaultWithKdbxweb(bytes, credentials)];
}

test.each(vaults.map((v) => [v.file, v] as const))('%s: the same records as kdbxweb', async (_file, vault) => {
  const bytes = readFileSync(path.join(FIXTURES_DIR, vault.file));
  const keyFile = vault.keyfile === null ? null : readFileSync(path.join(FIXTURES_DIR, vault.keyfile));
  const [streamed, reference] = await both(bytes, { password: vault.password, keyFile });
  expect(streamed.all.length).toBeGreaterThan(0);
  expect(tabless(streamed)).toEqual(comparable(reference));
});

const ENTRIES: EntrySpec[] = [
  {
    group: 'Apps/Billing',
    title: 'billing-api',
    username: 'svc-billing',
    password: 'current-pw',
    notes: 'tab\there, <markup> & "quotes" \'apos\', ünïcødé ✓',
    fields: { api_token: { protected: 'tok-3' }, region: 'eu-west-1', recovery: { protected: 'rc-ÄÖÜ-1' } },
    tags: ['env:prod', 'team'],
    history: ['pw-1', 'pw-2'],
    attachments: { 'id_ed25519': new Uint8Array([1, 2, 3, 4, 5]), 'empty.txt': new Uint8Array(0) },
    expires: new Date(Date.UTC(2030, 4, 6, 7, 8, 9)),
    uuid: '0123456789abcdef0123456789abcdef',
  },
  { group: 'Apps', title: 'copies-billing', username: '{REF:U@I:0123456789ABCDEF0123456789ABCDEF}', password: '{REF:P@T:billing-api}' },
  { group: 'Apps', title: 'same-file', attachments: { 'id_ed25519': new Uint8Array([1, 2, 3, 4, 5]) }, history: ['old'] },
  { group: 'Old', title: 'thrown-away', password: 'gone', fields: { hidden: { protected: 'bin-secret' } }, recycled: true, history: ['older'] },
  { group: '', title: 'after-the-bin', password: 'still-aligned', fields: { last: { protected: 'last-secret' } } },
];

async function kdbx31(bytes: Uint8Array, password: string): Promise<Uint8Array> {
  const db = await kdbxweb.Kdbx.load(new Uint8Array(bytes).buffer, new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(password)));
  db.setVersion(3);
  db.header.keyEncryptionRounds = 1000;
  return new Uint8Array(await db.save());
}

// KDBX 3.1 keeps attachments as base64 in Meta, where an empty one reads as absent (in kdbxweb too).
// The 3.1 vault is kdbxweb's own re-save, which has lost the note's tab on the way.
describe.each([
  ['KDBX 4', (bytes: Uint8Array) => Promise.resolve(bytes), ['id_ed25519', 'empty.txt'], 'tab\there'],
  ['KDBX 3.1', (bytes: Uint8Array) => kdbx31(bytes, 'pw-xml'), ['id_ed25519'], 'tabhere'],
])('a kdbxweb-made %s vault', (format, convert, names, tabbed) => {
  let streamed: VaultRead;
  let reference: VaultRead;
  beforeAll(async () => {
    const bytes = await convert(await makeVault('pw-xml', ENTRIES));
    [streamed, reference] = await both(bytes, { password: 'pw-xml', keyFile: null });
  });

  test('gives the same records as kdbxweb', () => {
    expect(streamed.info.format.startsWith(format)).toBe(true);
    expect(tabless(streamed)).toEqual(comparable(reference));
  });

  test('keeps protected values protected, history items and values after the Recycle Bin included', () => {
    const billing = streamed.all.find((r) => r.current.title === 'billing-api');
    const first = billing?.history[0];
    expect(first?.password).toBeInstanceOf(Secret);
    expect(first?.password instanceof Secret && first.password.reveal()).toBe('pw-1');
    const recovery = first?.fields['recovery'];
    expect(recovery instanceof Secret && recovery.reveal()).toBe('rc-ÄÖÜ-1');
    expect(billing?.current.fields['region']).toBe('eu-west-1');
    const last = streamed.all.find((r) => r.current.title === 'after-the-bin')?.current.fields['last'];
    expect(last instanceof Secret && last.reveal()).toBe('last-secret');
  });

  test('reads attachments, tags, times and text as written', () => {
    const billing = streamed.all.find((r) => r.current.title === 'billing-api');
    expect(billing?.current.attachments.map((a) => [a.name, [...a.bytes]])).toEqual(
      names.map((name) => [name, name === 'id_ed25519' ? [1, 2, 3, 4, 5] : []]),
    );
    expect(billing?.history[1]?.attachments.map((a) => a.name)).toEqual(names);
    expect(billing?.current.tags).toEqual(['env:prod', 'team']);
    expect(billing?.current.expires?.toISOString()).toBe('2030-05-06T07:08:09.000Z');
    // kdbxweb drops a raw tab before parsing; KeePassXC shows it, and so does the gateway.
    expect(billing?.current.notes).toBe(`${tabbed}, <markup> & "quotes" 'apos', ünïcødé ✓`);
    expect(streamed.info.recycled).toBe(1);
  });
});

test('a wrong password fails alike on both readers', async () => {
  const bytes = await makeVault('right', ENTRIES.slice(0, 1));
  const codes = await Promise.all(
    [readVault, readVaultWithKdbxweb].map((read) => read(bytes, { password: 'wrong', keyFile: null }).catch((e: { code: string }) => e.code)),
  );
  expect(codes).toEqual(['InvalidKey', 'InvalidKey']);
});

/** A real vault whose XML kdbxweb's writer hands through `edit` on its way to encryption. */
async function vaultWithXml(edit: (xml: string) => string): Promise<Uint8Array> {
  const bytes = await makeVault('pw-xml', ENTRIES);
  const db = await kdbxweb.Kdbx.load(new Uint8Array(bytes).buffer, new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString('pw-xml')));
  const serialize = kdbxweb.XmlUtils.serialize;
  const edited = (doc: Parameters<typeof serialize>[0]): string => {
    const xml = serialize(doc);
    const changed = edit(xml);
    if (changed === xml) throw new Error('the edit found nothing to change');
    return changed;
  };
  Object.assign(kdbxweb.XmlUtils, { serialize: edited });
  try {
    return new Uint8Array(await db.save());
  } finally {
    Object.assign(kdbxweb.XmlUtils, { serialize });
  }
}

test('comments, CDATA and character references read as kdbxweb reads them', async () => {
  const bytes = await vaultWithXml((xml) =>
    xml
      .replace('<Root>', '<Root><!-- a comment with <Group> in it -->')
      .replace('<Value>svc-billing</Value>', '<Value>svc-<![CDATA[<bill&ing>]]>&#x263A;&#65;</Value>'),
  );
  const [streamed, reference] = await both(bytes, { password: 'pw-xml', keyFile: null });
  expect(comparable(streamed)).toEqual(comparable(reference));
  expect(streamed.all.find((r) => r.current.title === 'billing-api')?.current.username).toBe('svc-<bill&ing>☺A');
});

test('a document type declaration sends the document to kdbxweb’s DOM reader, with the same records', async () => {
  const bytes = await vaultWithXml((xml) => xml.replace('<KeePassFile>', '<!DOCTYPE KeePassFile><KeePassFile>'));
  const [streamed, reference] = await both(bytes, { password: 'pw-xml', keyFile: null });
  expect(streamed.all.length).toBe(ENTRIES.length);
  expect(comparable(streamed)).toEqual(comparable(reference));
});

test('attributes with character references (Ref, Protected) read as kdbxweb reads them', async () => {
  const bytes = await vaultWithXml((xml) => xml.replace('Ref="0"', 'Ref="&#48;"').replace(/Protected="True"/g, 'Protected="Tru&#101;"'));
  const [streamed, reference] = await both(bytes, { password: 'pw-xml', keyFile: null });
  expect(comparable(streamed)).toEqual(comparable(reference));
  const billing = streamed.all.find((r) => r.current.title === 'billing-api');
  expect(billing?.current.password).toBeInstanceOf(Secret);
  expect(billing?.current.attachments.map((a) => a.name)).toContain('id_ed25519');
});
