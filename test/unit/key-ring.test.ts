// The key ring finds a presented key by its digest: the right holder among many, unknown and expired keys told apart.
import { KeyRing } from '../../server/access/key-ring';
import { digestOf, fullRights, type KeyRecord } from '../../server/access/keys-file';

const NOW = new Date('2026-11-25T12:00:00Z');
const record = (name: string, key: string, extra: Partial<KeyRecord> = {}): KeyRecord => ({ ...fullRights(name, digestOf(key)), ...extra });

describe('KeyRing', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => record(`app-${i}`, `key-${i}-secret`));
  const ring = new KeyRing([...keys, record('old', 'retired-key', { expires: new Date('2026-01-01T00:00:00Z') })]);

  test('each of 1,000 keys leads to its own holder', () => {
    for (const i of [0, 1, 499, 998, 999]) {
      const found = ring.match(`key-${i}-secret`, NOW);
      expect(found.kind === 'ok' ? found.principal.name : found.kind).toBe(`app-${i}`);
    }
  });

  test('a key not in the ring, or one that differs by a character, is unknown', () => {
    expect(ring.match('key-5-secreT', NOW)).toEqual({ kind: 'unknown' });
    expect(ring.match('', NOW)).toEqual({ kind: 'unknown' });
    expect(ring.match('app-5', NOW)).toEqual({ kind: 'unknown' });
  });

  test('an expired key is named as expired, and works up to its expiry', () => {
    expect(ring.match('retired-key', NOW)).toEqual({ kind: 'expired', name: 'old' });
    const before = ring.match('retired-key', new Date('2025-12-31T23:59:59Z'));
    expect(before.kind === 'ok' && before.principal.name).toBe('old');
  });

  test('a key listed twice leads to the first listing, as in the file', () => {
    const twice = new KeyRing([record('first', 'same-key', { reveal: false }), record('second', 'same-key')]);
    const found = twice.match('same-key', NOW);
    expect(found.kind === 'ok' ? [found.principal.name, found.principal.reveal] : found.kind).toEqual(['first', false]);
  });
});
