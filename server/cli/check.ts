// `kdbx-gateway check`: what the configuration opens, summarised without a single secret.
import type { Config } from '../config';
import type { KeyRing } from '../access/key-ring';
import type { Argon2Build } from '../vault/argon2-hash';
import type { KdfInfo, Snapshot } from '../vault/snapshot';

const BUILDS: Record<Argon2Build, string> = { avx2: 'AVX2 build', portable: 'portable build' };

function kdfText(kdf: KdfInfo, argon2Build: Argon2Build | null): string {
  if (kdf.name === 'AES-KDF') return `AES-KDF, ${kdf.rounds ?? 0} rounds`;
  if (kdf.name === 'unknown') return 'unknown';
  const mib = (kdf.memoryKiB ?? 0) / 1024;
  const build = argon2Build === null ? '' : ` (hashed by argon2's ${BUILDS[argon2Build]})`;
  return `${kdf.name}, memory ${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB, iterations ${kdf.iterations ?? 0}, parallelism ${kdf.parallelism ?? 0}${build}`;
}

/** `argon2Build`: which Argon2 binary opened the vault (README, Performance), null when none did. */
export function checkText(config: Config, snapshot: Snapshot, keys: KeyRing, openMs: number, argon2Build: Argon2Build | null): string {
  const { info } = snapshot;
  const keySources = [config.keysFilePath, config.apiKey !== null ? 'API_KEY' : null].filter((s) => s !== null);
  return [
    `vault:        ${config.vaultPath}`,
    `format:       ${info.format}, ${info.cipher}, ${info.compression === 'gzip' ? 'gzip' : 'uncompressed'}`,
    `kdf:          ${kdfText(info.kdf, argon2Build)}`,
    `unlocked by:  ${[config.passwordSource ? `password from ${config.passwordSource}` : null, config.keyFilePath ? `key file ${config.keyFilePath}` : null].filter(Boolean).join(' + ')}`,
    `entries:      ${info.entries} (outside the Recycle Bin; ${info.recycled} in it)`,
    `credentials:  ${snapshot.sorted.length}`,
    `groups:       ${info.groups}`,
    `history:      ${info.historyItems} items`,
    `keys loaded:  ${keys.size} (${keys.names.join(', ')}) from ${keySources.join(' and ')}`,
    `opened in:    ${openMs} ms`,
    'ok',
    '',
  ].join('\n');
}
