// Why a vault could not be opened: one clear line and a stable code, whichever step failed.
import * as kdbxweb from 'kdbxweb';
import { XmlSyntaxError } from './xml-reader';

/** Why a vault could not be opened; `code` is kdbxweb's error code (or ours for the cases it lacks). */
export class VaultOpenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'VaultOpenError';
    this.code = code;
  }
}

const MESSAGES: Record<string, string> = {
  InvalidKey: 'wrong vault password or key file',
  BadSignature: 'not a KeePass KDBX file',
  InvalidVersion: 'unsupported KDBX version',
  FileCorrupt: 'the vault file is corrupt or truncated',
};

/** kdbxweb's messages can be long or technical; this keeps one clear line and its stable code. */
export function toOpenError(error: unknown): VaultOpenError {
  if (error instanceof VaultOpenError) return error;
  // Malformed XML is what kdbxweb reports as FileCorrupt ("bad xml").
  if (error instanceof XmlSyntaxError) return new VaultOpenError('FileCorrupt', MESSAGES.FileCorrupt ?? error.message);
  if (error instanceof kdbxweb.KdbxError) {
    const known = MESSAGES[error.code];
    if (known) return new VaultOpenError(error.code, known);
    const reason = error.message.replace(/^Error [A-Za-z]+: /, '').trim();
    return new VaultOpenError(error.code, `cannot open the vault: ${reason || error.code}`);
  }
  // Past 4 GiB of XML (about 2.5 million entries) the document no longer fits one Buffer.
  // Node's own RangeError, which need not be this realm's (a worker's, a test runner's): by its code.
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new VaultOpenError('OutOfMemory', `the vault is too large to open: ${String(message).replace(/^Cannot/, 'cannot')} (its decompressed XML)`);
  }
  // Reading past the end of a cut-off header ("Offset is outside the bounds of the DataView").
  if ((error as { name?: unknown } | null)?.name === 'RangeError') return new VaultOpenError('FileCorrupt', MESSAGES.FileCorrupt ?? String(message));
  const reason = error instanceof Error ? error.message : String(error);
  return new VaultOpenError('FileCorrupt', `the vault file could not be read: ${reason}`);
}
