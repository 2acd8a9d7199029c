// What reading a vault yields before its maps are built, and the summary (format, cipher, KDF, counts) it carries.
import * as kdbxweb from 'kdbxweb';
import type { KdfInfo, VaultInfo } from './snapshot';
import type { EntryRecord } from './versions';

/** Plain records, so a worker can hand them over. */
export interface VaultRead {
  readonly all: readonly EntryRecord[];
  readonly live: readonly number[];
  readonly info: VaultInfo;
}

/** What walking the group tree counted. */
export interface TreeCounts {
  readonly live: readonly number[];
  readonly groups: number;
  readonly historyItems: number;
  readonly recycled: number;
}

const CIPHERS: Record<string, string> = {
  [kdbxweb.Consts.CipherId.Aes]: 'AES-256',
  [kdbxweb.Consts.CipherId.ChaCha20]: 'ChaCha20',
};

function kdfInfo(header: kdbxweb.KdbxHeader): KdfInfo {
  const params = header.kdfParameters;
  if (!params) return { name: 'AES-KDF', rounds: header.keyEncryptionRounds ?? 0 };
  const uuidBytes = params.get('$UUID');
  const id = uuidBytes instanceof ArrayBuffer ? kdbxweb.ByteUtils.bytesToBase64(uuidBytes) : '';
  const num = (key: string): number => Number(params.get(key)?.valueOf() ?? 0);
  switch (id) {
    case kdbxweb.Consts.KdfId.Argon2d:
    case kdbxweb.Consts.KdfId.Argon2id:
      return {
        name: id === kdbxweb.Consts.KdfId.Argon2d ? 'Argon2d' : 'Argon2id',
        memoryKiB: Math.round(num('M') / 1024),
        iterations: num('I'),
        parallelism: num('P'),
      };
    case kdbxweb.Consts.KdfId.Aes:
      return { name: 'AES-KDF', rounds: num('R') };
    default:
      return { name: 'unknown' };
  }
}

export function vaultInfo(header: kdbxweb.KdbxHeader, counts: TreeCounts): VaultInfo {
  return Object.freeze({
    format: `KDBX ${header.versionMajor}.${header.versionMinor}`,
    cipher: CIPHERS[header.dataCipherUuid?.id ?? ''] ?? 'unknown',
    compression: header.compression === kdbxweb.Consts.CompressionAlgorithm.GZip ? 'gzip' : 'none',
    kdf: Object.freeze(kdfInfo(header)),
    groups: counts.groups,
    entries: counts.live.length,
    historyItems: counts.historyItems,
    recycled: counts.recycled,
  });
}
