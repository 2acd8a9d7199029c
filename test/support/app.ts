// Builds the app exactly as main.ts does, with a captured logger and audit trail, for supertest.
import { Writable } from 'node:stream';
import { KeyRing, KeyStore } from '../../server/access/key-ring';
import { parseKeysFile } from '../../server/access/load-keys';
import type { KeysSource } from '../../server/access/reload-keys';
import { createApp, type AccessSettings, type GatewayApp } from '../../server/app';
import type { AuditLine } from '../../server/audit';
import { Redactor, createLogger } from '../../server/logger';
import { Metrics } from '../../server/metrics';
import { VaultHolder, type SnapshotLoader } from '../../server/vault/holder';
import type { Snapshot } from '../../server/vault/snapshot';
import { recordLogs } from './leaks';

export interface TestApp {
  /** What main.ts serves: the fast lane in front of Express. `app.express` is Express alone. */
  app: GatewayApp;
  holder: VaultHolder;
  keys: KeyStore;
  logs: string[];
  audit: AuditLine[];
  metrics: Metrics | undefined;
}

export function buildApp(options: {
  snapshot: Snapshot | null;
  keysText: string;
  /** The keys file's name, which picks its format (`.yaml`, `.json` or text). */
  keysFile?: string;
  loader?: SnapshotLoader;
  now?: () => Date;
  redact?: string[];
  access?: AccessSettings;
  metrics?: boolean;
  /** How the admin reload reads the keys again; absent, as with no keys file. */
  keysSource?: KeysSource;
}): TestApp {
  const logs: string[] = [];
  const audit: AuditLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      logs.push(text);
      recordLogs(text);
      done();
    },
  });
  const redactor = new Redactor();
  for (const value of options.redact ?? []) redactor.add(value);
  const logger = createLogger({ level: 'debug', format: 'json', stream, redactor });
  const holder = new VaultHolder({ snapshot: options.snapshot, loader: options.loader ?? null });
  const keys = new KeyStore(new KeyRing(parseKeysFile(options.keysFile ?? 'keys.txt', options.keysText)));
  const metrics = options.metrics ? new Metrics(holder) : undefined;
  const app = createApp({
    logger,
    holder,
    keys,
    ...(options.keysSource ? { keysSource: options.keysSource } : {}),
    version: '0.0.0-test',
    audit: {
      write(line) {
        audit.push(line);
        recordLogs(JSON.stringify(line));
      },
    },
    ...(options.now ? { now: options.now } : {}),
    ...(options.access ? { access: options.access } : {}),
    ...(metrics ? { metrics } : {}),
  });
  return { app, holder, keys, logs, audit, metrics };
}
