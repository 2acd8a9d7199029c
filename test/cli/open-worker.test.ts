// Opening in a worker thread gives the same snapshot as opening in place, protected values included.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { presentCredential } from '../../server/present/credential';
import { Secret } from '../../server/vault/secret';
import { readVault } from '../../server/vault/open';
import type { Snapshot } from '../../server/vault/snapshot';
import { decodeRead, encodeRead } from '../../server/vault/transfer';
import { FIXTURES_DIR, readManifest } from '../support/keepassxc';
import { loadBuilt } from '../support/cli';

type OpenInWorker = (bytes: Uint8Array, credentials: { password: string | null; keyFile: Uint8Array | null }) => Promise<Snapshot>;

const NOW = new Date(Date.UTC(2026, 10, 25));
const vaults = readManifest().vaults.filter((v) => v.expect_error === null);

test('the codec keeps Secrets through a structured clone', async () => {
  const vault = vaults.find((v) => v.file === 'pyk-kdbx4.kdbx');
  const read = await readVault(readFileSync(path.join(FIXTURES_DIR, vault?.file ?? '')), { password: vault?.password ?? null, keyFile: null });
  const cloned = decodeRead(structuredClone(encodeRead(read)));
  const billing = cloned.all.find((r) => r.current.title === 'billing-api');
  expect(billing?.current.password).toBeInstanceOf(Secret);
  expect(billing?.current.fields['api_token']).toBeInstanceOf(Secret);
  expect(Object.isFrozen(billing?.current)).toBe(true);
});

test('the codec keeps what references drew on, their stored text protected as it was', async () => {
  const vault = vaults.find((v) => v.file === 'kxc-features.kdbx');
  const read = await readVault(readFileSync(path.join(FIXTURES_DIR, vault?.file ?? '')), { password: vault?.password ?? null, keyFile: null });
  const { credentialsFromRead } = await import('../../server/vault/open');
  const { decodeCredentials, encodeCredentials } = await import('../../server/vault/transfer');
  const here = credentialsFromRead(read);
  const there = decodeCredentials(structuredClone(encodeCredentials(here)));
  const refs = (c: (typeof here)[number] | undefined) => c?.latest.state.references;
  const ref1 = (list: typeof here) => list.find((c) => c.path === 'Refs/ref-1');
  expect(refs(ref1(here))?.length).toBeGreaterThan(0);
  expect(refs(ref1(there))).toEqual(refs(ref1(here)));
  const password = refs(ref1(there))?.find((s) => s.field === 'password');
  expect(password?.literal).toBeInstanceOf(Secret);
  expect(password?.targets).toEqual([{ name: 'base', path: 'Refs/base', recycled: false }]);
});

test.each(vaults.map((v) => [v.file, v] as const))('%s: the worker thread opens the same vault', async (_file, vault) => {
  // The compiled worker lives in dist/; the TypeScript sources have none to start. Both sides use the
  // built modules, so that their Secret is one class.
  const { openVaultInWorker } = loadBuilt<{ openVaultInWorker: OpenInWorker }>('server/vault/open-in-worker.js');
  const { openVault: openHere } = loadBuilt<{ openVault: OpenInWorker }>('server/vault/open.js');
  const { presentCredential: present } = loadBuilt<{ presentCredential: typeof presentCredential }>('server/present/credential.js');
  const everything = (snapshot: Snapshot) => snapshot.sorted.flatMap((c) => c.versions.map((v) => present(c, v, { reveal: true, now: NOW })));
  const bytes = readFileSync(path.join(FIXTURES_DIR, vault.file));
  const keyFile = vault.keyfile === null ? null : readFileSync(path.join(FIXTURES_DIR, vault.keyfile));
  const [here, there] = await Promise.all([openHere(bytes, { password: vault.password, keyFile }), openVaultInWorker(bytes, { password: vault.password, keyFile })]);
  expect(there.info).toEqual(here.info);
  expect(everything(there)).toEqual(everything(here));
  const masked = there.sorted.map((c) => present(c, c.latest, { reveal: false, now: NOW }).password);
  expect(masked.every((p) => p === null || p === '*****')).toBe(true);
});

test('a wrong password is the same VaultOpenError from the worker', async () => {
  const { openVaultInWorker } = loadBuilt<{ openVaultInWorker: OpenInWorker }>('server/vault/open-in-worker.js');
  const error = (await openVaultInWorker(readFileSync(path.join(FIXTURES_DIR, 'pyk-kdbx4.kdbx')), { password: 'wrong', keyFile: null }).catch((e: unknown) => e)) as { code: string; name: string };
  expect(error.code).toBe('InvalidKey');
  expect(error.name).toBe('VaultOpenError');
});
