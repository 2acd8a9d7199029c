// The steps every credential route shares: the snapshot in force, a name resolved to one credential.
import type { Request } from 'express';
import { GatewayError, forbidden, notFound } from '../errors';
import { parseName, type NameRef } from '../http/params';
import type { VaultHolder } from '../vault/holder';
import { findByName, type Credential, type CredentialVersion, type Snapshot } from '../vault/snapshot';
import { formatVersion, pickVersion } from '../vault/versions';
import type { Principal } from '../access/key-ring';
import { versionFor } from '../access/reference-view';
import type { AuditInfo } from '../http/context';

export function snapshotOf(holder: VaultHolder): Snapshot {
  const snapshot = holder.current();
  if (!snapshot) throw new GatewayError('not_ready', 503, 'the vault is not loaded yet', { headers: { 'Retry-After': '1' } });
  return snapshot;
}

/** The decoded segments of a `*rest` wildcard: literal slashes split them, `%2F` stays inside one. */
export function segmentsOf(req: Request): string[] {
  const rest: unknown = req.params['rest'];
  if (Array.isArray(rest)) return rest.map(String);
  return typeof rest === 'string' ? [rest] : [];
}

/** Starts the audit record of a request that names a credential; handlers fill in what they resolve. */
export function audited(req: Request, name: string, version?: number): AuditInfo {
  const audit: AuditInfo = { credential: name, version: version === undefined ? null : formatVersion(version), revealed: false };
  req.audit = audit;
  return audit;
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new GatewayError('unauthorized', 401, 'an API key is required');
  return req.principal;
}

export function requireReveal(principal: Principal, what: string): void {
  if (!principal.reveal) throw forbidden(`this API key may not reveal ${what}`);
}

export const mayRead = (principal: Principal, credential: Credential): boolean =>
  principal.canRead(credential.name, credential.path);

/**
 * A key that may not read a name gets the same 403 whether or not it exists (API.md §4), so the
 * answer is no oracle for names outside the key's policy.
 */
function refused(name: string): GatewayError {
  return forbidden(`this API key may not read ${name}`);
}

const readable = (snapshot: Snapshot, name: string, principal: Principal): readonly Credential[] =>
  findByName(snapshot, name).filter((c) => mayRead(principal, c));

const ROUTE_SUFFIX = /^(.+)\/(?:versions|totp|attachments|fields\/[^/]+)$/;

/**
 * A hint for a name that ends with a slash (`…/db-prod/`, `…/db-prod/versions/`): the slash is part
 * of the name, and only where dropping it finds a credential this key may read is that said.
 */
function trailingSlashHint(snapshot: Snapshot, name: string, principal: Principal): string {
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed === name || trimmed === '') return '';
  const owner = ROUTE_SUFFIX.exec(trimmed)?.[1];
  const found = readable(snapshot, trimmed, principal).length > 0 || (owner !== undefined && readable(snapshot, owner, principal).length > 0);
  return found ? ' (the trailing slash is part of the name; ask without it)' : '';
}

/**
 * One credential for a name, path or uuid that the key may read: 404 when none, 403 when the key
 * may not read it, 409 with the readable candidates when several.
 */
export function resolve(snapshot: Snapshot, ref: NameRef, principal: Principal): Credential {
  if (ref.kind === 'uuid') {
    const found = snapshot.byUuid.get(ref.uuid);
    if (found && mayRead(principal, found)) return found;
    if (found || !principal.readsEverything) throw refused(`uuid:${ref.uuid}`);
    throw notFound(`Credential not found: uuid:${ref.uuid}`);
  }
  const candidates = readable(snapshot, ref.name, principal);
  const [first] = candidates;
  if (!first) {
    // Entries the key may not read answer as no entry would: a deny rule must not become an oracle.
    // Read as a path: a group glob then covers a missing name below its group as it would an entry there.
    if (principal.canRead(ref.name.slice(ref.name.lastIndexOf('/') + 1), ref.name)) throw notFound(`Credential not found: ${ref.name}${trailingSlashHint(snapshot, ref.name, principal)}`);
    throw refused(ref.name);
  }
  if (candidates.length === 1) return first;
  // A candidate's path is offered only where asking for it finds that one alone: a root entry's path
  // is its title, and entries may share a path as well as a title. Otherwise its UUID is.
  const addresses = candidates.map((c) => (readable(snapshot, c.path, principal).length === 1 ? c.path : `uuid:${c.uuid}`));
  throw new GatewayError(
    'ambiguous_name',
    409,
    `${candidates.length} credentials are named ${ref.name}; ask for one of: ${addresses.join(', ')}`,
    { extras: { candidates: addresses } },
  );
}

export function versionOf(credential: Credential, number: number | undefined): CredentialVersion {
  const version = pickVersion(credential, number);
  if (!version) {
    throw notFound(`Credential ${credential.path} has no version ${formatVersion(number ?? 0)}`);
  }
  return version;
}

export interface Located {
  readonly principal: Principal;
  readonly credential: Credential;
  readonly chosen: CredentialVersion;
  readonly audit: AuditInfo;
}

/**
 * The steps every route that names a credential takes, in the order that keeps answers honest:
 * the name's form is checked, the reveal right (when the request needs it) before the lookup, so a
 * key without it gets 403 whether or not the name exists, then the policy, then the version.
 */
export function locate(
  req: Request,
  holder: VaultHolder,
  name: string,
  options: { version?: number | undefined; reveal?: string | null } = {},
): Located {
  const principal = principalOf(req);
  const audit = audited(req, name, options.version);
  const ref = parseName(name);
  if (options.reveal) requireReveal(principal, options.reveal);
  const credential = resolve(snapshotOf(holder), ref, principal);
  audit.credential = credential.path;
  const chosen = versionFor(principal, versionOf(credential, options.version));
  audit.version = formatVersion(chosen.number);
  audit.revealed = Boolean(options.reveal);
  return { principal, credential, chosen, audit };
}
