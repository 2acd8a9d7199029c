// Request parameters: one zod schema per route, and 400s that say which parameter was wrong and why.
import { unescape as unescapeQuery } from 'node:querystring';
import { z } from 'zod';
import { badQuery, badRequest, notFound } from '../errors';
import { BOOLEAN_WORDS } from '../config-parsers';
import { closest, hasControl, quote } from '../text';

const MAX_NAME = 255;

// Marks a refusal whose detail does not show the received value, so no '+' hint goes with it.
const VALUE_NOT_SHOWN = 'valueNotShown';

/** `true/false/1/0/yes/no` in any case; empty means the default (API.md §13.18). */
export const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      const value = BOOLEAN_WORDS.get(raw.toLowerCase());
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be true, false, 1, 0, yes or no (received ${quote(raw)})` });
        return z.NEVER;
      }
      return value;
    });

/** `3` or `0000000003`; empty means the latest; 0 and more than 10 digits are refused (§13.4). */
export const version = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a version number from 1 to 9999999999, such as 3 or 0000000003 (received ${quote(raw)})`,
      });
      return z.NEVER;
    }
    return Number(raw);
  });

export const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (received ${quote(raw)})` });
        return z.NEVER;
      }
      return Number(raw);
    });

/** A free-text filter: at most 255 characters and no control characters. */
export const text = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    if ([...raw].length > MAX_NAME || hasControl(raw)) {
      // The detail does not show the value, and neither its length nor a control character is a '+'.
      ctx.addIssue({ code: 'custom', message: 'must be at most 255 characters with no control characters', params: { [VALUE_NOT_SHOWN]: true } });
      return z.NEVER;
    }
    return raw;
  });

export const oneOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      if (raw === undefined || raw === '') return fallback;
      const found = values.find((v) => v === raw.toLowerCase());
      if (found === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (received ${quote(raw)})` });
        return z.NEVER;
      }
      return found;
    });

export type Shape = Record<string, z.ZodType<unknown, string | undefined>>;

/** What parseQuery returns for a route's parameters. */
export type Parsed<S extends Shape> = { [K in keyof S]: z.output<S[K]> };

/** For routes that take no query parameters. */
export const NO_PARAMETERS: Shape = Object.freeze({});

// Each route's shape is a module constant: its object schema is built once, not per request.
const schemas = new WeakMap<Shape, z.ZodType>();
function objectSchema(shape: Shape): z.ZodType {
  let schema = schemas.get(shape);
  if (!schema) {
    schema = z.object(shape);
    schemas.set(shape, schema);
  }
  return schema;
}

/**
 * Parses a query against a route's parameters: unknown names, repeated names and bad values are all
 * 400s that name the parameter (never echoing an unknown parameter's value, which could be a key).
 */
export function parseQuery<S extends Shape>(shape: S, query: unknown): Parsed<S> {
  const allowed = Object.keys(shape);
  const raw = (query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(raw)) {
    if (!allowed.includes(name)) {
      const hint = closest(name, allowed);
      const options = allowed.length ? `; this route takes ${allowed.join(', ')}` : '; this route takes none';
      throw badQuery(`unknown query parameter ${quote(name)}${hint ? `; did you mean '${hint}'?` : options}`);
    }
    if (typeof value !== 'string') throw badQuery(`query parameter '${name}' is given more than once`);
  }
  const result = objectSchema(shape).safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'query');
    const shown = issue !== undefined && !(issue.code === 'custom' && issue.params?.[VALUE_NOT_SHOWN] === true);
    throw badQuery(`query parameter '${name}' ${issue?.message ?? 'is not valid'}`, shown ? name : undefined);
  }
  return result.data as Parsed<S>;
}

export const PLUS_HINT = " (a '+' in a URL query means a space: write it as %2B)";

/**
 * The hint for a refused value of `parameter` that was sent with a literal `+`: the query is parsed
 * the standard way (`+` is a space, so `driver=postgresql+psycopg` arrives as `postgresql psycopg`),
 * and guessing a `+` back would make `%20` and `+` mean different things. So the value is refused
 * as received, and the detail says why it holds a space the client never typed.
 */
export function plusHint(url: string, parameter: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    // Names are compared decoded, as the query parser gave them to the route.
    if (eq > 0 && pair.slice(eq + 1).includes('+') && unescapeQuery(pair.slice(0, eq).replaceAll('+', ' ')) === parameter) return PLUS_HINT;
  }
  return '';
}

export type NameRef = { kind: 'uuid'; uuid: string } | { kind: 'name'; name: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MATTSTASH_FORM = /@\d{10}$/;

/** Checks the rules every name in a route obeys (API.md §1) and tells a UUID address from a name. */
export function parseName(name: string, what = 'credential name'): NameRef {
  if (name === '') throw badRequest(`the ${what} is empty`, 'bad_name');
  if ([...name].length > MAX_NAME) throw badRequest(`the ${what} is longer than 255 characters`, 'bad_name');
  if (hasControl(name)) throw badRequest(`the ${what} contains a control character`, 'bad_name');
  if (name.toLowerCase().startsWith('uuid:')) {
    const uuid = name.slice(5);
    if (!UUID.test(uuid)) {
      throw badRequest(`'uuid:' must be followed by a UUID such as uuid:0a1b2c3d-0000-4000-8000-00000000abcd`, 'bad_name');
    }
    return { kind: 'uuid', uuid: uuid.toLowerCase() };
  }
  if (MATTSTASH_FORM.test(name)) {
    // §13.27: versions are chosen with ?version=, so `name@NNNNNNNNNN` is never an address.
    throw notFound(`Credential not found: ${name} (ask for a version with ?version=)`);
  }
  return { kind: 'name', name };
}

/** A field name in `/fields/{field}` (or an attachment's, `what`): the same rules as a name. */
export function parseFieldName(field: string, what = 'field name'): string {
  if (field === '') throw badRequest(`the ${what} is empty`, 'bad_name');
  if ([...field].length > MAX_NAME) throw badRequest(`the ${what} is longer than 255 characters`, 'bad_name');
  if (hasControl(field)) throw badRequest(`the ${what} contains a control character`, 'bad_name');
  return field;
}
