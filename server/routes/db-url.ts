// GET /api/v1/db-url/{name}: a ready database URL built from a credential (API.md §5).
import { Router } from 'express';
import { methodNotAllowed } from '../http/problems';
import { bool, oneOf, parseQuery, text, version } from '../http/params';
import { buildDbUrl } from '../present/db-url';
import { shown } from '../present/credential';
import { isEmptyValue } from '../vault/secret';
import type { VaultHolder } from '../vault/holder';
import { locate, segmentsOf } from './lookup';

const QUERY = {
  dialect: text,
  driver: text,
  database: text,
  mask_password: bool(true),
  format: oneOf(['url', 'jdbc'], 'url'),
  version,
};

export function dbUrlRouter(deps: { holder: VaultHolder }): Router {
  const router = Router();
  router
    .route('/db-url/*rest')
    .get(function dbUrl(req, res) {
      const query = parseQuery(QUERY, req.query);
      const reveal = !query.mask_password;
      const { state } = locate(req, deps.holder, segmentsOf(req).join('/'), { version: query.version, reveal: reveal ? 'passwords' : null }).chosen;
      const fields: Record<string, string> = {};
      for (const [name, value] of Object.entries(state.fields)) fields[name] = shown(value, reveal);
      const built = buildDbUrl(
        {
          username: isEmptyValue(state.username) ? null : shown(state.username, reveal),
          password: isEmptyValue(state.password) ? null : shown(state.password, reveal, true),
          url: isEmptyValue(state.url) ? null : shown(state.url, reveal),
          fields,
        },
        { dialect: query.dialect || undefined, driver: query.driver || undefined, database: query.database || undefined, format: query.format },
      );
      if (req.accepts(['application/json', 'text/plain']) === 'text/plain') {
        res.type('text/plain; charset=utf-8').send(built.url);
        return;
      }
      res.json(built);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
