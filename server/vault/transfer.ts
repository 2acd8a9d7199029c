// Carries a read vault across a worker boundary: Secret wrappers do not survive a structured clone.
import { NONE, NO_FIELDS } from './entry-state';
import { Secret, type FieldValue } from './secret';
import type { Credential, CredentialVersion, EntryState, ReferenceField, ReferenceSource, ReferenceTarget } from './snapshot';
import type { VaultRead } from './vault-info';
import type { EntryRecord } from './versions';

/** A protected value in transit: marked, so it is wrapped in a Secret again on arrival. */
export type Wire = string | { readonly secret: string };

type Valued = 'username' | 'password' | 'url' | 'notes';
/** An entry state whose field values are of type V: FieldValue in the vault, Wire in transit. */
type SourceOf<V> = ReferenceField & { readonly literal: V; readonly targets: readonly ReferenceTarget[] };
type StateOf<V> = Omit<EntryState, Valued | 'fields' | 'references'> & { readonly [K in Valued]: V } & {
  readonly fields: Readonly<Record<string, V>>;
  readonly references?: readonly SourceOf<V>[];
};
type RecordOf<V> = Omit<EntryRecord, 'current' | 'history'> & { readonly current: StateOf<V>; readonly history: readonly StateOf<V>[] };
export type WireRecord = RecordOf<Wire>;
type VersionOf<V> = Omit<CredentialVersion, 'state'> & { readonly state: StateOf<V> };
/** A credential in transit: its latest version is the last one, as in the vault. */
export type WireCredential = Omit<Credential, 'versions' | 'latest'> & { readonly versions: readonly VersionOf<Wire>[] };

const toWire = (value: FieldValue): Wire => (value instanceof Secret ? { secret: value.reveal() } : value);
const fromWire = (value: Wire): FieldValue => (typeof value === 'string' ? value : new Secret(value.secret));

function mapState<A, B>(state: StateOf<A>, map: (value: A) => B): StateOf<B> {
  let fields = NO_FIELDS as Readonly<Record<string, B>>;
  for (const name in state.fields) {
    if (fields === NO_FIELDS) fields = Object.create(null) as Record<string, B>;
    (fields as Record<string, B>)[name] = map(state.fields[name] as A);
  }
  const { references, ...rest } = state;
  const mapped = { ...rest, username: map(state.username), password: map(state.password), url: map(state.url), notes: map(state.notes), fields };
  return references ? { ...mapped, references: references.map((source) => ({ ...source, literal: map(source.literal) })) } : mapped;
}

/**
 * A state as posted, Secrets wrapped again and frozen as in the vault; empty lists shared again.
 * Built in one object, not spread twice: on a reload every allocation here lands on the main
 * thread's young generation, and fewer of them mean shorter scavenges.
 */
function decodeState(wire: StateOf<Wire>): EntryState {
  let fields = NO_FIELDS;
  for (const name in wire.fields) {
    if (fields === NO_FIELDS) fields = Object.create(null) as Record<string, FieldValue>;
    (fields as Record<string, FieldValue>)[name] = fromWire(wire.fields[name] as Wire);
  }
  const state = {
    title: wire.title,
    username: fromWire(wire.username),
    password: fromWire(wire.password),
    url: fromWire(wire.url),
    notes: fromWire(wire.notes),
    fields: fields === NO_FIELDS ? fields : Object.freeze(fields),
    tags: wire.tags.length === 0 ? NONE : wire.tags,
    created: wire.created,
    modified: wire.modified,
    expires: wire.expires,
    otp: wire.otp,
    attachments: wire.attachments.length === 0 ? NONE : wire.attachments,
  };
  if (!wire.references) return Object.freeze(state);
  const references = wire.references.map((source): ReferenceSource => Object.freeze({ ...source, literal: fromWire(source.literal), targets: Object.freeze(source.targets) }));
  return Object.freeze({ ...state, references: Object.freeze(references) });
}

const encodeState = (state: EntryState): StateOf<Wire> => mapState(state, toWire);

function mapRecord<A, B>(record: RecordOf<A>, map: (state: StateOf<A>) => StateOf<B>): RecordOf<B> {
  return { ...record, current: map(record.current), history: record.history.map(map) };
}

/** Records ready to post: protected values marked rather than wrapped. */
export const encodeRecords = (records: readonly EntryRecord[]): WireRecord[] => records.map((r) => mapRecord(r, encodeState));

/** Records as posted, with their protected values wrapped in Secrets again, frozen as in the vault. */
export const decodeRecords = (records: readonly WireRecord[]): EntryRecord[] => records.map((r) => mapRecord(r, decodeState));

export const encodeRead = (read: VaultRead): Omit<VaultRead, 'all'> & { all: WireRecord[] } => ({ ...read, all: encodeRecords(read.all) });
export const decodeRead = (data: Omit<VaultRead, 'all'> & { all: readonly WireRecord[] }): VaultRead => ({ ...data, all: decodeRecords(data.all) });

/** Credentials ready to post. */
export const encodeCredentials = (credentials: readonly Credential[]): WireCredential[] =>
  credentials.map(({ latest: _latest, versions, ...rest }) => ({
    ...rest,
    versions: versions.map((v) => ({ number: v.number, uuid: v.uuid, state: encodeState(v.state) })),
  }));

/** Credentials as posted, frozen as buildCredentials makes them. */
export const decodeCredentials = (credentials: readonly WireCredential[]): Credential[] =>
  credentials.map((wire) => {
    const versions = Object.freeze(wire.versions.map((v) => Object.freeze({ number: v.number, uuid: v.uuid, state: decodeState(v.state) })));
    const latest = versions[versions.length - 1];
    if (!latest) throw new Error(`credential ${wire.name} arrived with no versions`);
    return Object.freeze({ ...wire, versions, latest });
  });
