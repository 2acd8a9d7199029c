// Prometheus metrics on a registry of our own; labels are route templates and statuses, never names or keys.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeOf } from './audit';
import type { LimiterName } from './http/rate-limits';
import type { VaultHolder } from './vault/holder';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly vaultReloads: Counter<'result'>;
  readonly keysReloads: Counter<'result'>;
  readonly #vaultReloadFailing: Gauge;
  readonly #keysReloadFailing: Gauge;
  #tlsExpiry: Gauge | null = null;
  readonly #registers: Registry[];
  readonly authFailures: Counter;
  readonly rateLimited: Counter<'limiter'>;

  constructor(holder: VaultHolder) {
    const registers = [this.registry];
    this.#registers = registers;
    collectDefaultMetrics({ register: this.registry, prefix: 'kdbx_gateway_' });
    this.requests = new Counter({ name: 'kdbx_gateway_http_requests_total', help: 'HTTP requests by route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.duration = new Histogram({
      name: 'kdbx_gateway_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.vaultReloads = new Counter({ name: 'kdbx_gateway_vault_reloads_total', help: 'Vault reloads by result', labelNames: ['result'], registers });
    this.keysReloads = new Counter({ name: 'kdbx_gateway_keys_reloads_total', help: 'Keys file reloads by result', labelNames: ['result'], registers });
    // Every series from 0, so increase() sees the first failure after a restart (it ignores a series born at 1).
    for (const counter of [this.vaultReloads, this.keysReloads]) for (const result of ['success', 'failure']) counter.inc({ result }, 0);
    // A failure counter's increase() fades after its window while the old file is still served; these
    // stay at 1 until a reload succeeds, so an alert lasts as long as the problem.
    this.#vaultReloadFailing = new Gauge({
      name: 'kdbx_gateway_vault_reload_failing',
      help: '1 while the latest vault reload failed and an older vault is served, else 0',
      registers,
    });
    this.#keysReloadFailing = new Gauge({
      name: 'kdbx_gateway_keys_reload_failing',
      help: '1 while the latest keys file reload failed and the previous keys are in force, else 0',
      registers,
    });
    this.#vaultReloadFailing.set(0);
    this.#keysReloadFailing.set(0);
    this.authFailures = new Counter({ name: 'kdbx_gateway_auth_failures_total', help: 'Requests refused for a missing, wrong or expired key', registers });
    this.rateLimited = new Counter({ name: 'kdbx_gateway_rate_limited_total', help: 'Requests refused by a rate limit', labelNames: ['limiter'], registers });
    new Gauge({
      name: 'kdbx_gateway_vault_entries',
      help: 'Live entries in the vault in force (outside the Recycle Bin)',
      registers,
      collect() {
        this.set(holder.current()?.info.entries ?? 0);
      },
    });
    new Gauge({
      name: 'kdbx_gateway_vault_loaded_timestamp_seconds',
      help: 'When the vault in force was loaded (Unix time)',
      registers,
      collect() {
        const snapshot = holder.current();
        this.set(snapshot ? snapshot.loadedAt.getTime() / 1000 : 0);
      },
    });
    holder.onReload((ok) => {
      this.vaultReloads.inc({ result: ok ? 'success' : 'failure' });
      this.#vaultReloadFailing.set(ok ? 0 : 1);
    });
  }

  /** When the certificate served expires; the series exists only where the gateway serves HTTPS itself. */
  tlsCertificate(validTo: Date): void {
    this.#tlsExpiry ??= new Gauge({
      name: 'kdbx_gateway_tls_certificate_expiry_timestamp_seconds',
      help: 'When the TLS certificate served expires (Unix time); renewed files are picked up without a restart',
      registers: this.#registers,
    });
    this.#tlsExpiry.set(validTo.getTime() / 1000);
  }

  /** Told by the keys-file watcher, which lives in main.ts, unlike the vault's holder that metrics listens to. */
  keysReloaded(ok: boolean): void {
    this.keysReloads.inc({ result: ok ? 'success' : 'failure' });
    this.#keysReloadFailing.set(ok ? 0 : 1);
  }

  readonly limited = (limiter: LimiterName): void => {
    this.rateLimited.inc({ limiter });
  };

  // Label sets are few (route templates × statuses); their children are looked up once, not hashed per request.
  readonly #series = new Map<string, { count: () => void; observe: (seconds: number) => void }>();

  /** Counts one answer by its route template, for Express's path and the fast lane alike. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${route} ${status}`;
    let series = this.#series.get(id);
    if (!series) {
      const labels = { method, route, status: String(status) };
      const counter = this.requests.labels(labels);
      const histogram = this.duration.labels(labels);
      series = { count: () => counter.inc(), observe: (s) => histogram.observe(s) };
      this.#series.set(id, series);
    }
    series.count();
    series.observe(seconds);
    if (status === 401) this.authFailures.inc();
  }

  /** Counts every answer by the route template it matched. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        this.observe(req.method, routeOf(req), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }

  handler(): RequestHandler {
    return async (_req, res) => {
      res.type(this.registry.contentType).send(await this.registry.metrics());
    };
  }
}
