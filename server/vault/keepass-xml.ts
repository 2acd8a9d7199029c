// Reads a KeePass XML document straight into the gateway's entry records, as kdbxweb would map them.
import { gunzipSync } from 'node:zlib';
import * as kdbxweb from 'kdbxweb';
import { entryState, splitTags } from './entry-state';
import { walkTree, type TreeGroup } from './group-tree';
import { Shared, ZERO_UUID, corrupt, dashed, uuidHex } from './xml-values';
import { VaultOpenError } from './open-error';
import { Secret, type FieldValue } from './secret';
import type { Attachment, EntryState } from './snapshot';
import type { TreeCounts } from './vault-info';
import type { EntryRecord } from './versions';
import { XmlReader, XmlShapeError } from './xml-reader';

/** The records and counts a document yields; `headerHash` is KDBX 3.1's Meta/HeaderHash, checked by the caller. */
export interface DocumentRead extends TreeCounts {
  readonly all: EntryRecord[];
  readonly headerHash: ArrayBuffer | null;
}

interface ParsedEntry {
  readonly uuid: string;
  readonly current: EntryState;
  readonly history: EntryState[];
}

interface GroupNode extends TreeGroup {
  uuid: string;
  name: string;
  readonly entries: ParsedEntry[];
  readonly groups: GroupNode[];
}

interface Times {
  created: Date | null;
  modified: Date | null;
  expiry: Date | null;
  expires: boolean;
}

const utf8 = new TextDecoder();
const isTrue = (text: string | undefined): boolean => text?.toLowerCase() === 'true';

/**
 * One pass over the document. Every element KeePass marks Protected="True" takes its bytes of the
 * inner random stream in document order (Meta, history items and skipped elements included), as
 * kdbxweb's setProtectedValues does, so each value is XORed with the same salt it would get there.
 */
class KeePassDocument {
  readonly #r: XmlReader;
  readonly #salts: kdbxweb.ProtectSaltGenerator;
  readonly #binaries: Map<string, Uint8Array>;
  #metaSeen = false;
  #recycleBin: string | null = null;
  #headerHash: ArrayBuffer | null = null;

  constructor(xml: Buffer, salts: kdbxweb.ProtectSaltGenerator, binaries: Map<string, Uint8Array>) {
    this.#r = new XmlReader(xml);
    this.#salts = salts;
    this.#binaries = binaries;
  }

  read(): { root: GroupNode | null; recycleBin: string | null; headerHash: ArrayBuffer | null } {
    const r = this.#r;
    if (r.child() !== 'KeePassFile') throw corrupt('bad xml root');
    this.#container();
    let root: GroupNode | null = null;
    let rootSeen = false;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Meta' && !this.#metaSeen) {
        this.#metaSeen = true;
        this.#meta();
      } else if (name === 'Root' && !rootSeen) {
        // kdbxweb reads Meta first wherever it stands; attachments need Meta's binaries before entries.
        if (!this.#metaSeen) throw new XmlShapeError('Root before Meta');
        rootSeen = true;
        root = this.#root();
      } else {
        this.#skip();
      }
    }
    if (!this.#metaSeen) throw corrupt('no meta node');
    if (!rootSeen) throw corrupt('no root node');
    return { root, recycleBin: this.#recycleBin, headerHash: this.#headerHash };
  }

  #isProtected(): boolean {
    return this.#r.hasAttributes() && isTrue(this.#r.attr('Protected'));
  }

  /** An element read for its children: a protected one would salt its whole text first, which no writer does. */
  #container(): void {
    if (this.#isProtected()) throw new XmlShapeError('a protected element with children');
  }

  /** The element's text and, when it is protected and not empty, its bytes XORed with the stream. */
  #leaf(): { text: string; plain: Uint8Array | null } {
    const protectedValue = this.#isProtected();
    const text = this.#r.text();
    if (!protectedValue) return { text, plain: null };
    const plain = Buffer.from(text, 'base64');
    if (plain.length === 0) return { text, plain: null };
    const salt = new Uint8Array(this.#salts.getSalt(plain.length));
    for (let i = 0; i < plain.length; i += 1) plain[i] = (plain[i] ?? 0) ^ (salt[i] ?? 0);
    return { text, plain };
  }

