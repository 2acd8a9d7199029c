// A pull reader over UTF-8 XML bytes: elements one by one and leaf text, with no tree built.

/** The document has a shape this reader does not model (a DTD, or markup inside a value): read it another way. */
export class XmlShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlShapeError';
  }
}

/** The bytes are not well-formed enough to read on. */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const AMP = 0x26;
const EQ = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
const FOUR_GIB = 2 ** 32;
const INT32_MAX = 2 ** 31 - 1;

const search = (buf: Buffer, needle: number | string, from: number): number =>
  typeof needle === 'number' ? buf.indexOf(needle, from) : buf.indexOf(needle, from, 'latin1');

/**
 * Buffer#indexOf (a byte, or latin1 text) that works past 2 GiB, where a vault of about 1.3
 * million entries has its document. Node 20 clamps the starting offset to 2^31 - 1 and returns the
 * position as a 32-bit integer (a match past 2 GiB comes back negative); so a search from beyond
 * 2 GiB runs on a view that starts there, and a wrapped result is unwrapped. Only a one-byte needle
 * can match at the last possible position, 4 GiB - 1, which would come back as -1.
 */
export function indexIn(buf: Buffer, needle: number | string, from: number): number {
  if (from > INT32_MAX) {
    const at = search(buf.subarray(from), needle, 0);
    return at < 0 ? -1 : from + at;
  }
  const at = search(buf, needle, from);
  if (at < -1) return at + FOUR_GIB;
  if (at === -1 && typeof needle === 'number' && buf.length === FOUR_GIB && buf[FOUR_GIB - 1] === needle) return FOUR_GIB - 1;
  return at;
}

const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

// The entities xmldom knows in application/xml documents; an unknown one stays literal, as it does there.
function decodeEntities(text: string): string {
  return text.replace(ENTITY, (literal, body: string) => {
    if (body.charCodeAt(0) !== 0x23) return (Object.hasOwn(NAMED, body) ? NAMED[body] : undefined) ?? literal;
    const code = body.charCodeAt(1) === 0x78 ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : literal;
  });
}

/**
 * Reads elements in document order. After child() returns a name, the caller either reads that
 * element's text with text(), walks its children with child() until null, or skips it with skip().
 * Strings are decoded from the bytes one value at a time, so none of them pins the whole document.
 */
export class XmlReader {
  readonly #buf: Buffer;
  #pos = 0;
  /** The element just opened had no content (`<Name/>`). */
  #empty = false;
  #attrStart = 0;
  #attrEnd = 0;
  #nextAmp = -1;
  readonly #names = new Map<number, string>();

  constructor(bytes: Buffer) {
    this.#buf = bytes;
  }

