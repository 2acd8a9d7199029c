// One kdbxweb-made vault with every shape the credential routes must handle, shared by HTTP tests.
import { createHash } from 'node:crypto';
import type { EntrySpec } from '../support/vault';

export const VAULT_PASSWORD = 'test-vault-password-8c1e';
export const KEY_A = 'key-alpha-3f9d0c2b7a61e4d8';
export const KEY_B = 'key-bravo-5e2a9b7c1d3f4a60';
export const KEYS_TEXT = `# test keys\nalpha:${KEY_A}\nbravo:sha256:${createHash('sha256').update(KEY_B).digest('hex')}\n`;

export const ENTRIES: EntrySpec[] = [
  {
    group: 'Databases/Prod',
    title: 'db-prod',
    username: 'admin',
    password: 'prod-pass-v3-Zq81',
    history: ['prod-pass-v1-Hk27', 'prod-pass-v2-Lm54'],
    url: 'db.internal:5432',
    notes: 'Production database\nsecond line',
    fields: { database: 'app', sslmode: 'require', api_token: { protected: 'tok-secret-Wd93' }, empty_field: '' },
    tags: ['prod', 'env:prod'],
  },
  { group: 'Databases', title: 'db-special', username: 'svc@corp', password: 'p@ss:w/rd#?%', url: 'pg.internal:5432', fields: { database: 'app' } },
  { group: 'Databases', title: 'db-mongo', username: 'mongo', password: 'p@ss:w/rd#?%', url: 'mongo.internal', fields: { dialect: 'mongodb' } },
  { group: 'Team', title: 'shared', username: 'team-user', password: 'team-pass-Rt62' },
  { group: 'Services', title: 'shared', username: 'svc-user', password: 'svc-pass-Yu47' },
  { group: 'Services', title: 'api-secret', password: 'api-secret-Qp38' },
  { group: 'Services', title: 'no-password', username: 'nobody' },
  { group: 'Services', title: 'expired-one', username: 'old', password: 'expired-pass-Nb15', expires: new Date(Date.UTC(2020, 0, 1)) },
  { group: 'Services', title: 'future-one', username: 'new', password: 'future-pass-Vc26', expires: new Date(Date.UTC(2099, 0, 1)) },
  { group: 'Tokens', title: 'api-token@0000000001', password: 'token-v1-Ab12' },
  { group: 'Tokens', title: 'api-token@0000000002', password: 'token-v2-Cd34' },
  { group: 'Tokens', title: 'api-token@0000000003', password: 'token-v3-Ef56' },
  { group: 'Tokens', title: 'api-token', password: 'token-plain-Gh78' },
  { group: 'Intl/Deep', title: 'Ünïcødé ключ 🔑', username: 'ユーザー', password: 'unicode-pass-Jk90' },
  { group: 'Odd', title: 'versions', username: 'v', password: 'odd-versions-Lz11' },
  { group: 'Odd', title: 'with spaces (and parens)', username: 's', password: 'spaces-pass-Mx22' },
  { group: '', title: 'root-entry', username: 'root', password: 'root-pass-Nw33' },
  { group: 'Old', title: 'recycled-only', username: 'gone', password: 'recycled-pass-Ov44', recycled: true },
  { group: '', title: 'db-prod', username: 'recycled-dup', password: 'recycled-dup-Pu55', recycled: true },
];

/** Every value the tests' logs must never contain. */
export const SECRET_VALUES: string[] = [
  VAULT_PASSWORD,
  KEY_A,
  KEY_B,
  ...ENTRIES.flatMap((e) => [
    e.password ?? '',
    ...(e.history ?? []),
    ...Object.values(e.fields ?? {}).flatMap((f) => (typeof f === 'string' ? [] : [f.protected])),
  ]),
].filter((v) => v.length >= 4);
