// Why a vault did not open, in one line and a stable code, whatever threw.
import { gunzipSync, gzipSync } from 'node:zlib';
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
