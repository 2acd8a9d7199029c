// One error class for everything the gateway refuses: a stable code, an HTTP status and a safe detail.
import { STATUS_CODES } from 'node:http';

export type ErrorCode =
  | 'bad_request'
  | 'bad_name'
  | 'bad_query'
  | 'bad_header'
  | 'body_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'ambiguous_name'
  | 'reload_failed'
  | 'unprocessable'
  | 'not_acceptable'
  | 'not_ready'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ProblemExtras {
  /** Extra RFC 9457 members (for example `candidates` on a 409); never secret values. */
  readonly [member: string]: unknown;
}

/**
 * The detail of a 4xx is shown to the client, so it names what was wrong (a parameter, a path)
 * and never holds a secret value. The detail of a 5xx is replaced in the response and kept for the log.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extras: ProblemExtras | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /**
   * The query parameter whose value was refused, when the detail shows that value: a space in it
   * may be a `+` the client meant literally, and the problem handler, which sees the raw query, says so.
   */
  readonly parameter: string | undefined;

  constructor(
    code: ErrorCode,
    status: number,
    detail: string,
    options: { extras?: ProblemExtras; headers?: Record<string, string>; cause?: unknown; parameter?: string } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = status;
    this.extras = options.extras;
    this.headers = options.headers;
    this.parameter = options.parameter;
  }
}

export const badRequest = (detail: string, code: ErrorCode = 'bad_request'): GatewayError =>
  new GatewayError(code, 400, detail);
/** `parameter`: the query parameter whose value the detail shows (see GatewayError.parameter). */
export const badQuery = (detail: string, parameter?: string): GatewayError =>
  new GatewayError('bad_query', 400, detail, parameter === undefined ? {} : { parameter });
export const notFound = (detail: string): GatewayError => new GatewayError('not_found', 404, detail);
export const forbidden = (detail: string): GatewayError => new GatewayError('forbidden', 403, detail);
export const unprocessable = (detail: string): GatewayError =>
  new GatewayError('unprocessable', 422, detail);

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [member: string]: unknown;
}

/** The RFC 9457 body for a status; 5xx bodies (but 503's reason) never carry the internal detail. */
export function problemBody(status: number, detail: string, extras?: ProblemExtras): Problem {
  const body: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: status >= 500 && status !== 503 ? 'The gateway could not answer this request; the log has the details.' : detail,
  };
  if (extras && status < 500) {
    for (const [member, value] of Object.entries(extras)) {
      if (!(member in body)) body[member] = value;
    }
  }
  return body;
}

/** The `code` a load error carries (kdbxweb's, a LoadError's, the file system's), read by shape: their modules stay out of the app. */
export const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'Unknown';
};
