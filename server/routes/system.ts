// Probes that need no key: /health (and mattstash's /api/health) and /ready.
import { Router, type RequestHandler } from 'express';
import { methodNotAllowed } from '../http/problems';
import { NO_PARAMETERS, parseQuery } from '../http/params';
import type { Metrics } from '../metrics';
import type { VaultHolder } from '../vault/holder';

export function systemRouter(deps: { holder: VaultHolder; version: string; metrics?: Metrics | undefined }): Router {
  const router = Router();
  const healthy = JSON.stringify({ status: 'healthy', version: deps.version });

  const health: RequestHandler = function health(req, res) {
    parseQuery(NO_PARAMETERS, req.query);
    res.type('application/json').send(healthy);
  };

  // A probe's answer, not an API error: plain JSON even when not ready (API.md §13.25).
  const ready: RequestHandler = function ready(req, res) {
    parseQuery(NO_PARAMETERS, req.query);
    const reason = deps.holder.notReadyReason();
    if (reason === null) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not_ready', reason });
  };

  router.route('/health').get(health).all(methodNotAllowed('GET'));
  router.route('/api/health').get(health).all(methodNotAllowed('GET'));
  router.route('/ready').get(ready).all(methodNotAllowed('GET'));
  if (deps.metrics) {
    const metrics = deps.metrics.handler();
    const scrape: RequestHandler = function scrape(req, res, next) {
      parseQuery(NO_PARAMETERS, req.query);
      metrics(req, res, next);
    };
    router.route('/metrics').get(scrape).all(methodNotAllowed('GET'));
  }
  return router;
}
