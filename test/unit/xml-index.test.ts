// The XML reader's byte-level helpers: search past 2 GiB (Node 20 clamps and wraps there) and the clean-up before parsing.
import { indexIn, normalizeXmlBytes } from '../../server/vault/xml-reader';

const TWO_GIB = 2 ** 31;

test('positions, text and misses in an ordinary buffer', () => {
  const buf = Buffer.from('<a>x<b/>&amp;</a>', 'latin1');
  expect(indexIn(buf, 0x3c, 0)).toBe(0);
  expect(indexIn(buf, 0x3c, 1)).toBe(4);
  expect(indexIn(buf, '</a>', 0)).toBe(13);
  expect(indexIn(buf, 0x7e, 0)).toBe(-1);
});

test('past 2 GiB: a match found from before it, from beyond it, and a miss', () => {
  // Only the last pages are written, so the 2 GiB view stays mostly untouched memory.
  const buf = Buffer.allocUnsafeSlow(TWO_GIB + 4096);
  buf.fill(0x20, TWO_GIB - 4096);
  buf[TWO_GIB + 5] = 0x3c;
  buf[TWO_GIB + 60] = 0x3c;
  buf.write('</Entry>', TWO_GIB + 100, 'latin1');
  // Node 20 answers these with negative or earlier positions: the reason for indexIn.
  expect(indexIn(buf, 0x3c, TWO_GIB - 100)).toBe(TWO_GIB + 5);
  expect(indexIn(buf, 0x3c, TWO_GIB + 10)).toBe(TWO_GIB + 60);
  expect(indexIn(buf, '</Entry>', TWO_GIB - 10)).toBe(TWO_GIB + 100);
  expect(indexIn(buf, '</Entry>', TWO_GIB + 101)).toBe(-1);
  expect(indexIn(buf, 0x26, TWO_GIB + 200)).toBe(-1);
});

describe('normalizeXmlBytes: the text KeePassXC reads', () => {
  const normalized = (bytes: number[]): number[] => [...normalizeXmlBytes(Buffer.from(bytes))];
  test.each([
    ['a tab is kept', [0x61, 0x09, 0x62], [0x61, 0x09, 0x62]],
    ['CR LF is one LF', [0x61, 0x0d, 0x0a, 0x62], [0x61, 0x0a, 0x62]],
    ['a lone CR is an LF', [0x61, 0x0d, 0x62], [0x61, 0x0a, 0x62]],
    ['CR CR LF is two line ends', [0x0d, 0x0d, 0x0a], [0x0a, 0x0a]],
    ['a forbidden control is dropped', [0x61, 0x01, 0x1f, 0x62], [0x61, 0x62]],
    ['CR, a dropped control, LF is one line end', [0x61, 0x0d, 0x01, 0x0a, 0x62], [0x61, 0x0a, 0x62]],
    ['LF alone is untouched', [0x61, 0x0a, 0x0a], [0x61, 0x0a, 0x0a]],
    ['UTF-8 is untouched', [0xc3, 0xa9, 0x0d, 0xe2, 0x9c, 0x93], [0xc3, 0xa9, 0x0a, 0xe2, 0x9c, 0x93]],
  ])('%s', (_what, input, output) => {
    expect(normalized(input)).toEqual(output);
  });
});
