// Shares rate-limit counters across replicas through Redis, failing closed (503) when Redis is away.
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import type { Logger } from 'winston';
import { GatewayError } from './errors';

const COMMAND_TIMEOUT_MS = 2000;

/** The URL without its password, for log lines and error details. */
export function redisLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}`;
  } catch {
    return 'redis';
  }
}

function unavailable(label: string): GatewayError {
  return new GatewayError('unavailable', 503, `the shared rate-limit store (Redis at ${label}) is unreachable; try again shortly`, {
    headers: { 'Retry-After': '5' },
  });
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('redis command timed out')), COMMAND_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * rate-limit-redis loads its Lua scripts once, in init(); if Redis is down then, the store never
 * recovers, and express-rate-limit does not await init. This wrapper never rejects from init, loads
 * the scripts again after any failure, and turns every failure into a 503, so limits are never
 * silently skipped.
 */
class FailClosedStore implements Store {
  readonly #inner: RedisStore;
  readonly #label: string;
  #options: Options | null = null;
  #ready: Promise<void> | null = null;
  readonly prefix: string;

  constructor(inner: RedisStore, label: string, prefix: string) {
    this.#inner = inner;
    this.#label = label;
    this.prefix = prefix;
  }

  init(options: Options): void {
    this.#options = options;
    this.#ready = withTimeout(this.#inner.init(options)).catch(() => {
      this.#ready = null;
    });
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      if (!this.#ready && this.#options) this.#ready = withTimeout(this.#inner.init(this.#options));
      await this.#ready;
      return await withTimeout(run());
    } catch {
      this.#ready = null;
      throw unavailable(this.#label);
    }
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.#call(() => this.#inner.get(key));
  }
  increment(key: string): Promise<ClientRateLimitInfo> {
    return this.#call(() => this.#inner.increment(key));
  }
  decrement(key: string): Promise<void> {
    return this.#call(() => this.#inner.decrement(key));
  }
  resetKey(key: string): Promise<void> {
    return this.#call(() => this.#inner.resetKey(key));
  }
}

export interface SharedLimitStores {
  /** A store for one limiter; the prefix keeps limiters' counters apart in Redis. */
  readonly storeFor: (prefix: string) => Store;
  readonly close: () => Promise<void>;
}

export function redisLimitStores(url: string, logger: Logger): SharedLimitStores {
  const label = redisLabel(url);
  const client = createClient({
    url,
    // Fail fast while disconnected instead of queueing commands behind a dead connection.
    disableOfflineQueue: true,
    socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
  });
  let healthy: boolean | null = null;
  client.on('ready', () => {
    if (healthy !== true) logger.info('rate-limit store connected', { redis: label });
    healthy = true;
  });
  client.on('error', (error: Error & { code?: string }) => {
    // One line per outage, not one per reconnect attempt; never the URL's password.
    if (healthy !== false) logger.error('rate-limit store unreachable; /api answers 503 until it is back', { redis: label, code: error.code ?? error.name });
    healthy = false;
  });
  client.connect().catch(() => undefined);
  const send = (...args: string[]): Promise<never> => client.sendCommand<never>(args);
  return {
    storeFor: (prefix) => new FailClosedStore(new RedisStore({ sendCommand: send, prefix: `kdbx-gateway:${prefix}` }), label, prefix),
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}
