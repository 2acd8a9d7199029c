// Builds the Express app from plain arguments; no I/O here, so tests build it exactly as main does.
import cors from 'cors';
import express, { type Express } from 'express';
import { MemoryStore, type Store } from 'express-rate-limit';
import type { RequestListener } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { Logger } from 'winston';
import { identify, requireKey } from './access/authenticate';
import type { KeyStore } from './access/key-ring';
import type { KeysSource } from './access/reload-keys';
import { auditTrail, rememberRouteBase, type AuditSink } from './audit';
import type { Cidr, Rate } from './config-parsers';
import { allowedIps } from './http/allowed-ips';
import { fastLane } from './http/fast-lane';
import { fixedHeaders, recordHeaders, sendFixedHeaders } from './http/fixed-headers';
import { refuseBody, requireHost } from './http/guards';
import { problemHandler, routeNotFound } from './http/problems';
import { authFailLimit, requestLimit, type OnLimited } from './http/rate-limits';
import { requestLog } from './http/request-log';
import type { Metrics } from './metrics';
import { adminRouter } from './routes/admin';
import { credentialsRouter } from './routes/credentials';
import { dbUrlRouter } from './routes/db-url';
import { docsRouter } from './routes/docs';
import { systemRouter } from './routes/system';
import type { VaultHolder } from './vault/holder';

const API_BASE = '/api/v1';

/** Who may call, how often: all off unless given (tests that are not about limits leave them out). */
export interface AccessSettings {
  readonly rateLimit: Rate | null;
  readonly authFailLimit: Rate | null;
  readonly trustProxy: number | string[] | false;
  readonly allowedIps: readonly Cidr[];
  readonly corsOrigins: readonly string[];
  /** Shared counters (Redis) for the limits; absent: each process counts alone. */
  readonly limitStore?: ((prefix: string) => Store) | undefined;
}

export const OPEN_ACCESS: AccessSettings = { rateLimit: null, authFailLimit: null, trustProxy: false, allowedIps: [], corsOrigins: [] };

export interface AppDeps {
  readonly logger: Logger;
  readonly holder: VaultHolder;
  readonly keys: KeyStore;
  /**
   * How to read the keys again, for POST /api/v1/admin/reload (main.ts reads the files). Absent: no
   * keys file, and the admin reload says so.
   */
  readonly keysSource?: KeysSource;
  /** The package version, for /health. */
  readonly version: string;
  readonly access?: AccessSettings;
  /** Absent: no /metrics (METRICS=false). */
  readonly metrics?: Metrics;
  /** Absent: no audit trail. */
  readonly audit?: AuditSink;
  /** The clock used for `expired` and key expiry; tests pass a fixed one. */
  readonly now?: () => Date;
}

/** What main.ts hands to node:http: the fast lane in front, Express behind it for everything else. */
export type GatewayApp = RequestListener & { readonly express: Express };

export function createApp(deps: AppDeps): GatewayApp {
  const access = deps.access ?? OPEN_ACCESS;
  const now = deps.now ?? (() => new Date());
  const onLimited: OnLimited = deps.metrics?.limited ?? (() => undefined);
  const headers = fixedHeaders();
  // One store per limit, shared by Express's path and the fast lane, so both count against one budget.
  const requestStore = access.rateLimit ? (access.limitStore?.('requests:') ?? new MemoryStore()) : null;
  const failStore = access.authFailLimit ? (access.limitStore?.('auth-fail:') ?? new MemoryStore()) : null;
  const app = express();
  app.disable('x-powered-by');
  // ETags and conditional answers are a deliberate feature to come (API.md §12), not Express's default.
  app.set('etag', false);
  // Express's 'simple' parser, but every pair: Node stops at 1,000 by default, and a 1,001st
  // parameter must meet the same checks (unknown or repeated is 400). Headers cap the query at 16 KB.
  app.set('query parser', (text: string) => parseQueryString(text, '&', '=', { maxKeys: 0 }));
  app.set('trust proxy', access.trustProxy);

  app.use(requestLog(deps.logger));
  if (deps.metrics) app.use(deps.metrics.middleware());
  app.use(sendFixedHeaders(headers));
  app.use(requireHost);
  app.use(refuseBody);

  if (access.allowedIps.length) {
    // API.md §7: ALLOWED_IPS covers all of /api and /v1 (mattstash's /api/health included). /api/v1
    // has its own guard below, after its audit trail, so that its refusals are audited.
    const guard = allowedIps(access.allowedIps);
    app.use(['/api', '/v1'], function allowedIpsOutsideApiV1(req, res, next) {
      if (req.baseUrl.toLowerCase() === '/api' && /^\/v1(\/|$)/i.test(req.path)) next();
      else guard(req, res, next);
    });
  }
  app.use(systemRouter({ holder: deps.holder, version: deps.version, metrics: deps.metrics }));
  app.use(docsRouter({ version: deps.version, metrics: deps.metrics !== undefined }));

  const api = express.Router();
  api.use(rememberRouteBase(API_BASE));
  if (deps.audit) api.use(auditTrail(deps.audit));
  if (access.allowedIps.length) api.use(allowedIps(access.allowedIps));
  const corsMiddleware = access.corsOrigins.length
    ? cors({
        origin: [...access.corsOrigins],
        methods: ['GET', 'POST'],
        allowedHeaders: ['X-API-Key', 'Authorization', 'X-Request-Id'],
        exposedHeaders: ['X-Request-Id', 'Retry-After'],
        maxAge: 600,
      })
    : null;
  if (corsMiddleware) api.use(corsMiddleware);
  if (access.authFailLimit && failStore) api.use(authFailLimit(access.authFailLimit, onLimited, failStore));
  api.use(identify(deps.keys, now));
  if (access.rateLimit && requestStore) api.use(requestLimit(access.rateLimit, onLimited, requestStore));
  api.use(requireKey);
  api.use(credentialsRouter({ holder: deps.holder, now }));
  api.use(dbUrlRouter({ holder: deps.holder }));
  api.use(adminRouter({ holder: deps.holder, keys: deps.keys, keysSource: deps.keysSource, logger: deps.logger, metrics: deps.metrics }));
  api.use(routeNotFound);
  app.use(API_BASE, api);

  app.use(routeNotFound);
  app.use(problemHandler(deps.logger));

  const lane = fastLane(
    {
      holder: deps.holder,
      keys: deps.keys,
      logger: deps.logger,
      now,
      trustProxy: access.trustProxy,
      allowedIps: access.allowedIps,
      // With CORS on, an answer to a request without Origin still says it varies by Origin.
      headers: corsMiddleware ? [...headers, ...recordHeaders('cors', corsMiddleware, {})] : headers,
      cors: corsMiddleware !== null,
      requestLimit: access.rateLimit && requestStore ? { rate: access.rateLimit, store: requestStore } : null,
      authFailLimit: access.authFailLimit && failStore ? { rate: access.authFailLimit, store: failStore } : null,
      metrics: deps.metrics,
      audit: deps.audit,
    },
    app,
  );
  return Object.assign(lane, { express: app });
}
