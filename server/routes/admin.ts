// POST /api/v1/admin/reload: open the vault file again now, for admin keys only.
import { Router } from 'express';
import type { Logger } from 'winston';
import { GatewayError, forbidden } from '../errors';
import { methodNotAllowed } from '../http/problems';
import { NO_PARAMETERS, parseQuery } from '../http/params';
import type { VaultHolder } from '../vault/holder';
import { principalOf } from './lookup';

export function adminRouter(deps: { holder: VaultHolder; logger: Logger }): Router {
  const router = Router();
  router
    .route('/admin/reload')
    .post(async function reload(req, res) {
      parseQuery(NO_PARAMETERS, req.query);
      const principal = principalOf(req);
      if (!principal.admin) throw forbidden('this API key may not call admin routes');
      if (!deps.holder.canReload) throw new GatewayError('reload_failed', 409, 'this gateway has no vault file to reload');
      try {
        const snapshot = await deps.holder.reload();
        deps.logger.info('vault reloaded', { request_id: req.requestId, key: principal.name, entries: snapshot.info.entries });
        res.json({ status: 'reloaded', entries: snapshot.info.entries });
      } catch (error) {
        // VaultOpenError and the loader's LoadError both carry kdbxweb's (or the file system's) code.
        const code = typeof (error as { code?: unknown }).code === 'string' ? String((error as { code: string }).code) : 'Unknown';
        const message = error instanceof Error ? error.message : String(error);
        deps.logger.warn('vault reload failed; the last good vault stays served', { request_id: req.requestId, code, reason: message });
        // §13.11: 409 with kdbxweb's code; the last good snapshot stays in force.
        throw new GatewayError('reload_failed', 409, `reload failed (${code}): ${message}; the last good vault is still served`);
      }
    })
    .all(methodNotAllowed('POST'));
  return router;
}
