// Writes a bench vault with kdbxweb: N generated entries plus db-prod, with a chosen KDF.
const fs = require('node:fs');
const kdbxweb = require('kdbxweb');
const { installArgon2 } = require('../dist/server/vault/argon2.js');

async function makeVault(file, password, { entries, kdf }) {
  installArgon2();
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(password)), 'bench');
  db.upgrade();
  if (kdf.name === 'argon2d') {
    db.setKdf(kdbxweb.Consts.KdfId.Argon2d);
    db.header.kdfParameters.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(kdf.memoryMiB * 1024 * 1024));
    db.header.kdfParameters.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(kdf.iterations));
    db.header.kdfParameters.set('P', kdbxweb.VarDictionary.ValueType.UInt32, kdf.parallelism);
  } else {
    db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
    db.header.kdfParameters.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1024 * 1024));
    db.header.kdfParameters.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(1));
  }
  const root = db.getDefaultGroup();
  const prod = db.createGroup(db.createGroup(root, 'Databases'), 'Prod');
  const dbProd = db.createEntry(prod);
  for (const [k, v] of Object.entries({ Title: 'db-prod', UserName: 'admin', URL: 'db.internal:5432', Notes: 'Production database', database: 'app', sslmode: 'require' })) dbProd.fields.set(k, v);
  dbProd.fields.set('Password', kdbxweb.ProtectedValue.fromString('bench-pass-1'));
  dbProd.pushHistory();
  dbProd.fields.set('Password', kdbxweb.ProtectedValue.fromString(kdf.generation ?? 'bench-pass-2'));
  dbProd.fields.set('api_token', kdbxweb.ProtectedValue.fromString('bench-token'));
  dbProd.tags = ['prod'];
  let group = null;
  for (let i = 0; i < entries; i += 1) {
    if (i % 100 === 0) group = db.createGroup(root, `Team-${String(i / 100).padStart(3, '0')}`);
    const e = db.createEntry(group);
    e.fields.set('Title', `svc-${String(i).padStart(5, '0')}`);
    e.fields.set('UserName', `user${i}`);
    e.fields.set('Password', kdbxweb.ProtectedValue.fromString(`pw-${i}-${'x'.repeat(12)}`));
    e.fields.set('URL', `https://svc-${i}.internal`);
    e.fields.set('Notes', `generated entry ${i}`);
    e.pushHistory();
    e.fields.set('Password', kdbxweb.ProtectedValue.fromString(`pw-${i}-new`));
  }
  fs.writeFileSync(file, Buffer.from(await db.save()));
}

module.exports = { makeVault };
