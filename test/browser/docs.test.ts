// Swagger UI in a real Chromium: it renders, "Authorize" and "Try it out" reach the API, and its CSP is never violated.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../support/app';
import { checkLogsForLeaks, mustNotLeak } from '../support/leaks';
import { snapshotOf } from '../support/vault';
import { ENTRIES, KEY_A, KEYS_TEXT, SECRET_VALUES, VAULT_PASSWORD } from '../http/shared-vault';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const SCREENSHOT = join(ARTIFACTS, 'docs-try-it-out.png');
const available = existsSync(CHROMIUM);

if (!available && process.env['CI'] === 'true') {
  throw new Error(`${CHROMIUM} is missing; CI must install it (apt-get install -y chromium)`);
}
if (!available) {
  console.warn(`Skipping the Swagger UI browser test: ${CHROMIUM} is absent (apt-get install -y chromium to run it).`);
}

mustNotLeak(...SECRET_VALUES);
if (available) checkLogsForLeaks();

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

let server: Server;
let base: string;
let browser: Browser;

(available ? describe : describe.skip)(`Swagger UI at /docs (needs ${CHROMIUM})`, () => {
  beforeAll(async () => {
    const t = buildApp({ snapshot: await snapshotOf(VAULT_PASSWORD, ENTRIES), keysText: KEYS_TEXT });
    server = createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test('renders, authorizes with X-API-Key and tries GET /api/v1/credentials/{name} with no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const violations: Violation[] = [];
    const consoleErrors: string[] = [];
    const offOrigin: string[] = [];
    await page.exposeFunction('reportViolation', (v: Violation) => violations.push(v));
    // Page scripts as text: the project's TypeScript has no DOM library.
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) =>
        window.reportViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));`,
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith('data:')) offOrigin.push(req.url());
    });

    const response = await page.goto(`${base}/docs`);
    expect(page.url()).toBe(`${base}/docs/`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    const operation = page.locator('#operations-Credentials-getCredential');
    await expect(operation.locator('.opblock-summary-path').innerText()).resolves.toContain('/api/v1/credentials/{name}');
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(15);

    // Authorize: the key goes into the X-API-Key scheme, then the dialog is closed.
    await page.locator('.auth-wrapper button.authorize').click();
    const scheme = page.locator('.modal-ux .auth-container').filter({ hasText: 'ApiKeyHeader' });
    await scheme.locator('input').fill(KEY_A);
    await scheme.locator('button.authorize').click();
    await scheme.locator('h6', { hasText: 'Authorized' }).waitFor({ timeout: 5_000 });
    await scheme.locator('button', { hasText: 'Logout' }).waitFor();
    await scheme.locator('button.btn-done').click();
    await page.locator('.modal-ux').waitFor({ state: 'detached' });

    // Try it out: GET /api/v1/credentials/{name} with name=db-prod.
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="name"] input').fill('db-prod');
    await operation.locator('button.execute').click();
    const live = operation.locator('.live-responses-table .response');
    await live.first().waitFor({ timeout: 15_000 });
    await expect(live.locator('.response-col_status').first().innerText()).resolves.toMatch(/^200/);
    const body = await operation.locator('.live-responses-table .response-col_description pre').first().innerText();
    expect(body).toContain('"name": "db-prod"');
    expect(body).toContain('"password": "*****"');
    await expect(operation.locator('.curl-command').innerText()).resolves.toContain('X-API-Key');

    mkdirSync(ARTIFACTS, { recursive: true });
    // From the operation's header down to the live answer (its status, body and headers), not the documented responses.
    const top = await operation.boundingBox();
    const bottom = await operation.locator('.live-responses-table').first().boundingBox();
    if (!top || !bottom) throw new Error('the operation or its answer is not on the page');
    // Bounding boxes are in viewport coordinates; a full-page clip is in page coordinates.
    const scrollY = await page.evaluate<number>('window.scrollY');
    await page.screenshot({
      path: SCREENSHOT,
      fullPage: true,
      clip: { x: top.x, y: top.y + scrollY, width: top.width, height: bottom.y + bottom.height - top.y },
    });

    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(offOrigin).toEqual([]);
    // The key typed into "Authorize" is not kept in the browser's storage.
    const stored = await page.evaluate<string>('JSON.stringify({ ...window.localStorage, ...window.sessionStorage })');
    expect(stored).not.toContain(KEY_A);
    await context.close();
  }, 60_000);
});
