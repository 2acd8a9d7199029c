// Builds one operation: the answers every route shares, in status order, around the route's own.
import type { OpenAPIV3_1 } from 'openapi-types';
import { methodNotAllowed, tooManyRequests, unauthorized, unavailable } from './problem-responses';

type Response = OpenAPIV3_1.ResponseObject;

/** openapi-types' OpenAPIV3_1.PathItemObject still types its operations as 3.0 ones; these are the 3.1 ones. */
export type PathItem = Partial<Record<'get' | 'post', OpenAPIV3_1.OperationObject>>;
export type Paths = Record<string, PathItem>;

/** Either scheme may be used (API.md §4): one key, in `X-API-Key` or as a bearer token. */
export const API_SECURITY: OpenAPIV3_1.SecurityRequirementObject[] = [{ ApiKeyHeader: [] }, { BearerAuth: [] }];

export interface OperationSpec {
  readonly id: string;
  readonly tag: string;
  readonly summary: string;
  readonly description: string;
  readonly parameters?: (OpenAPIV3_1.ReferenceObject | OpenAPIV3_1.ParameterObject)[];
  /** The route's own answers, 2xx and errors, by status. */
  readonly responses: Record<string, Response>;
}

function inOrder(responses: Record<string, Response>): Record<string, Response> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/** A route that needs no key: its own answers plus 405. */
export function publicOperation(spec: OperationSpec, allow = 'GET, HEAD'): OpenAPIV3_1.OperationObject {
  return {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    description: spec.description,
    security: [],
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    responses: inOrder({ ...spec.responses, '405': methodNotAllowed(allow) }),
  };
}

/** An `/api/v1` route: a key in either header, and the 401, 405, 429 and 503 every one of them may answer. */
export function apiOperation(spec: OperationSpec, allow = 'GET, HEAD'): OpenAPIV3_1.OperationObject {
  return {
    ...publicOperation(spec, allow),
    security: API_SECURITY,
    responses: inOrder({
      ...spec.responses,
      '401': unauthorized(),
      '405': methodNotAllowed(allow),
      '429': tooManyRequests(),
      '503': unavailable(),
    }),
  };
}

/** A JSON answer with one of the component schemas and, when given, the contract's example. */
export const json = (schema: string, description: string, example?: unknown): Response => ({
  description,
  content: {
    'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, ...(example === undefined ? {} : { example }) },
  },
});
