// `kdbx-gateway check`: what the configuration opens, summarised without a single secret.
import type { Config } from '../config';
import type { KeyRing } from '../access/key-ring';
import type { AesKdfBuild } from '../vault/aes-kdf-rounds';
import type { Argon2Build } from '../vault/argon2-hash';
import type { KdfInfo, Snapshot } from '../vault/snapshot';

/** Which code derived the key (README, Performance): the native builds, or the portable fallbacks. */
export type KdfBuild = Argon2Build | AesKdfBuild;

const BUILDS: Record<KdfBuild, string> = {
  avx2: "hashed by argon2's AVX2 build",
  portable: "hashed by argon2's portable build",
  'aes-ni': 'computed with AES-NI, both halves in one loop',
  openssl: 'computed by OpenSSL',
};

function kdfText(kdf: KdfInfo, build: KdfBuild | null): string {
  const by = build === null ? '' : ` (${BUILDS[build]})`;
  if (kdf.name === 'AES-KDF') return `AES-KDF, ${kdf.rounds ?? 0} rounds${by}`;
  if (kdf.name === 'unknown') return 'unknown';
  const mib = (kdf.memoryKiB ?? 0) / 1024;
  return `${kdf.name}, memory ${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB, iterations ${kdf.iterations ?? 0}, parallelism ${kdf.parallelism ?? 0}${by}`;
}

/** `kdfBuild`: the code that derived the vault's key, null when none ran in this process. */
export interface CheckFacts {
  readonly openMs: number;
  readonly kdfBuild: KdfBuild | null;
  readonly tls: { readonly subject: string; readonly validTo: Date } | null;
  /** The default password file was picked up, but the key file alone opened the vault. */
  readonly keyFileAlone: boolean;
}

export function checkText(config: Config, snapshot: Snapshot, keys: KeyRing, { openMs, kdfBuild, tls, keyFileAlone }: CheckFacts): string {
  const { info } = snapshot;
  const password = config.passwordSource && !keyFileAlone ? `password from ${config.passwordSource}` : null;
  const keySources = [config.keysFilePath, config.apiKey !== null ? 'API_KEY' : null].filter((s) => s !== null);
  return [
    `vault:        ${config.vaultPath}`,
    `format:       ${info.format}, ${info.cipher}, ${info.compression === 'gzip' ? 'gzip' : 'uncompressed'}`,
    `kdf:          ${kdfText(info.kdf, kdfBuild)}`,
    `unlocked by:  ${[password, config.keyFilePath ? `key file ${config.keyFilePath}` : null].filter(Boolean).join(' + ')}`,
    `entries:      ${info.entries} (outside the Recycle Bin; ${info.recycled} in it)`,
    `credentials:  ${snapshot.sorted.length}`,
    `groups:       ${info.groups}`,
    `history:      ${info.historyItems} items`,
    `keys loaded:  ${keys.size} (${keys.names.join(', ')}) from ${keySources.join(' and ')}`,
    ...(tls ? [`tls:          ${tls.subject}, valid until ${tls.validTo.toISOString()}`] : []),
    `opened in:    ${openMs} ms`,
    'ok',
    '',
  ].join('\n');
}
