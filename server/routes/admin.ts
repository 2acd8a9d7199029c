// POST /api/v1/admin/reload: read the keys file and open the vault file again now, for admin keys only.
import { Router } from 'express';
import type { Logger } from 'winston';
import type { KeyStore } from '../access/key-ring';
import { reloadKeys, type KeysReload, type KeysSource } from '../access/reload-keys';
import { GatewayError, codeOf, forbidden } from '../errors';
import { methodNotAllowed } from '../http/problems';
import { NO_PARAMETERS, parseQuery } from '../http/params';
import type { Metrics } from '../metrics';
import type { VaultHolder } from '../vault/holder';
import { principalOf } from './lookup';

export interface AdminDeps {
  readonly holder: VaultHolder;
  readonly keys: KeyStore;
  /** Absent: no keys file to read (keys from API_KEY alone). */
  readonly keysSource?: KeysSource | undefined;
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
}

/** How a failed vault reload's detail ends, so a 409 does not hide that the keys did change. */
function keysSentence(keys: KeysReload): string {
  if (keys.status === 'reloaded') return `; the keys file was read again (${keys.count} keys in force)`;
  if (keys.status === 'failed') return `; the keys file did not load either (${keys.code}), and the previous keys stay in force`;
  return '';
}

export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router
    .route('/admin/reload')
    .post(async function reload(req, res) {
      parseQuery(NO_PARAMETERS, req.query);
      const principal = principalOf(req);
      if (!principal.admin) throw forbidden('this API key may not call admin routes');
      if (!deps.holder.canReload) throw new GatewayError('reload_failed', 409, 'this gateway has no vault file to reload');
      // The keys first, whatever becomes of the vault: with RELOAD=off this is the only way to rotate
      // a key, and revoking a leaked one must not wait for a vault file that fails to open.
      const context = { request_id: req.requestId, key: principal.name };
      const keys = reloadKeys(deps.keys, deps.keysSource, { logger: deps.logger, metrics: deps.metrics, context });
      let entries: number;
      try {
        const snapshot = await deps.holder.reload();
        entries = snapshot.info.entries;
        deps.logger.info('vault reloaded', { ...context, entries, keys_reload: keys.status });
      } catch (error) {
        // VaultOpenError and the loader's LoadError both carry kdbxweb's (or the file system's) code.
        const code = codeOf(error);
        const message = error instanceof Error ? error.message : String(error);
        deps.logger.warn('vault reload failed; the last good vault stays served', { request_id: req.requestId, code, reason: message });
        // §13.11: 409 with kdbxweb's code; the last good snapshot stays in force.
        throw new GatewayError('reload_failed', 409, `reload failed (${code}): ${message}; the last good vault is still served${keysSentence(keys)}`, {
          extras: { keys },
        });
      }
      // A revocation that did not take is a failed reload, however well the vault went: a script
      // that reads only the status must not take the old keys for gone.
      if (keys.status === 'failed') {
        throw new GatewayError('reload_failed', 409, `the keys file did not load (${keys.code}): ${keys.detail}; the vault was reloaded (${entries} ${entries === 1 ? 'entry' : 'entries'})`, {
          extras: { entries, keys },
        });
      }
      res.json({ status: 'reloaded', entries, keys });
    })
    .all(methodNotAllowed('POST'));
  return router;
}
