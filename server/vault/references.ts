// Resolves KeePass field references `{REF:<F>@<S>:<text>}` once, when the snapshot is built.
import { Secret, textOf, type FieldValue } from './secret';
import type { EntryState, ReferenceField, ReferenceSource, ReferenceTarget } from './snapshot';
import { joinPath, parseMattstashTitle, type EntryRecord } from './versions';

const REFERENCE = /\{REF:([TUPANI])@([TUPANI]):([^}]+)\}/gi;
const MAX_DEPTH = 10;
const STANDARD = { T: 'title', U: 'username', P: 'password', A: 'url', N: 'notes' } as const;
type Code = keyof typeof STANDARD | 'I';

/** A reference target: the entry's current state, the UUID form references use (32 hex digits), and how policies name it. */
interface Target {
  readonly id: string;
  readonly state: EntryState;
  readonly named: ReferenceTarget;
}

class Unresolvable extends Error {}

/**
 * Looks entries up the way KeePassXC does: an exact match on the field (UUID without dashes, any
 * case), the first entry in tree order winning. Recycled entries are targets too, as in KeePassXC.
 */
function indexTargets(targets: readonly Target[]): Map<string, Target> {
  const index = new Map<string, Target>();
  for (const target of targets) {
    index.set(`I:${target.id}`, target);
    for (const [code, field] of Object.entries(STANDARD)) {
      const key = `${code}:${textOf(target.state[field])}`;
      if (!index.has(key)) index.set(key, target);
    }
  }
  return index;
}

function fieldOf(target: Target, code: Code): FieldValue {
  return code === 'I' ? target.id : target.state[STANDARD[code]];
}

/**
 * A chain is followed up to 10 deep; a reference that finds nothing stays literal where it is, and
 * one that leads back into itself (or too deep) stays literal in the field that holds it.
 */
function resolveValue(value: FieldValue, index: Map<string, Target>, seen: ReadonlySet<string>, depth: number, used: Set<ReferenceTarget>): FieldValue {
  const text = textOf(value);
  if (!text.includes('{') || !/\{REF:/i.test(text)) return value;
  let secret = value instanceof Secret;
  const resolved = text.replace(REFERENCE, (literal, wanted: string, searchIn: string, term: string) => {
    const key = searchIn.toUpperCase() === 'I' ? `I:${term.replace(/-/g, '').toLowerCase()}` : `${searchIn.toUpperCase()}:${term}`;
    const target = index.get(key);
    if (!target) return literal;
    const wantedCode = wanted.toUpperCase() as Code;
    const visit = `${target.id}:${wantedCode}`;
    if (seen.has(visit) || depth >= MAX_DEPTH) throw new Unresolvable();
    used.add(target.named);
    const inner = resolveValue(fieldOf(target, wantedCode), index, new Set([...seen, visit]), depth + 1, used);
    // A password is secret wherever it is copied, even one the vault stores unprotected.
    if (inner instanceof Secret || wantedCode === 'P') secret = true;
    return textOf(inner);
  });
  // Whatever a protected value contributed stays protected: a username that copies a password is masked.
  return secret ? new Secret(resolved) : resolved;
}

function resolveTop(value: FieldValue, index: Map<string, Target>, self: string, used: Set<ReferenceTarget>): FieldValue {
  try {
    return resolveValue(value, index, new Set([self]), 0, used);
  } catch (error) {
    if (error instanceof Unresolvable) return value;
    throw error;
  }
}

function resolveState(state: EntryState, index: Map<string, Target>, id: string): EntryState {
  const sources: ReferenceSource[] = [];
  const resolve = (value: FieldValue, self: string, where: ReferenceField): FieldValue => {
    const used = new Set<ReferenceTarget>();
    const resolved = resolveTop(value, index, self, used);
    if (resolved !== value && used.size > 0) sources.push(Object.freeze<ReferenceSource>({ ...where, literal: value, targets: Object.freeze([...used]) }));
    return resolved;
  };
  const fields: Record<string, FieldValue> = Object.create(null) as Record<string, FieldValue>;
  for (const [name, value] of Object.entries(state.fields)) fields[name] = resolve(value, `${id}:${name}`, { custom: true, field: name });
  const resolved = {
    ...state,
    username: resolve(state.username, `${id}:U`, { custom: false, field: 'username' }),
    password: resolve(state.password, `${id}:P`, { custom: false, field: 'password' }),
    url: resolve(state.url, `${id}:A`, { custom: false, field: 'url' }),
    notes: resolve(state.notes, `${id}:N`, { custom: false, field: 'notes' }),
    fields: Object.freeze(fields),
  };
  return Object.freeze(sources.length === 0 ? resolved : { ...resolved, references: Object.freeze(sources) });
}

/** How a policy names the credential an entry belongs to: a mattstash `base@N` entry by its base. */
function namedAs(record: EntryRecord, recycled: boolean): ReferenceTarget {
  const name = parseMattstashTitle(record.current.title)?.base ?? record.current.title;
  return Object.freeze({ name, path: joinPath(record.group, name), recycled });
}

const mentionsReference = (state: EntryState): boolean =>
  [state.username, state.password, state.url, state.notes, ...Object.values(state.fields)].some((v) => /\{REF:/i.test(textOf(v)));

/** Returns the records with every reference resolved; `all` lists every entry in tree order, recycled ones included. */
export function resolveReferences(records: readonly EntryRecord[], all: readonly EntryRecord[]): EntryRecord[] {
  if (!all.some((r) => mentionsReference(r.current) || r.history.some(mentionsReference))) return [...records];
  // `records` are the live entries; the rest of `all` is in the Recycle Bin.
  const live = new Set(records);
  const index = indexTargets(all.map((r) => ({ id: r.uuid.replace(/-/g, ''), state: r.current, named: namedAs(r, !live.has(r)) })));
  return records.map((record) => {
    const id = record.uuid.replace(/-/g, '');
    return {
      ...record,
      current: resolveState(record.current, index, id),
      history: record.history.map((state) => resolveState(state, index, id)),
    };
  });
}
