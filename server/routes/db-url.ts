// GET /api/v1/db-url/{name}: a ready database URL built from a credential (API.md §5).
import { Router } from 'express';
import { badRequest, unprocessable } from '../errors';
import { methodNotAllowed } from '../http/problems';
import { bool, oneOf, parseQuery, text, version, type Parsed } from '../http/params';
import { buildDbUrl, type DbUrl } from '../present/db-url';
import { shown } from '../present/credential';
import { Secret, isEmptyValue } from '../vault/secret';
import type { VaultHolder } from '../vault/holder';
import type { EntryState } from '../vault/snapshot';
import { audited, locate, segmentsOf } from './lookup';

export const DB_URL_QUERY = {
  dialect: text,
  driver: text,
  database: text,
  mask_password: bool(true),
  format: oneOf(['url', 'jdbc'], 'url'),
  version,
};

// Values the URL is worked out from rather than written as they are: a masked one cannot be parsed.
const STRUCTURAL_FIELDS = ['port', 'dialect', 'driver'] as const;

/**
 * A protected value the URL's shape depends on (KeePass can protect the URL field) cannot be
 * masked without hiding the host or port, nor used unmasked without revealing it: a masked URL
 * is refused, saying so, rather than parsed from asterisks.
 */
function refuseMaskedStructure(state: EntryState): void {
  const protectedPart = state.url instanceof Secret ? 'URL field' : STRUCTURAL_FIELDS.find((name) => Object.hasOwn(state.fields, name) && state.fields[name] instanceof Secret);
  if (protectedPart === undefined) return;
  const what = protectedPart === 'URL field' ? "the entry's URL field is" : `the entry's ${protectedPart} field is`;
  throw unprocessable(`${what} protected, so a masked URL cannot be built from it; ask with mask_password=false (needs the reveal right)`);
}

/** The URL for one entry version; passwords are written only when `mask_password=false` was allowed. */
export function dbUrlOf(state: EntryState, query: Parsed<typeof DB_URL_QUERY>): DbUrl {
  const reveal = !query.mask_password;
  if (!reveal) refuseMaskedStructure(state);
  // No prototype: a custom field may be named `__proto__`.
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(state.fields)) fields[name] = shown(value, reveal);
  return buildDbUrl(
    {
      username: isEmptyValue(state.username) ? null : shown(state.username, reveal),
      password: isEmptyValue(state.password) ? null : shown(state.password, reveal, true),
      url: isEmptyValue(state.url) ? null : shown(state.url, reveal),
      fields,
    },
    { dialect: query.dialect || undefined, driver: query.driver || undefined, database: query.database || undefined, format: query.format },
  );
}

export function dbUrlRouter(deps: { holder: VaultHolder }): Router {
  const router = Router();
  // `…/db-url/$NAME` with NAME unset is an empty name, 400 as `…/credentials/` is; `…/db-url`
  // without the slash stays an unknown route.
  router.use('/db-url', function emptyDbUrlName(req, _res, next) {
    const asked = req.originalUrl.split('?', 1)[0] ?? '';
    if (req.path === '/' && asked.endsWith('/') && (req.method === 'GET' || req.method === 'HEAD')) throw badRequest('the credential name is empty', 'bad_name');
    next();
  });
  router
    .route('/db-url/*rest')
    .get(function dbUrl(req, res) {
      const name = segmentsOf(req).join('/');
      // Audited under the name asked for even when the query is refused before the lookup.
      audited(req, name);
      const query = parseQuery(DB_URL_QUERY, req.query);
      const reveal = !query.mask_password;
      const { state } = locate(req, deps.holder, name, { version: query.version, reveal: reveal ? 'passwords' : null }).chosen;
      const built = dbUrlOf(state, query);
      // `text/plain; charset=utf-8` too: a media range with parameters matches only an offer with the same ones.
      const wanted = req.accepts(['application/json', 'text/plain', 'text/plain; charset=utf-8']);
      if (typeof wanted === 'string' && wanted.startsWith('text/plain')) {
        res.type('text/plain; charset=utf-8').send(built.url);
        return;
      }
      res.json(built);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
