// Carries a read vault across a worker boundary: Secret wrappers do not survive a structured clone.
import { Secret, type FieldValue } from './secret';
import type { EntryState } from './snapshot';
import type { EntryRecord } from './versions';
import type { VaultRead } from './open';

/** A protected value in transit: marked, so it is wrapped in a Secret again on arrival. */
type Wire = string | { readonly secret: string };

const toWire = (value: FieldValue): Wire => (value instanceof Secret ? { secret: value.reveal() } : value);
const fromWire = (value: Wire): FieldValue => (typeof value === 'string' ? value : new Secret(value.secret));

function mapState(state: EntryState, map: (value: never) => unknown): EntryState {
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(state.fields)) fields[name] = map(value as never);
  return {
    ...state,
    username: map(state.username as never),
    password: map(state.password as never),
    url: map(state.url as never),
    notes: map(state.notes as never),
    fields,
  } as unknown as EntryState;
}

function mapRecords(records: readonly EntryRecord[], map: (value: never) => unknown, freeze: boolean): EntryRecord[] {
  const state = (s: EntryState): EntryState => {
    const out = mapState(s, map);
    if (freeze) {
      Object.freeze(out.fields);
      Object.freeze(out);
    }
    return out;
  };
  return records.map((r) => ({ ...r, current: state(r.current), history: r.history.map(state) }));
}

/** Records ready to post: protected values marked rather than wrapped. */
export const encodeRecords = (records: readonly EntryRecord[]): EntryRecord[] => mapRecords(records, toWire, false);
/** Records as posted, with their protected values wrapped in Secrets again. */
export const decodeRecords = (records: readonly EntryRecord[]): EntryRecord[] => mapRecords(records, fromWire, true);

export const encodeRead = (read: VaultRead): VaultRead => ({ ...read, all: encodeRecords(read.all) });
export const decodeRead = (data: VaultRead): VaultRead => ({ ...data, all: decodeRecords(data.all) });
