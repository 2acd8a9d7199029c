// winston, as JSON lines or pretty text, behind a format that redacts secrets wherever they appear.
import type { Writable } from 'node:stream';
import winston, { type Logger } from 'winston';
import type { LogFormat, LogLevel } from './log-levels';

const REDACTED = '[REDACTED]';
// Keys whose values are never logged, whatever they hold.
const SENSITIVE_KEY = /pass(word|phrase)?|secret|token|api[-_]?key|authorization|cookie|^key_?value$/i;
const MIN_SECRET = 4;

/** Known secret strings (the vault password, API keys) to scrub from any text before it is written. */
export class Redactor {
  readonly #values = new Set<string>();
  // One alternation of every value, longest first (so a value that begins another cannot leave its
  // tail in clear): with a keys file of a hundred keys in clear, a loop of includes() per string of
  // every log line cost microseconds per request; one regular expression costs nanoseconds.
  #find: RegExp | null = null;
  #replace: RegExp | null = null;

  add(value: string | null | undefined): void {
    // Very short values would scrub ordinary words; they are not accepted as keys or passwords anyway.
    if (!value || value.length < MIN_SECRET || this.#values.has(value)) return;
    this.#values.add(value);
    const source = [...this.#values]
      .sort((a, b) => b.length - a.length)
      .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|');
    this.#find = new RegExp(source);
    this.#replace = new RegExp(source, 'g');
  }

  scrub(text: string): string {
    if (this.#find === null || this.#replace === null || !this.#find.test(text)) return text;
    return text.replace(this.#replace, REDACTED);
  }

  redact(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (value === null || typeof value !== 'object' || depth > 6) return value;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return this.redact((value as { toJSON: () => unknown }).toJSON(), depth + 1);
    }
    if (Array.isArray(value)) return value.map((item) => this.redact(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SENSITIVE_KEY.test(key) ? REDACTED : this.redact(item, depth + 1);
    }
    return out;
  }
}

function redactFormat(redactor: Redactor) {
  return winston.format((info) => {
    for (const key of Object.keys(info)) {
      if (key === 'level') continue;
      info[key] = SENSITIVE_KEY.test(key) ? REDACTED : redactor.redact(info[key]);
    }
    return info;
  })();
}

const pretty = winston.format.printf((info) => {
  const { level, message, timestamp, ...rest } = info;
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  return `${String(timestamp)} ${level} ${String(message)}${extra}`;
});

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly stream: Writable;
  readonly redactor: Redactor;
}

export function createLogger(options: LoggerOptions): Logger {
  return winston.createLogger({
    level: options.level,
    levels: winston.config.npm.levels,
    format: winston.format.combine(
      redactFormat(options.redactor),
      winston.format.timestamp(),
      options.format === 'json' ? winston.format.json() : pretty,
    ),
    transports: [new winston.transports.Stream({ stream: options.stream })],
  });
}
