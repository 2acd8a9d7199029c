// `kdbx-gateway demo`: a sample vault that shows every kind of credential the gateway serves.
import { randomBytes } from 'node:crypto';
import * as kdbxweb from 'kdbxweb';
import { installArgon2 } from '../vault/argon2';

export interface DemoFiles {
  readonly vault: Uint8Array;
  readonly vaultPassword: string;
  readonly apiKey: string;
  readonly keysFileText: string;
}

type Fields = Record<string, string | kdbxweb.ProtectedValue>;

function setFields(entry: kdbxweb.KdbxEntry, fields: Fields): void {
  for (const [name, value] of Object.entries(fields)) entry.fields.set(name, value);
}

const secret = (text: string): kdbxweb.ProtectedValue => kdbxweb.ProtectedValue.fromString(text);
const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export async function buildDemo(): Promise<DemoFiles> {
  installArgon2();
  const vaultPassword = random(24);
  const db = kdbxweb.Kdbx.create(new kdbxweb.Credentials(secret(vaultPassword)), 'kdbx-gateway demo');
  db.upgrade();
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  // KeePassXC's default memory, with few passes: a laptop opens it in well under a second.
  db.header.kdfParameters?.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(64 * 1024 * 1024));
  db.header.kdfParameters?.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(2));
  db.header.kdfParameters?.set('P', kdbxweb.VarDictionary.ValueType.UInt32, 2);

  const root = db.getDefaultGroup();
  const databases = db.createGroup(root, 'Databases');
  const prod = db.createGroup(databases, 'Prod');
  const staging = db.createGroup(databases, 'Staging');
  const services = db.createGroup(root, 'Services');

  const dbProd = db.createEntry(prod);
  const prodBase: Fields = {
    Title: 'db-prod',
    UserName: 'admin',
    URL: 'db.internal:5432',
    Notes: 'Production database',
    database: 'app',
    sslmode: 'require',
  };
  // Two earlier passwords, kept as KeePass history items: versions 1 and 2; the entry is version 3.
  for (const password of [random(12), random(12)]) {
    setFields(dbProd, { ...prodBase, Password: secret(password) });
    dbProd.pushHistory();
  }
  setFields(dbProd, { ...prodBase, Password: secret(random(18)), api_token: secret(random(24)) });
  dbProd.tags = ['prod', 'postgres'];

  const dbStaging = db.createEntry(staging);
  setFields(dbStaging, {
    Title: 'db-staging',
    UserName: 'stage',
    Password: secret(random(12)),
    URL: 'mysql://staging.internal:3306/shop',
    Notes: 'Staging MySQL',
  });
  dbStaging.tags = ['staging'];

  const token = db.createEntry(services);
  setFields(token, { Title: 'api-token', Password: secret(random(24)), Notes: 'A simple secret: only a password' });

  const smtp = db.createEntry(services);
  setFields(smtp, { Title: 'smtp', UserName: 'mailer@example.com', Password: secret(random(16)), URL: 'smtp.example.com:587' });

  const vault = new Uint8Array(await db.save());
  const apiKey = random(32);
  const keysFileText = [
    '# kdbx-gateway API keys, one per line: key, name:key, sha256:<hex> or name:sha256:<hex>.',
    '# `kdbx-gateway keygen --name NAME` makes a key and the hashed line to put here.',
    `demo:${apiKey}`,
    '',
  ].join('\n');
  return { vault, vaultPassword, apiKey, keysFileText };
}
