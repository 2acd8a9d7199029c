// Keys past their expires date: named at start-up and on each reload, and refused at start-up when no other key is left.
import type { KeyRing } from './key-ring';
import { fileKeyHolder } from './keys-file';

// A date alone is valid through that day (UTC), so it ends at its last millisecond: said as the day written.
function whenEnded(expires: Date): string {
  const iso = expires.toISOString();
  return iso.endsWith('T23:59:59.999Z') ? `at the end of ${iso.slice(0, 10)} UTC` : `at ${iso}`;
}

/** One warning per expired key, by its name (never the key): it is kept, and every request with it gets 401. */
export function expiredKeyWarnings(ring: KeyRing, now: Date): string[] {
  return ring.expiredAt(now).map(({ name, expires }) => `${fileKeyHolder(name)} expired ${whenEnded(expires)}; requests with it get 401 until its expires date is moved on`);
}

/**
 * Why start-up stops when every key has expired (API.md §4: at least one key must exist), or null.
 * A gateway that starts so is ready by every probe and answers every request 401. Only the keys
 * file's keys expire, so `file` holds them all.
 */
export function noLiveKeyProblem(ring: KeyRing, now: Date, file: string): string | null {
  const expired = ring.expiredAt(now);
  if (expired.length < ring.size) return null;
  const named = expired.slice(0, 3).map(({ name, expires }) => `'${name}' ${whenEnded(expires)}`);
  const more = expired.length > named.length ? ` and ${expired.length - named.length} more` : '';
  return `every key in ${file} has expired (${named.join(', ')}${more}); move an expires date on, or add a key (\`kdbx-gateway keygen\` makes one)`;
}
