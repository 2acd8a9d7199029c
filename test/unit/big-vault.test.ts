// bench/big-vault.cjs writes, as a stream, vaults that both kdbxweb and the gateway read as make-vault.cjs's.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as kdbxweb from 'kdbxweb';
import { presentCredential } from '../../server/present/credential';
import { openVault } from '../../server/vault/open';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeBigVault } = require('../../bench/big-vault.cjs') as { writeBigVault: (file: string, password: string, entries: number) => Promise<void> };

test('a 250-entry vault: every entry, its password and its history item, read by kdbxweb and by the gateway', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'big-vault-')), 'v.kdbx');
  await writeBigVault(file, 'big-vault-pw', 250);
  const bytes = readFileSync(file);

  const db = await kdbxweb.Kdbx.load(new Uint8Array(bytes).buffer, new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString('big-vault-pw')));
  const teams = db.getDefaultGroup().groups;
  expect(teams.map((g) => g.name)).toEqual(['Team-000', 'Team-001', 'Team-002']);
  expect(teams.map((g) => g.entries.length)).toEqual([100, 100, 50]);
  const last = teams[2]?.entries[49];
  expect(last?.fields.get('Title')).toBe('svc-00249');
  expect((last?.fields.get('Password') as kdbxweb.ProtectedValue).getText()).toBe('pw-249-new');
  expect((last?.history[0]?.fields.get('Password') as kdbxweb.ProtectedValue).getText()).toBe('pw-249-xxxxxxxxxxxx');

  const snapshot = await openVault(bytes, { password: 'big-vault-pw', keyFile: null });
  expect(snapshot.info.entries).toBe(250);
  const credential = snapshot.byPath.get('Team-001/svc-00123')?.[0];
  expect(credential?.versions.map((v) => presentCredential(credential, v, { reveal: true, now: new Date() }).password)).toEqual(['pw-123-xxxxxxxxxxxx', 'pw-123-new']);
  await expect(openVault(bytes, { password: 'wrong', keyFile: null })).rejects.toMatchObject({ code: 'InvalidKey' });
});
