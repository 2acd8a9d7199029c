// GET /openapi.json and Swagger UI at /docs/: no key, and a CSP of their own only on the Swagger UI page.
import { Router, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { rememberRouteBase } from '../audit';
import { methodNotAllowed } from '../http/problems';
import { NO_PARAMETERS, parseQuery } from '../http/params';
import { buildOpenApiDocument, type DocumentOptions } from '../openapi/document';
import { DOCS_ASSETS } from '../openapi/public-paths';

/**
 * Swagger UI needs its own scripts and styles, calls to this origin, and the data: images its CSS
 * holds. The page's two <style> blocks (and the sprite's style attribute) are swagger-ui-express's
 * template, hence 'unsafe-inline' for styles only; its init script is a file (`swagger-ui-init.js`),
 * so scripts need no inline allowance. No `upgrade-insecure-requests`: the gateway may serve plain HTTP.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const UI_OPTIONS: swaggerUi.SwaggerUiOptions = {
  customSiteTitle: 'kdbx-gateway API',
  // The key typed into "Authorize" lives only as long as the page: never in localStorage.
  // No validator badge, which would load an image from validator.swagger.io.
  swaggerOptions: { persistAuthorization: false, validatorUrl: null, displayRequestDuration: true },
};

const ASSETS: ReadonlySet<string> = new Set(DOCS_ASSETS);

const noQuery: RequestHandler = function noQuery(req, _res, next) {
  parseQuery(NO_PARAMETERS, req.query);
  next();
};

const docsPolicy: RequestHandler = function docsPolicy(_req, res, next) {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  next();
};

export function docsRouter(options: DocumentOptions): Router {
  const document = buildOpenApiDocument(options);
  const body = JSON.stringify(document);
  // serveFiles keeps this document's init script to this router; `swaggerUi.serve` would share one
  // module-wide script among every app built in the process (the tests build many).
  const [initScript, assetFiles] = swaggerUi.serveFiles(document, UI_OPTIONS);
  const page = swaggerUi.setup(document, UI_OPTIONS);
  if (!initScript || !assetFiles) throw new Error('swagger-ui-express did not give its file handlers');

  // Strict, so that /docs (a redirect) and /docs/ (the page) are different routes.
  const router = Router({ strict: true });
  router
    .route('/openapi.json')
    .get(noQuery, function openApi(_req, res) {
      res.type('application/json').send(body);
    })
    .all(methodNotAllowed('GET'));
  // The page loads its assets relative to itself, so it lives at /docs/; relative, so a path prefix survives.
  router
    .route('/docs')
    .get(noQuery, function toDocsPage(_req, res) {
      res.redirect(301, 'docs/');
    })
    .all(methodNotAllowed('GET'));

  const ui = Router({ strict: true });
  ui.use(rememberRouteBase('/docs'));
  ui.route('/').get(noQuery, docsPolicy, page).all(methodNotAllowed('GET'));
  ui.route('/:file')
    .get(
      function onlyAssets(req, _res, next) {
        // Only the files the page loads: not swagger-ui-dist's own index.html, petstore initializer or source maps.
        if (ASSETS.has(String(req.params['file']))) next();
        else next('route');
      },
      noQuery,
      initScript,
      assetFiles,
      function notServed(_req, _res, next) {
        next('route');
      },
    )
    .all(methodNotAllowed('GET'));
  router.use('/docs', ui);
  return router;
}
