// KeePass XML value forms: base64 UUIDs, KDBX 3.1 and 4 times, and the sharing of repeated texts within an entry.
import * as kdbxweb from 'kdbxweb';

export const ZERO_UUID = '0'.repeat(32);
// Seconds from 0001-01-01 to 1970-01-01: KDBX 4 writes times as seconds since the former.
const EPOCH_SECONDS = 62135596800;
export const corrupt = (message: string): kdbxweb.KdbxError => new kdbxweb.KdbxError(kdbxweb.Consts.ErrorCodes.FileCorrupt, message);

export function uuidHex(text: string): string {
  if (text === '') return ZERO_UUID;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 16) throw corrupt(`bad UUID length: ${bytes.length}`);
  return bytes.toString('hex');
}

const DASHED = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

/** The canonical 8-4-4-4-12 form as one flat string: a template literal would keep five pieces and four joins alive. */
export function dashed(hex: string): string {
  DASHED.write(hex.slice(0, 8), 0, 'latin1');
  DASHED.write(hex.slice(8, 12), 9, 'latin1');
  DASHED.write(hex.slice(12, 16), 14, 'latin1');
  DASHED.write(hex.slice(16, 20), 19, 'latin1');
  DASHED.write(hex.slice(20), 24, 'latin1');
  return DASHED.toString('latin1');
}

/**
 * An entry's history items mostly repeat its current texts and creation time: within one entry,
 * equal plain texts and times are one string and one Date, not one per history item.
 */
export class Shared {
  readonly #texts = new Map<string, string>();
  readonly #dates = new Map<string, Date | null>();

  text(text: string): string {
    const known = this.#texts.get(text);
    if (known !== undefined) return known;
    this.#texts.set(text, text);
    return text;
  }

  date(text: string): Date | null {
    let date = this.#dates.get(text);
    if (date === undefined) {
      date = dateOf(text);
      this.#dates.set(text, date);
    }
    return date;
  }
}

function dateOf(text: string): Date | null {
  if (text === '') return null;
  if (text.indexOf(':') > 0) return new Date(text);
  const bytes = Buffer.from(text, 'base64');
  const seconds = bytes.readUInt32LE(4) * 0x100000000 + bytes.readUInt32LE(0);
  return new Date((seconds - EPOCH_SECONDS) * 1000);
}

