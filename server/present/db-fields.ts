// Reads an entry's custom fields: a blank one counts as absent, and `sslmode` and `param.*` become URL parameters.
import { unprocessable } from '../errors';

/** Custom fields by name, values as the caller wants them written. */
export type Fields = Readonly<Record<string, string>>;

const PARAM_PREFIX = 'param.';

export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A blank custom field is treated as absent: KeePass keeps fields a user cleared but did not delete. */
export function field(fields: Fields, name: string): string | null {
  const value = own(fields, name);
  return value === undefined || value.trim() === '' ? null : value;
}

/** For fields that name things (dialect, port, …), where stray spaces are never meant. */
export function trimmedField(fields: Fields, name: string): string | null {
  return field(fields, name)?.trim() ?? null;
}

/** The URL's own parameters keep their places; a field of the same name replaces the value where it stands. */
export function queryParams(query: string, fields: Fields): URLSearchParams {
  const params = new URLSearchParams(query);
  // The caller masks only the password it passes; a copy in the URL's query would slip past that.
  for (const name of [...params.keys()]) if (name.toLowerCase() === 'password') params.delete(name);
  const sslmode = trimmedField(fields, 'sslmode');
  if (sslmode !== null) params.set('sslmode', sslmode);
  for (const [name, value] of paramFields(fields)) params.set(name, value);
  return params;
}

function paramFields(fields: Fields): Array<[string, string]> {
  const keys = Object.keys(fields).filter((key) => key.startsWith(PARAM_PREFIX)).sort();
  return keys.flatMap((key): Array<[string, string]> => {
    const name = key.slice(PARAM_PREFIX.length);
    if (name === '') {
      throw unprocessable("the entry's custom field `param.` has no parameter name; name it `param.<name>`");
    }
    const value = field(fields, key);
    return value === null ? [] : [[name, value]];
  });
}