  #value(): FieldValue {
    const { text, plain } = this.#leaf();
    return plain === null ? text : new Secret(utf8.decode(plain));
  }

  #text(): string {
    const { text, plain } = this.#leaf();
    return plain === null ? text : utf8.decode(plain);
  }

  #skip(): void {
    const r = this.#r;
    if (this.#isProtected()) {
      this.#leaf();
      return;
    }
    for (let name = r.child(); name !== null; name = r.child()) this.#skip();
  }

  #meta(): void {
    const r = this.#r;
    this.#container();
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'RecycleBinUUID') {
        const hex = uuidHex(this.#text());
        this.#recycleBin = hex === ZERO_UUID ? null : hex;
      } else if (name === 'HeaderHash') {
        const text = this.#text();
        this.#headerHash = text === '' ? null : new Uint8Array(Buffer.from(text, 'base64')).buffer;
      } else if (name === 'Binaries') {
        this.#container();
        for (let item = r.child(); item !== null; item = r.child()) {
          if (item === 'Binary') this.#metaBinary();
          else this.#skip();
        }
      } else {
        this.#skip();
      }
    }
  }

  /** KDBX 3.1 attachments: Meta/Binaries/Binary ID="n", base64, maybe gzip-compressed, maybe protected. */
  #metaBinary(): void {
    const id = this.#r.attr('ID') ?? '';
    if (this.#r.attr('Ref')) throw corrupt('binary ref in meta');
    const bytes = this.#inlineBinary();
    if (id !== '' && bytes !== null) this.#binaries.set(id, bytes);
  }

  /** A binary written in place (kdbxweb's getProtectedBinary without the Ref case). */
  #inlineBinary(): Uint8Array | null {
    const compressed = isTrue(this.#r.attr('Compressed'));
    const { text, plain } = this.#leaf();
    if (plain !== null) return plain;
    if (text === '') return null;
    const bytes = Buffer.from(text, 'base64');
    return compressed ? gunzipSync(bytes) : bytes;
  }

  #root(): GroupNode | null {
    const r = this.#r;
    this.#container();
    let first: GroupNode | null = null;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Group') {
        const group = this.#group();
        first ??= group;
      } else {
        this.#skip();
      }
    }
    return first;
  }

  #group(): GroupNode {
    const r = this.#r;
    this.#container();
    const group: GroupNode = { uuid: ZERO_UUID, name: '', entries: [], groups: [] };
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Entry') group.entries.push(this.#entry(new Shared()));
      else if (name === 'Group') group.groups.push(this.#group());
      else if (name === 'UUID') group.uuid = uuidHex(this.#text());
      else if (name === 'Name') group.name = this.#text();
      else this.#skip();
    }
    return group;
  }

  #entry(shared: Shared): ParsedEntry {
    const r = this.#r;
    this.#container();
    let uuid = ZERO_UUID;
    let tags: string[] = [];
    let times: Times = { created: null, modified: null, expiry: null, expires: false };
    const fields = new Map<string, FieldValue>();
    const attachments = new Map<string, Uint8Array>();
    const history: EntryState[] = [];
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'String') this.#field(fields, shared);
      else if (name === 'UUID') uuid = uuidHex(this.#text());
      else if (name === 'Times') times = this.#times(shared);
      else if (name === 'Tags') tags = splitTags(this.#text());
      else if (name === 'Binary') this.#attachment(attachments);
      else if (name === 'History') this.#history(history, shared);
      else this.#skip();
    }
    const files: Attachment[] = [];
    for (const [fileName, bytes] of attachments) files.push(Object.freeze({ name: fileName, size: bytes.byteLength, bytes }));
    const current = entryState({
      fields,
      attachments: files,
      tags,
      created: times.created,
      modified: times.modified,
      expires: times.expires ? times.expiry : null,
    });
    return { uuid: dashed(uuid), current, history };
  }

  #history(into: EntryState[], shared: Shared): void {
    const r = this.#r;
    this.#container();
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Entry') into.push(this.#entry(shared).current);
      else this.#skip();
    }
  }

  /** String: the first Key and the first Value, as kdbxweb's getChildNode picks them. */
  #field(into: Map<string, FieldValue>, shared: Shared): void {
    const r = this.#r;
    this.#container();
    let key: string | null = null;
    let value: FieldValue | null = null;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Key' && key === null) key = this.#text();
      else if (name === 'Value' && value === null) {
        value = this.#value();
        if (typeof value === 'string') value = shared.text(value);
      }
      else this.#skip();
    }
    if (key !== null && key !== '' && value !== null) into.set(key, value);
  }

  #attachment(into: Map<string, Uint8Array>): void {
    const r = this.#r;
    this.#container();
    let key: string | null = null;
    let bytes: Uint8Array | null | undefined;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Key' && key === null) {
        key = this.#text();
      } else if (name === 'Value' && bytes === undefined) {
        const ref = r.attr('Ref');
        if (ref) {
          // kdbxweb prefers a protected value to a Ref on the same element.
          bytes = this.#leaf().plain ?? this.#binaries.get(ref) ?? null;
        } else {
          bytes = this.#inlineBinary();
        }
      } else {
        this.#skip();
      }
    }
    if (key && bytes) into.set(key, bytes);
  }

  #times(shared: Shared): Times {
    const r = this.#r;
    this.#container();
    const times: Times = { created: null, modified: null, expiry: null, expires: false };
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'CreationTime') times.created = shared.date(this.#text());
      else if (name === 'LastModificationTime') times.modified = shared.date(this.#text());
      else if (name === 'ExpiryTime') times.expiry = shared.date(this.#text());
      else if (name === 'Expires') times.expires = isTrue(this.#text());
      else this.#skip();
    }
    return times;
  }
}

/**
 * Reads the document; `binaries` holds KDBX 4's inner-header attachments by ID (KDBX 3.1's are
 * added from Meta as they are read). Throws XmlShapeError for a document this reader does not model.
 */
export function readKeePassXml(xml: Buffer, salts: kdbxweb.ProtectSaltGenerator, binaries: Map<string, Uint8Array>): DocumentRead {
  const { root, recycleBin, headerHash } = new KeePassDocument(xml, salts, binaries).read();
  if (!root) throw new VaultOpenError('FileCorrupt', 'the vault has no root group');
  return { ...walkTree(root, recycleBin), headerHash };
}
