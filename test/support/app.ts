// Builds the app exactly as main.ts does, with a captured logger, for supertest.
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { KeyRing, KeyStore } from '../../server/access/key-ring';
import { parseKeysFile } from '../../server/access/load-keys';
import { createApp } from '../../server/app';
import { Redactor, createLogger } from '../../server/logger';
import { VaultHolder, type SnapshotLoader } from '../../server/vault/holder';
import type { Snapshot } from '../../server/vault/snapshot';
import { recordLogs } from './leaks';

export interface TestApp {
  app: Express;
  holder: VaultHolder;
  keys: KeyStore;
  logs: string[];
}

export function buildApp(options: {
  snapshot: Snapshot | null;
  keysText: string;
  /** The keys file's name, which picks its format (`.yaml`, `.json` or text). */
  keysFile?: string;
  loader?: SnapshotLoader;
  now?: () => Date;
  redact?: string[];
}): TestApp {
  const logs: string[] = [];
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
  const app = createApp({ logger, holder, keys, version: '0.0.0-test', ...(options.now ? { now: options.now } : {}) });
  return { app, holder, keys, logs };
}
