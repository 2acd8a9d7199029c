// The key ring finds a presented key by its digest; keys held in clear are reported with their holder, for the redactor and the short-key warning.
import { KeyRing } from '../../server/access/key-ring';
import { digestOf, fullRights, parseKeysText, shortKeyWarning, type KeyRecord } from '../../server/access/keys-file';
import { parseKeysFile } from '../../server/access/load-keys';
import { expiryOf } from '../../server/access/policy-file';

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

  test('the keys expired at a moment are those match calls expired then, by name and expiry', () => {
    expect(ring.expiredAt(NOW)).toEqual([{ name: 'old', expires: new Date('2026-01-01T00:00:00Z') }]);
    expect(ring.expiredAt(new Date('2026-01-01T00:00:00Z'))).toEqual([]);
  });

  test('a key listed twice leads to the first listing, as in the file', () => {
    const twice = new KeyRing([record('first', 'same-key', { reveal: false }), record('second', 'same-key')]);
    const found = twice.match('same-key', NOW);
    expect(found.kind === 'ok' ? [found.principal.name, found.principal.reveal] : found.kind).toEqual(['first', false]);
  });
});

describe('keys held in clear', () => {
  const seen = (parse: (clear: (key: string, holder: string) => void) => unknown): [string, string][] => {
    const out: [string, string][] = [];
    parse((key, holder) => out.push([key, holder]));
    return out;
  };
  const hashed = `sha256:${digestOf('x').toString('hex')}`;

  test('each is reported with its holder, from a text file and from a YAML one; hashed keys are not', () => {
    expect(seen((clear) => parseKeysText(`ci:q7z-tiny\n${'u'.repeat(20)}\nh:${hashed}\n`, clear))).toEqual([
      ['q7z-tiny', "the keys file's key 'ci'"],
      ['u'.repeat(20), "the keys file's key on line 2"],
    ]);
    const yaml = `keys:\n  - name: billing\n    key: short-1\n  - name: hashed\n    key: ${hashed}\n`;
    expect(seen((clear) => parseKeysFile('keys.yaml', yaml, clear))).toEqual([['short-1', "the keys file's key 'billing'"]]);
  });

  test('a warning names a short key by its holder only, never the key or its length', () => {
    expect(shortKeyWarning('q7z-tiny', "the keys file's key 'ci'")).toBe(
      "the keys file's key 'ci' is shorter than 16 characters and can be guessed (`kdbx-gateway keygen` makes a random 43-character key)",
    );
    expect(shortKeyWarning('k'.repeat(15), 'API_KEY')).toMatch(/^API_KEY is shorter than 16 characters/);
    expect(shortKeyWarning('k'.repeat(16), 'API_KEY')).toBeNull();
  });
});

describe('text keys file: what looks like YAML', () => {
  test('a key named keys is a text line, not a YAML file; spaces around the colon are not part of either', () => {
    const keys = parseKeysText('keys:a-key-named-keys-0123456789\nci : \tci-key-0123456789abc\nh: sha256:' + 'ab'.repeat(32) + '\n');
    expect(keys.map((key) => key.name)).toEqual(['keys', 'ci', 'h']);
    expect(keys[0]?.digest.equals(digestOf('a-key-named-keys-0123456789'))).toBe(true);
    expect(keys[1]?.digest.equals(digestOf('ci-key-0123456789abc'))).toBe(true);
    expect(keys[2]?.digest.toString('hex')).toBe('ab'.repeat(32));
  });

  test('`keys:` alone or a `- name:` item is refused with the ending to use', () => {
    for (const text of ['keys:\n  - name: a\n    key: b\n', '# list\n- name: a\n']) {
      expect(() => parseKeysText(text)).toThrow(/looks like a YAML keys file; give the file a \.yaml or \.yml ending/);
    }
  });
});

describe('expires in a YAML or JSON keys file', () => {
  // The server's zone plays no part (the CLI tests run one in America/Los_Angeles).
  const yaml = (expires: string): string => `keys:\n  - name: ci\n    key: ci-key-0123456789abcdef\n    expires: ${expires}\n`;

  test('a padded date is valid through that day, UTC; a time with its zone is that instant', () => {
    expect(expiryOf('2027-01-01')).toEqual(new Date(Date.UTC(2027, 0, 1, 23, 59, 59, 999)));
    expect(expiryOf('2027-01-01T10:00:00Z')).toEqual(new Date(Date.UTC(2027, 0, 1, 10)));
    expect(expiryOf('2027-01-01T10:00:00+01:00')).toEqual(new Date(Date.UTC(2027, 0, 1, 9)));
    expect(expiryOf('2027-01-01T10:00-08:00')).toEqual(new Date(Date.UTC(2027, 0, 1, 18)));
    expect(expiryOf('2027-01-01T10:00:00.250Z')).toEqual(new Date(Date.UTC(2027, 0, 1, 10, 0, 0, 250)));
    expect(parseKeysFile('keys.yaml', yaml("'2027-01-01'"))[0]?.expires).toEqual(new Date(Date.UTC(2027, 0, 1, 23, 59, 59, 999)));
  });

  test.each(['2027-1-1', '2027-01-01T10:00:00', '2027-01-01T10:00', '2027-02-30', '2027-13-01T10:00:00Z', '01/02/2027', '2027-01-01Z', 'next year'])(
    '%j is refused with the forms it may take',
    (expires) => {
      expect(expiryOf(expires)).toBe('invalid');
      expect(() => parseKeysFile('keys.yaml', yaml(JSON.stringify(expires)))).toThrow(
        `keys[0] (ci): field 'expires' must be a date such as 2027-01-01 or a time with its zone such as 2027-01-01T10:00:00Z (received ${JSON.stringify(expires)})`,
      );
    },
  );
});
