// Builds the Express app from plain arguments; no I/O here, so tests build it exactly as main does.
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'winston';
import { authenticate } from './access/authenticate';
import type { KeyStore } from './access/key-ring';
import { noStore, refuseBody } from './http/guards';
import { problemHandler, routeNotFound } from './http/problems';
import { requestLog } from './http/request-log';
import { adminRouter } from './routes/admin';
import { credentialsRouter } from './routes/credentials';
import { dbUrlRouter } from './routes/db-url';
import { systemRouter } from './routes/system';
import type { VaultHolder } from './vault/holder';

export interface AppDeps {
  readonly logger: Logger;
  readonly holder: VaultHolder;
  readonly keys: KeyStore;
  /** The package version, for /health. */
  readonly version: string;
  /** The clock used for `expired`; tests pass a fixed one. */
  readonly now?: () => Date;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags and conditional answers are a deliberate feature to come (API.md §12), not Express's default.
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(deps.logger));
  app.use(noStore);
  // The API serves JSON only: nothing may be framed, loaded or run from its answers.
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    }),
  );
  app.use(refuseBody);

  app.use(systemRouter({ holder: deps.holder, version: deps.version }));

  const api = express.Router();
  api.use(authenticate(deps.keys, deps.now ?? (() => new Date())));
  api.use(credentialsRouter({ holder: deps.holder, now: deps.now ?? (() => new Date()) }));
  api.use(dbUrlRouter({ holder: deps.holder }));
  api.use(adminRouter({ holder: deps.holder, logger: deps.logger }));
  app.use('/api/v1', api);

  app.use(routeNotFound);
  app.use(problemHandler(deps.logger));
  return app;
}
