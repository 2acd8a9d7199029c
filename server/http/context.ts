// What the middleware learns about a request, typed onto Express's Request.
import type { Principal } from '../access/key-ring';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set first, for every request: echoed in X-Request-Id and in every log line. */
    requestId: string;
    /** Set by authentication on /api routes. */
    principal?: Principal;
  }
}

export {};