  /** The next child element of the open element, or null once its end tag is consumed. */
  child(): string | null {
    if (this.#empty) {
      this.#empty = false;
      return null;
    }
    const buf = this.#buf;
    for (;;) {
      const lt = indexIn(buf, LT, this.#pos);
      if (lt < 0) throw new XmlSyntaxError('unexpected end of the document');
      const next = buf[lt + 1];
      if (next === SLASH) {
        this.#pos = this.#after(lt, GT);
        return null;
      }
      if (next === BANG || next === QUESTION) {
        this.#pos = this.#skipMarkup(lt).end;
        continue;
      }
      return this.#open(lt);
    }
  }

  /** Whether the element just opened has attributes at all: most have none, and then no attribute is looked for. */
  hasAttributes(): boolean {
    for (let i = this.#attrStart; i < this.#attrEnd; i += 1) if (!isSpace(this.#buf[i])) return true;
    return false;
  }

  /** The value of an attribute of the element just opened, entities decoded. */
  attr(name: string): string | undefined {
    const buf = this.#buf;
    let i = this.#attrStart;
    const end = this.#attrEnd;
    while (i < end) {
      while (i < end && isSpace(buf[i])) i += 1;
      const nameStart = i;
      while (i < end && buf[i] !== EQ && !isSpace(buf[i])) i += 1;
      const nameEnd = i;
      while (i < end && buf[i] !== DQUOTE && buf[i] !== SQUOTE) i += 1;
      const quote = buf[i];
      const valueStart = i + 1;
      i = valueStart;
      while (i < end && buf[i] !== quote) i += 1;
      if (nameEnd - nameStart === name.length && buf.toString('latin1', nameStart, nameEnd) === name) {
        // Attributes are read in whatever order they come, so not through #decode's forward-only '&' cursor.
        const value = buf.toString('utf8', valueStart, i);
        return value.includes('&') ? decodeEntities(value) : value;
      }
      i += 1;
    }
    return undefined;
  }

  /** The text of the element just opened (its textContent), consuming its end tag; markup inside is an XmlShapeError. */
  text(): string {
    if (this.#empty) {
      this.#empty = false;
      return '';
    }
    const buf = this.#buf;
    let out = '';
    for (;;) {
      const lt = indexIn(buf, LT, this.#pos);
      if (lt < 0) throw new XmlSyntaxError('unexpected end of the document');
      if (lt > this.#pos) out += this.#decode(this.#pos, lt);
      const next = buf[lt + 1];
      if (next === SLASH) {
        this.#pos = this.#after(lt, GT);
        return out;
      }
      if (next === BANG || next === QUESTION) {
        const markup = this.#skipMarkup(lt);
        if (markup.cdata) out += buf.toString('utf8', lt + 9, markup.end - 3);
        this.#pos = markup.end;
        continue;
      }
      throw new XmlShapeError('an element inside a value');
    }
  }

  /** Skips the element just opened and everything inside it. */
  skip(): void {
    while (this.child() !== null) this.skip();
  }

  #open(lt: number): string {
    const buf = this.#buf;
    let i = lt + 1;
    while (i < buf.length && buf[i] !== GT && buf[i] !== SLASH && !isSpace(buf[i])) i += 1;
    const name = this.#name(lt + 1, i);
    this.#attrStart = i;
    let quote = 0;
    for (; i < buf.length; i += 1) {
      const b = buf[i];
      if (quote !== 0) {
        if (b === quote) quote = 0;
      } else if (b === DQUOTE || b === SQUOTE) {
        quote = b;
      } else if (b === GT) {
        break;
      }
    }
    if (i >= buf.length) throw new XmlSyntaxError('unexpected end of the document');
    this.#empty = buf[i - 1] === SLASH;
    this.#attrEnd = this.#empty ? i - 1 : i;
    this.#pos = i + 1;
    return name;
  }

  /** Comments, processing instructions and CDATA sections; a DTD is refused (it could declare entities). */
  #skipMarkup(lt: number): { end: number; cdata: boolean } {
    const buf = this.#buf;
    if (buf[lt + 1] === QUESTION) return { end: this.#afterText(lt, '?>'), cdata: false };
    if (buf.toString('latin1', lt, lt + 4) === '<!--') return { end: this.#afterText(lt + 4, '-->'), cdata: false };
    if (buf.toString('latin1', lt, lt + 9) === '<![CDATA[') return { end: this.#afterText(lt + 9, ']]>'), cdata: true };
    throw new XmlShapeError('a document type declaration');
  }

  #after(from: number, byte: number): number {
    const at = indexIn(this.#buf, byte, from);
    if (at < 0) throw new XmlSyntaxError('unexpected end of the document');
    return at + 1;
  }

  #afterText(from: number, text: string): number {
    const at = indexIn(this.#buf, text, from);
    if (at < 0) throw new XmlSyntaxError('unexpected end of the document');
    return at + text.length;
  }

  /** Text between two positions; text() only moves forward, which the cached '&' position relies on. */
  #decode(start: number, end: number): string {
    if (this.#nextAmp < start && this.#nextAmp !== -2) {
      this.#nextAmp = indexIn(this.#buf, AMP, start);
      // -2: no '&' from this point on, so no later value needs looking at.
      if (this.#nextAmp < 0) this.#nextAmp = -2;
    }
    const text = this.#buf.toString('utf8', start, end);
    return this.#nextAmp >= 0 && this.#nextAmp < end ? decodeEntities(text) : text;
  }

  /** Element names repeat a few dozen ways: look them up by a hash of their bytes rather than decode each. */
  #name(start: number, end: number): string {
    const buf = this.#buf;
    let hash = end - start;
    for (let i = start; i < end; i += 1) hash = (Math.imul(hash, 31) + (buf[i] ?? 0)) | 0;
    const known = this.#names.get(hash);
    if (known !== undefined && known.length === end - start) {
      let same = true;
      for (let i = 0; i < known.length && same; i += 1) same = known.charCodeAt(i) === buf[start + i];
      if (same) return known;
    }
    const name = buf.toString('latin1', start, end);
    this.#names.set(hash, name);
    return name;
  }
}

// C0 controls XML does not allow (all but TAB, LF and CR): some writers leave them in values.
const isDropped = (b: number): boolean => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;
const needsWork = (b: number): boolean => b < 0x20 && b !== 0x09 && b !== 0x0a;

/**
 * The document as KeePassXC reads it: C0 controls XML forbids are dropped, and line ends are
 * normalised as XML requires (CR LF and a lone CR become LF; a `&#13;` reference stays a CR).
 * kdbxweb drops tabs too, but KeePassXC keeps them, and a tab-separated note must survive.
 * UTF-8 never uses these bytes inside a multi-byte character, so this works on bytes, in place.
 */
export function normalizeXmlBytes(bytes: Buffer): Buffer {
  let first = -1;
  for (let i = 0; i < bytes.length; i += 1) {
    if (needsWork(bytes[i] ?? 0x20)) {
      first = i;
      break;
    }
  }
  if (first < 0) return bytes;
  let out = first;
  // After a CR (written as LF), the next kept byte, if an LF, ends the same line: as if the
  // forbidden controls were dropped first and line ends normalised after.
  let afterCr = false;
  for (let i = first; i < bytes.length; i += 1) {
    const b = bytes[i] ?? 0x20;
    if (isDropped(b)) continue;
    if (b === 0x0a && afterCr) {
      afterCr = false;
      continue;
    }
    afterCr = b === 0x0d;
    bytes[out++] = afterCr ? 0x0a : b;
  }
  return bytes.subarray(0, out);
}
