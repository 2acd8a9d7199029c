// KeePass XML values at the reader's cursor, protected ones XORed with the inner random stream in document order.
import { gunzipSync } from 'node:zlib';
import type * as kdbxweb from 'kdbxweb';
import { Secret, type FieldValue } from './secret';
import { type XmlReader, XmlShapeError } from './xml-reader';

const utf8 = new TextDecoder();
export const isTrue = (text: string | undefined): boolean => text?.toLowerCase() === 'true';

/**
 * Every element KeePass marks Protected="True" takes its bytes of the inner random stream in
 * document order (Meta, history items and skipped elements included), as kdbxweb's
 * setProtectedValues does, so each value is XORed with the same salt it would get there. The
 * document reader therefore reads and skips every value through this class.
 */
export class SaltedValues {
  readonly #r: XmlReader;
  readonly #salts: kdbxweb.ProtectSaltGenerator;

  constructor(reader: XmlReader, salts: kdbxweb.ProtectSaltGenerator) {
    this.#r = reader;
    this.#salts = salts;
  }

  #isProtected(): boolean {
    return this.#r.hasAttributes() && isTrue(this.#r.attr('Protected'));
  }

  /** An element read for its children: a protected one would salt its whole text first, which no writer does. */
  container(): void {
    if (this.#isProtected()) throw new XmlShapeError('a protected element with children');
  }

  /** The element's text and, when it is protected and not empty, its bytes XORed with the stream. */
  leaf(): { text: string; plain: Uint8Array | null } {
    const protectedValue = this.#isProtected();
    const text = this.#r.text();
    if (!protectedValue) return { text, plain: null };
    const plain = Buffer.from(text, 'base64');
    if (plain.length === 0) return { text, plain: null };
    const salt = new Uint8Array(this.#salts.getSalt(plain.length));
    for (let i = 0; i < plain.length; i += 1) plain[i] = (plain[i] ?? 0) ^ (salt[i] ?? 0);
    return { text, plain };
  }

  /** A field's value: a Secret when protected. */
  value(): FieldValue {
    const { text, plain } = this.leaf();
    return plain === null ? text : new Secret(utf8.decode(plain));
  }

  /** The element's text, unprotected if need be. */
  text(): string {
    const { text, plain } = this.leaf();
    return plain === null ? text : utf8.decode(plain);
  }

  /** Passes over an element, still taking a protected value's bytes of the stream. */
  skip(): void {
    const r = this.#r;
    if (this.#isProtected()) {
      this.leaf();
      return;
    }
    for (let name = r.child(); name !== null; name = r.child()) this.skip();
  }

  /** A binary written in place (kdbxweb's getProtectedBinary without the Ref case). */
  inlineBinary(): Uint8Array | null {
    const compressed = isTrue(this.#r.attr('Compressed'));
    const { text, plain } = this.leaf();
    if (plain !== null) return plain;
    if (text === '') return null;
    const bytes = Buffer.from(text, 'base64');
    return compressed ? gunzipSync(bytes) : bytes;
  }
}
