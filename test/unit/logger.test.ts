// The redacting logger: secrets never reach the written line, whichever way they are handed to it.
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { Redactor, createLogger } from '../../server/logger';
import { Secret } from '../../server/vault/secret';

function capture(format: 'json' | 'pretty', known: string[] = []) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const redactor = new Redactor();
  for (const value of known) redactor.add(value);
  return { logger: createLogger({ level: 'debug', format, stream, redactor }), lines };
}

test.each(['json', 'pretty'] as const)('%s: sensitive keys, known secrets and Secret values are redacted', async (format) => {
  const { logger, lines } = capture(format, ['vault-password-Xy12', 'api-key-Qw34']);
  logger.info('opened with vault-password-Xy12', {
    password: 'plain-pass-Er56',
    nested: { api_key: 'nested-key-Ty78', list: ['api-key-Qw34 in a list'], authorization: 'Bearer abc-Ui90' },
    value: new Secret('protected-Op09'),
    headers: { 'x-api-key': 'header-key-As21' },
  });
  logger.warn(new Secret('as-message-Df43') as unknown as string);
  await new Promise((resolve) => setImmediate(resolve));
  const all = lines.join('');
  for (const secret of ['vault-password-Xy12', 'plain-pass-Er56', 'nested-key-Ty78', 'api-key-Qw34', 'abc-Ui90', 'protected-Op09', 'header-key-As21', 'as-message-Df43']) {
    expect(all).not.toContain(secret);
  }
  expect(all).toContain('[REDACTED]');
  expect(all).toContain('opened with');
});

test('a Secret hides its value from JSON, strings and inspect, and reveals it only when asked', () => {
  const secret = new Secret('top-secret-Gh65');
  expect(JSON.stringify({ secret })).toBe('{"secret":"*****"}');
  expect(String(secret)).toBe('*****');
  expect([secret].join('')).toBe('*****');
  expect(inspect(secret)).not.toContain('top-secret');
  expect(inspect({ deep: { secret } }, { depth: 5 })).not.toContain('top-secret');
  expect(secret.reveal()).toBe('top-secret-Gh65');
});

test('every known value is scrubbed, metacharacters and values that begin others included', () => {
  const redactor = new Redactor();
  for (const value of ['key.with*meta(chars)|x', 'shared-prefix', 'shared-prefix-and-more', 'abc']) redactor.add(value);
  expect(redactor.scrub('a key.with*meta(chars)|x b')).toBe('a [REDACTED] b');
  expect(redactor.scrub('shared-prefix-and-more/shared-prefix')).toBe('[REDACTED]/[REDACTED]');
  // Too short to be a key or a password: left alone, so ordinary words survive.
  expect(redactor.scrub('abc')).toBe('abc');
  expect(redactor.scrub('key.with-meta')).toBe('key.with-meta');
});
