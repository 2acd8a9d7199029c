// A value that must not reach a log line or a response unless a handler reveals it on purpose.
import { inspect } from 'node:util';

export const MASK = '*****';

/**
 * kdbxweb's ProtectedValue does not survive a structured clone (its class is lost), so the snapshot
 * keeps protected values in this wrapper instead: the text sits in a private field, and every way a
 * logger or serialiser reaches for a value (toJSON, toString, util.inspect) yields the mask.
 */
export class Secret {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  reveal(): string {
    return this.#text;
  }

  get isEmpty(): boolean {
    return this.#text.length === 0;
  }

  toJSON(): string {
    return MASK;
  }

  toString(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return 'Secret(*****)';
  }
}

/** A field is either plain text or a protected value. */
export type FieldValue = string | Secret;

export const textOf = (value: FieldValue): string => (value instanceof Secret ? value.reveal() : value);
export const isEmptyValue = (value: FieldValue): boolean =>
  value instanceof Secret ? value.isEmpty : value.length === 0;
