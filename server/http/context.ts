// What the middleware learns about a request, typed onto Express's Request.
import type { Principal } from '../access/key-ring';

/** What a credential route tells the audit trail about the request it answered. */
export interface AuditInfo {
  /** The credential's path once resolved, else the name as asked. */
  credential: string | null;
  version: string | null;
  revealed: boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set first, for every request: echoed in X-Request-Id and in every log line. */
    requestId: string;
    /** Set by authentication on /api routes. */
    principal?: Principal;
    /** Why the key was refused; answered by requireKey after the rate limit has counted the request. */
    authError?: Error;
    /** The route template (`/api/v1/credentials/{name}/versions`), for metrics and audit; never a name. */
    routeTemplate?: string;
    /** Where the API router is mounted (`/api/v1`): Express resets `baseUrl` when an error leaves the router. */
    routeBase?: string;
    audit?: AuditInfo;
  }
}

export {};
