// TOTP (RFC 6238) from the three ways KeePass tools store it, computed with Node's HMAC.
import { createHmac } from 'node:crypto';
import { unprocessable } from '../errors';
import { textOf, type FieldValue } from '../vault/secret';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpSpec {
  readonly secret: Buffer;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly period: number;
}

export interface TotpCode {
  code: string;
  period: number;
  digits: number;
  algorithm: TotpAlgorithm;
  expires_in: number;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALGORITHMS: Record<string, TotpAlgorithm> = {
  SHA1: 'SHA1', 'SHA-1': 'SHA1', 'HMAC-SHA-1': 'SHA1', HMACSHA1: 'SHA1',
  SHA256: 'SHA256', 'SHA-256': 'SHA256', 'HMAC-SHA-256': 'SHA256', HMACSHA256: 'SHA256',
  SHA512: 'SHA512', 'SHA-512': 'SHA512', 'HMAC-SHA-512': 'SHA512', HMACSHA512: 'SHA512',
};

/** RFC 4648 base32 in whatever case authenticator apps write it, spaces and padding ignored. */
export function base32Decode(text: string): Buffer | null {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  if (clean === '' || /[^A-Z2-7]/.test(clean)) return null;
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function spec(secret: Buffer | null, algorithm: string | undefined, digits: string | undefined, period: string | undefined, where: string): TotpSpec {
  if (!secret || secret.length === 0) throw unprocessable(`the entry's TOTP secret (${where}) is empty or not valid`);
  const algo = ALGORITHMS[(algorithm ?? 'SHA1').trim().toUpperCase()];
  if (!algo) throw unprocessable(`the entry's TOTP algorithm (${where}) is not SHA1, SHA256 or SHA512`);
  const d = Number(digits ?? 6);
  if (!Number.isInteger(d) || d < 6 || d > 8) throw unprocessable(`the entry's TOTP digits (${where}) must be 6, 7 or 8`);
  const p = Number(period ?? 30);
  if (!Number.isInteger(p) || p < 1 || p > 86_400) throw unprocessable(`the entry's TOTP period (${where}) must be a whole number of seconds`);
  return { secret, algorithm: algo, digits: d, period: p };
}

/** KeePassXC's `otp` field: an otpauth:// URI, or the older KeeOtp `key=…&step=…&size=…` form. */
function fromOtpField(value: string): TotpSpec {
  const text = value.trim();
  if (/^otpauth:\/\//i.test(text)) {
    const url = URL.canParse(text) ? new URL(text) : null;
    if (!url || url.host.toLowerCase() !== 'totp') throw unprocessable("the entry's otp field is not an otpauth://totp/ URI");
    const q = url.searchParams;
    if (q.get('encoder')?.toLowerCase() === 'steam') throw unprocessable('Steam Guard codes are not supported');
    return spec(base32Decode(q.get('secret') ?? ''), q.get('algorithm') ?? undefined, q.get('digits') ?? undefined, q.get('period') ?? undefined, 'otp');
  }
  const q = new URLSearchParams(text);
  return spec(base32Decode(q.get('key') ?? ''), q.get('otpHashMode') ?? undefined, q.get('size') ?? undefined, q.get('step') ?? undefined, 'otp');
}

/** KeePass 2.47+: TimeOtp-Secret-Base32 / -Hex / (UTF-8) TimeOtp-Secret, with Length, Period, Algorithm. */
function fromKeePass(fields: Readonly<Record<string, FieldValue>>): TotpSpec | null {
  const get = (name: string): string | undefined => (Object.hasOwn(fields, name) ? textOf(fields[name] ?? '') : undefined);
  let secret: Buffer | null | undefined;
  const base32 = get('TimeOtp-Secret-Base32');
  const hex = get('TimeOtp-Secret-Hex');
  const utf8 = get('TimeOtp-Secret');
  if (base32) secret = base32Decode(base32);
  else if (hex) secret = /^([0-9a-f]{2})+$/i.test(hex.replace(/\s/g, '')) ? Buffer.from(hex.replace(/\s/g, ''), 'hex') : null;
  else if (utf8) secret = Buffer.from(utf8, 'utf8');
  if (secret === undefined) return null;
  return spec(secret, get('TimeOtp-Algorithm'), get('TimeOtp-Length'), get('TimeOtp-Period'), 'TimeOtp-*');
}

/** The older KeePassXC form: `TOTP Seed` (base32) and `TOTP Settings` = `period;digits`. */
function fromLegacy(seed: string, settings: string | undefined): TotpSpec {
  const [period, digits] = (settings ?? '30;6').split(';').map((s) => s.trim());
  if (digits?.toUpperCase() === 'S') throw unprocessable('Steam Guard codes are not supported');
  return spec(base32Decode(seed), 'SHA1', digits, period, 'TOTP Seed');
}

/** The entry's TOTP settings, or null when it has none; 422 when they cannot be used. */
export function totpSpecOf(fields: Readonly<Record<string, FieldValue>>): TotpSpec | null {
  const otp = fields['otp'];
  if (otp !== undefined && textOf(otp).trim() !== '') return fromOtpField(textOf(otp));
  const keepass = fromKeePass(fields);
  if (keepass) return keepass;
  const seed = fields['TOTP Seed'];
  if (seed !== undefined && textOf(seed).trim() !== '') {
    const settings = fields['TOTP Settings'];
    return fromLegacy(textOf(seed), settings === undefined ? undefined : textOf(settings));
  }
  return null;
}

/** RFC 6238 with RFC 4226's dynamic truncation, for the period in force at `nowMs`. */
export function totpAt(totp: TotpSpec, nowMs: number): TotpCode {
  const seconds = Math.floor(nowMs / 1000);
  const counter = Math.floor(seconds / totp.period);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(totp.algorithm.toLowerCase(), totp.secret).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return {
    code: String(binary % 10 ** totp.digits).padStart(totp.digits, '0'),
    period: totp.period,
    digits: totp.digits,
    algorithm: totp.algorithm,
    expires_in: totp.period - (seconds % totp.period),
  };
}
