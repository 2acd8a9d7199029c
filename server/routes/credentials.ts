// GET /api/v1/credentials and everything below it: one credential, its versions, one raw field.
import { Router, type Request, type Response } from 'express';
import { badRequest, notFound } from '../errors';
import { totpAt, totpSpecOf } from '../present/totp';
import { methodNotAllowed } from '../http/problems';
import { bool, integer, parseFieldName, NO_PARAMETERS, parseQuery, text, version, type Parsed } from '../http/params';
import { maskedJson, presentCredential, presentVersions, shown } from '../present/credential';
import { Secret, isEmptyValue, type FieldValue } from '../vault/secret';
import type { VaultHolder } from '../vault/holder';
import type { Credential, CredentialVersion, Snapshot } from '../vault/snapshot';
import type { Principal } from '../access/key-ring';
import { versionFor } from '../access/reference-view';
import { createPageCache } from './list-pages';
import { audited, locate, mayRead, principalOf, requireReveal, segmentsOf, snapshotOf } from './lookup';

export interface CredentialsDeps {
  readonly holder: VaultHolder;
  readonly now: () => Date;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export const LIST_QUERY = {
  prefix: text,
  group: text,
  tag: text,
  show_password: bool(false),
  include_expired: bool(true),
  limit: integer(1000, 1, 10000),
  offset: integer(0, 0, 1_000_000_000),
};
export const ONE_QUERY = { version, show_password: bool(false) };
const FIELD_QUERY = { version };
// A Map: `/fields/constructor` must find no standard field, not Object.prototype's.
const STANDARD: ReadonlyMap<string, 'username' | 'password' | 'url' | 'notes'> = new Map([
  ['username', 'username'],
  ['password', 'password'],
  ['url', 'url'],
  ['notes', 'notes'],
]);

/** `a/b/versions` → versions of `a/b`; the route's own suffixes win over entry names (API.md §1). */
type Target =
  | { route: 'credential'; name: string }
  | { route: 'versions'; name: string }
  | { route: 'field'; name: string; field: string }
  | { route: 'totp'; name: string }
  | { route: 'attachment'; name: string; file: string };

export function target(segments: readonly string[]): Target {
  const n = segments.length;
  const last = segments[n - 1] ?? '';
  const name = (drop: number): string => segments.slice(0, n - drop).join('/');
  if (n >= 2 && last === 'versions') return { route: 'versions', name: name(1) };
  if (n >= 3 && segments[n - 2] === 'fields') return { route: 'field', name: name(2), field: last };
  if (n >= 2 && last === 'totp') return { route: 'totp', name: name(1) };
  if (n >= 3 && segments[n - 2] === 'attachments') return { route: 'attachment', name: name(2), file: last };
  return { route: 'credential', name: name(0) };
}

function matchesGroup(credential: Credential, group: string): boolean {
  const wanted = group.replace(/^\/+|\/+$/g, '');
  return wanted === '' || credential.group === wanted || credential.group.startsWith(`${wanted}/`);
}

export type ListQuery = Parsed<typeof LIST_QUERY>;

/** The body of one credential; masked bodies come from the per-snapshot cache. */
export function credentialBody(credential: Credential, chosen: CredentialVersion, reveal: boolean, now: Date): string {
  return reveal ? JSON.stringify(presentCredential(credential, chosen, { reveal: true, now })) : maskedJson(credential, chosen, now);
}

// A 1,000-item page of generated entries is about 0.5 MB, a 10,000-item one about 5 MB.
const pages = createPageCache(16 * 1024 * 1024);

/** The body of a list page, for a key whose reveal right (when asked) was already checked. */
export function listBody(snapshot: Snapshot, principal: Principal, query: ListQuery, now: Date): Buffer {
  const unfiltered = principal.readsEverything && !query.prefix && !query.group && !query.tag && query.include_expired;
  // The common page (`?limit=100`) of a key that reads everything is the same bytes for every such
  // key until an entry on it expires: made once per snapshot, as single masked bodies are.
  if (unfiltered && !query.show_password) return pages.page(snapshot, query.offset, query.limit, now, () => pageOf(snapshot.sorted, query, now));
  const matched = unfiltered ? snapshot.sorted : snapshot.sorted.filter((c) => listed(c, principal, query, now));
  return Buffer.from(pageOf(matched, query, now, (c) => versionFor(principal, c.latest)).body, 'utf8');
}

function listed(c: Credential, principal: Principal, query: ListQuery, now: Date): boolean {
  if (!mayRead(principal, c)) return false;
  const state = c.latest.state;
  if (query.prefix && !c.name.startsWith(query.prefix)) return false;
  if (query.group && !matchesGroup(c, query.group)) return false;
  if (query.tag !== undefined && query.tag !== '' && !state.tags.includes(query.tag)) return false;
  if (!query.include_expired && state.expires !== null && state.expires.getTime() <= now.getTime()) return false;
  return true;
}

/** One page of `matched`, and until when it stays right: the first expiry on it still to come. */
function pageOf(
  matched: readonly Credential[],
  query: ListQuery,
  now: Date,
  latest: (c: Credential) => CredentialVersion = (c) => c.latest,
): { body: string; until: number } {
  const page = matched.slice(query.offset, query.offset + query.limit);
  const items = query.show_password
    ? page.map((c) => JSON.stringify(presentCredential(c, latest(c), { reveal: true, now })))
    : page.map((c) => maskedJson(c, latest(c), now));
  let until = Infinity;
  for (const c of page) {
    const expires = c.latest.state.expires?.getTime();
    if (expires !== undefined && expires > now.getTime() && expires < until) until = expires;
  }
  return { body: `{"credentials":[${items.join(',')}],"count":${matched.length}}`, until };
}

export function credentialsRouter(deps: CredentialsDeps): Router {
  const router = Router();

  function list(req: Request, res: Response): void {
    // `…/credentials/$NAME` with NAME unset must not quietly answer the whole list.
    if ((req.originalUrl.split('?', 1)[0] ?? '').endsWith('/')) throw badRequest('the credential name is empty', 'bad_name');
    const query = parseQuery(LIST_QUERY, req.query);
    const principal = principalOf(req);
    req.audit = { credential: null, version: null, revealed: query.show_password };
    if (query.show_password) requireReveal(principal, 'passwords');
    res.type(JSON_TYPE).send(listBody(snapshotOf(deps.holder), principal, query, deps.now()));
  }

  function one(req: Request, res: Response, name: string): void {
    const query = parseQuery(ONE_QUERY, req.query);
    const { credential, chosen } = locate(req, deps.holder, name, { version: query.version, reveal: query.show_password ? 'passwords' : null });
    res.type(JSON_TYPE).send(credentialBody(credential, chosen, query.show_password, deps.now()));
  }

  function versions(req: Request, res: Response, name: string): void {
    req.routeTemplate = '/api/v1/credentials/{name}/versions';
    parseQuery(NO_PARAMETERS, req.query);
    res.json(presentVersions(locate(req, deps.holder, name).credential));
  }

  function field(req: Request, res: Response, name: string, fieldName: string): void {
    req.routeTemplate = '/api/v1/credentials/{name}/fields/{field}';
    const query = parseQuery(FIELD_QUERY, req.query);
    parseFieldName(fieldName);
    const { principal, credential, chosen, audit } = locate(req, deps.holder, name, { version: query.version });
    const { state } = chosen;
    const standard = STANDARD.get(fieldName);
    let value: FieldValue | undefined;
    if (standard) {
      value = state[standard];
      if (isEmptyValue(value)) throw notFound(`Credential ${credential.path} has no ${standard} set`);
    } else {
      value = Object.hasOwn(state.fields, fieldName) ? state.fields[fieldName] : undefined;
      if (value === undefined) throw notFound(`Credential ${credential.path} has no field ${JSON.stringify(fieldName)}`);
    }
    const secret = value instanceof Secret || standard === 'password';
    if (secret) requireReveal(principal, 'passwords or protected fields');
    audit.revealed = secret;
    res.type('text/plain; charset=utf-8').send(shown(value, true));
  }

  /** The code KeePassXC would show now (API.md §10); it is a secret, so it needs the reveal right. */
  function totp(req: Request, res: Response, name: string): void {
    req.routeTemplate = '/api/v1/credentials/{name}/totp';
    parseQuery(NO_PARAMETERS, req.query);
    const { credential, chosen } = locate(req, deps.holder, name, { reveal: 'TOTP codes' });
    const spec = totpSpecOf(chosen.state.fields);
    if (!spec) throw notFound(`Credential ${credential.path} has no TOTP`);
    res.json(totpAt(spec, deps.now().getTime()));
  }

  function attachment(req: Request, res: Response, name: string, file: string): void {
    req.routeTemplate = '/api/v1/credentials/{name}/attachments/{file}';
    const query = parseQuery(FIELD_QUERY, req.query);
    parseFieldName(file, 'attachment name');
    const { credential, chosen } = locate(req, deps.holder, name, { version: query.version, reveal: 'attachments' });
    const found = chosen.state.attachments.find((a) => a.name === file);
    if (!found) throw notFound(`Credential ${credential.path} has no attachment ${JSON.stringify(file)}`);
    res.attachment(found.name);
    res.type('application/octet-stream').send(Buffer.from(found.bytes));
  }

  router
    .route('/credentials')
    .get(list)
    .all(methodNotAllowed('GET'));

  router
    .route('/credentials/*rest')
    .get(function credentialRoutes(req, res) {
      const to = target(segmentsOf(req));
      // Audited under the name asked for even when the query is refused before the lookup.
      audited(req, to.name);
      switch (to.route) {
        case 'versions':
          return versions(req, res, to.name);
        case 'field':
          return field(req, res, to.name, to.field);
        case 'totp':
          return totp(req, res, to.name);
        case 'attachment':
          return attachment(req, res, to.name, to.file);
        default:
          return one(req, res, to.name);
      }
    })
    .all(methodNotAllowed('GET'));

  return router;
}
