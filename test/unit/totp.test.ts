// TOTP against RFC 6238's published vectors, and the three ways KeePass tools store its settings.
import { base32Decode, totpAt, totpSpecOf, type TotpAlgorithm } from '../../server/present/totp';
import { Secret } from '../../server/vault/secret';
import { GatewayError } from '../../server/errors';

const SECRETS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B: time (s), SHA1, SHA256, SHA512 with 8 digits and a 30 s step.
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test.each(VECTORS)('RFC 6238 at T=%i', (time, sha1, sha256, sha512) => {
  const at = (algorithm: TotpAlgorithm) => totpAt({ secret: SECRETS[algorithm], algorithm, digits: 8, period: 30 }, time * 1000).code;
  expect([at('SHA1'), at('SHA256'), at('SHA512')]).toEqual([sha1, sha256, sha512]);
});

test('expires_in counts down to the end of the period', () => {
  const spec = { secret: SECRETS.SHA1, algorithm: 'SHA1' as const, digits: 6, period: 30 };
  expect(totpAt(spec, 59_000)).toMatchObject({ expires_in: 1, period: 30, digits: 6, algorithm: 'SHA1', code: '287082' });
  expect(totpAt(spec, 60_000).expires_in).toBe(30);
});

test('base32 as authenticator apps write it', () => {
  expect(base32Decode('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ')).toEqual(SECRETS.SHA1);
  expect(base32Decode('gezdgnbvgy3tqojqgezdgnbvgy3tqojq====')).toEqual(SECRETS.SHA1);
  expect(base32Decode('not base32!')).toBeNull();
});

const b32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
test.each<[string, Record<string, string | Secret>, object]>([
  ['KeePassXC otp URI', { otp: new Secret(`otpauth://totp/X:a?secret=${b32}&period=60&digits=8&algorithm=SHA256`) }, { algorithm: 'SHA256', digits: 8, period: 60 }],
  ['otp URI defaults', { otp: `otpauth://totp/a?secret=${b32}` }, { algorithm: 'SHA1', digits: 6, period: 30 }],
  ['KeeOtp form in otp', { otp: `key=${b32}&step=45&size=7&otpHashMode=Sha512` }, { algorithm: 'SHA512', digits: 7, period: 45 }],
  ['KeePass base32', { 'TimeOtp-Secret-Base32': b32, 'TimeOtp-Length': '8', 'TimeOtp-Period': '45', 'TimeOtp-Algorithm': 'HMAC-SHA-256' }, { algorithm: 'SHA256', digits: 8, period: 45 }],
  ['KeePass hex', { 'TimeOtp-Secret-Hex': SECRETS.SHA1.toString('hex') }, { algorithm: 'SHA1', digits: 6, period: 30 }],
  ['KeePass UTF-8', { 'TimeOtp-Secret': '12345678901234567890' }, { algorithm: 'SHA1', digits: 6, period: 30 }],
  ['legacy seed', { 'TOTP Seed': b32, 'TOTP Settings': '60;8' }, { algorithm: 'SHA1', digits: 8, period: 60 }],
])('%s', (_name, fields, expected) => {
  const spec = totpSpecOf(fields);
  expect(spec).toMatchObject(expected);
  expect(spec?.secret).toEqual(SECRETS.SHA1);
});

test('no TOTP fields: null; unusable ones: 422 naming the problem', () => {
  expect(totpSpecOf({ other: 'x' })).toBeNull();
  const bad: Record<string, string>[] = [{ otp: 'otpauth://hotp/a?secret=AAAA' }, { otp: `otpauth://totp/a?secret=${b32}&digits=5` }, { 'TOTP Seed': b32, 'TOTP Settings': '30;S' }, { 'TimeOtp-Secret-Base32': '!!!' }];
  for (const fields of bad) {
    try {
      totpSpecOf(fields);
      throw new Error('expected a 422');
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(422);
    }
  }
});
