// Why a vault did not open, in one line and a stable code, whatever threw.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openVault } from '../../server/vault/open';
import { toOpenError } from '../../server/vault/open-error';

test("a document over Node's largest Buffer is OutOfMemory, not a corrupt file", () => {
  // The error gunzipSync throws past 4 GiB, provoked here at 10 bytes.
  let thrown: unknown;
  try {
    gunzipSync(gzipSync(Buffer.alloc(100)), { maxOutputLength: 10 });
  } catch (error) {
    thrown = error;
  }
  const error = toOpenError(thrown);
  expect(error.code).toBe('OutOfMemory');
  expect(error.message).toBe('the vault is too large to open: cannot create a Buffer larger than 10 bytes (its decompressed XML)');
});

test('anything else unexpected is FileCorrupt with its message', () => {
  expect(toOpenError(new TypeError('x is not a function'))).toMatchObject({ code: 'FileCorrupt', message: 'the vault file could not be read: x is not a function' });
});

test('a file cut off is corrupt or truncated, in those words, with where it was cut', async () => {
  const bytes = readFileSync(path.join(__dirname, '..', 'fixtures', 'kxc-basic.kdbx'));
  for (const [length, where] of [[12, 'its header is cut short'], [100, 'its header is cut short'], [300, 'its encrypted part is cut short'], [1000, 'its encrypted part is cut short']] as const) {
    const error = (await openVault(bytes.subarray(0, length), { password: 'fixture-kxc-basic-9f3a', keyFile: null }).catch((e: unknown) => e)) as { code: string; message: string };
    expect({ length, code: error.code, message: error.message }).toEqual({ length, code: 'FileCorrupt', message: expect.stringMatching(new RegExp(`^the vault file is corrupt or truncated: ${where}`)) });
  }
});
