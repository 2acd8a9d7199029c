// The Recycle Bin is the group Meta's RecycleBinUUID names, on or off: what was deleted into it stays hidden.
import * as kdbxweb from 'kdbxweb';
import { installArgon2 } from '../../server/vault/argon2';
import { findByName } from '../../server/vault/snapshot';
import { openVault } from '../../server/vault/open';

const PASSWORD = 'recycle-bin-test-pw-71';

async function vaultWithBin(enabled: boolean): Promise<Uint8Array> {
  installArgon2();
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(PASSWORD)), 'bin test');
  db.upgrade();
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  db.header.kdfParameters?.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1024 * 1024));
  db.header.kdfParameters?.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1));
  const live = db.createEntry(db.getDefaultGroup());
  live.fields.set('Title', 'kept');
  const gone = db.createEntry(db.getDefaultGroup());
  gone.fields.set('Title', 'deleted');
  db.remove(gone);
  // The user later switches the bin off in KeePassXC's database settings: the group and its entries remain.
  db.meta.recycleBinEnabled = enabled;
  return new Uint8Array(await db.save());
}

test.each([true, false])('RecycleBinEnabled=%s: the deleted entry is neither served nor counted', async (enabled) => {
  const snapshot = await openVault(await vaultWithBin(enabled), { password: PASSWORD, keyFile: null });
  expect(findByName(snapshot, 'kept')).toHaveLength(1);
  expect(findByName(snapshot, 'deleted')).toHaveLength(0);
  expect({ entries: snapshot.info.entries, recycled: snapshot.info.recycled }).toEqual({ entries: 1, recycled: 1 });
});
