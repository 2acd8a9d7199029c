// Carries a read vault across a worker boundary: Secret wrappers do not survive a structured clone.
import { Secret, type FieldValue } from './secret';
import type { EntryState } from './snapshot';
import type { EntryRecord } from './versions';
import type { VaultRead } from './vault-info';

/** A protected value in transit: marked, so it is wrapped in a Secret again on arrival. */
export type Wire = string | { readonly secret: string };

type Valued = 'username' | 'password' | 'url' | 'notes';
/** An entry state whose field values are of type V: FieldValue in the vault, Wire in transit. */
type StateOf<V> = Omit<EntryState, Valued | 'fields'> & { readonly [K in Valued]: V } & { readonly fields: Readonly<Record<string, V>> };
type RecordOf<V> = Omit<EntryRecord, 'current' | 'history'> & { readonly current: StateOf<V>; readonly history: readonly StateOf<V>[] };
export type WireRecord = RecordOf<Wire>;

const toWire = (value: FieldValue): Wire => (value instanceof Secret ? { secret: value.reveal() } : value);
const fromWire = (value: Wire): FieldValue => (typeof value === 'string' ? value : new Secret(value.secret));

function mapState<A, B>(state: StateOf<A>, map: (value: A) => B): StateOf<B> {
  const fields: Record<string, B> = Object.create(null) as Record<string, B>;
  for (const [name, value] of Object.entries(state.fields)) fields[name] = map(value);
  return { ...state, username: map(state.username), password: map(state.password), url: map(state.url), notes: map(state.notes), fields };
}

function mapRecord<A, B>(record: RecordOf<A>, map: (state: StateOf<A>) => StateOf<B>): RecordOf<B> {
  return { ...record, current: map(record.current), history: record.history.map(map) };
}

/** Records ready to post: protected values marked rather than wrapped. */
export const encodeRecords = (records: readonly EntryRecord[]): WireRecord[] =>
  records.map((r) => mapRecord(r, (s) => mapState(s, toWire)));

/** Records as posted, with their protected values wrapped in Secrets again, frozen as in the vault. */
export const decodeRecords = (records: readonly WireRecord[]): EntryRecord[] =>
  records.map((r) =>
    mapRecord(r, (s) => {
      const state = mapState(s, fromWire);
      Object.freeze(state.fields);
      return Object.freeze(state);
    }),
  );

export const encodeRead = (read: VaultRead): Omit<VaultRead, 'all'> & { all: WireRecord[] } => ({ ...read, all: encodeRecords(read.all) });
export const decodeRead = (data: Omit<VaultRead, 'all'> & { all: readonly WireRecord[] }): VaultRead => ({ ...data, all: decodeRecords(data.all) });
