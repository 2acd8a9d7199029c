// What a key sees of an entry version whose values came through field references: only what its policy covers.
import type { FieldValue } from '../vault/secret';
import type { CredentialVersion, EntryState, ReferenceSource } from '../vault/snapshot';
import type { Principal } from './key-ring';

// A recycled entry's path (`Recycle Bin/…`) would slip past deny globs written for where it was.
const covers = (principal: Principal, source: ReferenceSource): boolean => source.targets.every((t) => !t.recycled && principal.canRead(t.name, t.path));

/**
 * A reference hands on another entry's value, so a key sees the value only where its policy covers
 * every entry it drew on; elsewhere the field shows its text as stored (`{REF:…}`), as a reference
 * that finds nothing does. Most versions have no references, and most keys read everything: both
 * get the version itself, so cached bodies stay shared.
 */
export function versionFor(principal: Principal, version: CredentialVersion): CredentialVersion {
  const sources = version.state.references;
  if (sources === undefined || principal.readsEverything) return version;
  const hidden = sources.filter((source) => !covers(principal, source));
  if (hidden.length === 0) return version;
  const state: { -readonly [K in keyof EntryState]: EntryState[K] } = { ...version.state };
  let fields: Record<string, FieldValue> | null = null;
  for (const source of hidden) {
    if (source.custom) {
      fields ??= Object.assign(Object.create(null) as Record<string, FieldValue>, version.state.fields);
      fields[source.field] = source.literal;
    } else {
      state[source.field] = source.literal;
    }
  }
  if (fields) state.fields = Object.freeze(fields);
  return Object.freeze({ ...version, state: Object.freeze(state) });
}
