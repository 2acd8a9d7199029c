// Reads a KeePass XML document straight into the gateway's entry records, as kdbxweb would map them.
import * as kdbxweb from 'kdbxweb';
import { entryState, splitTags } from './entry-state';
import { walkTree, type TreeGroup } from './group-tree';
import { Shared, ZERO_UUID, corrupt, dashed, uuidHex } from './xml-values';
import { VaultOpenError } from './open-error';
import type { FieldValue } from './secret';
import { SaltedValues, isTrue } from './salted-values';
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

/**
 * One pass over the document. Every value, read or skipped, goes through SaltedValues, so each
 * protected one gets the same bytes of the inner random stream as in kdbxweb.
 */
class KeePassDocument {
  readonly #r: XmlReader;
  readonly #v: SaltedValues;
  readonly #binaries: Map<string, Uint8Array>;
  #metaSeen = false;
  #recycleBin: string | null = null;
  #headerHash: ArrayBuffer | null = null;

  constructor(xml: Buffer, salts: kdbxweb.ProtectSaltGenerator, binaries: Map<string, Uint8Array>) {
    this.#r = new XmlReader(xml);
    this.#v = new SaltedValues(this.#r, salts);
    this.#binaries = binaries;
  }

  read(): { root: GroupNode | null; recycleBin: string | null; headerHash: ArrayBuffer | null } {
    const r = this.#r;
    if (r.child() !== 'KeePassFile') throw corrupt('bad xml root');
    this.#v.container();
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
        this.#v.skip();
      }
    }
    if (!this.#metaSeen) throw corrupt('no meta node');
    if (!rootSeen) throw corrupt('no root node');
    return { root, recycleBin: this.#recycleBin, headerHash: this.#headerHash };
  }

  #meta(): void {
    const r = this.#r;
    this.#v.container();
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'RecycleBinUUID') {
        const hex = uuidHex(this.#v.text());
        this.#recycleBin = hex === ZERO_UUID ? null : hex;
      } else if (name === 'HeaderHash') {
        const text = this.#v.text();
        this.#headerHash = text === '' ? null : new Uint8Array(Buffer.from(text, 'base64')).buffer;
      } else if (name === 'Binaries') {
        this.#v.container();
        for (let item = r.child(); item !== null; item = r.child()) {
          if (item === 'Binary') this.#metaBinary();
          else this.#v.skip();
        }
      } else {
        this.#v.skip();
      }
    }
  }

  /** KDBX 3.1 attachments: Meta/Binaries/Binary ID="n", base64, maybe gzip-compressed, maybe protected. */
  #metaBinary(): void {
    const id = this.#r.attr('ID') ?? '';
    if (this.#r.attr('Ref')) throw corrupt('binary ref in meta');
    const bytes = this.#v.inlineBinary();
    if (id !== '' && bytes !== null) this.#binaries.set(id, bytes);
  }

  #root(): GroupNode | null {
    const r = this.#r;
    this.#v.container();
    let first: GroupNode | null = null;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Group') {
        const group = this.#group();
        first ??= group;
      } else {
        this.#v.skip();
      }
    }
    return first;
  }

  #group(): GroupNode {
    const r = this.#r;
    this.#v.container();
    const group: GroupNode = { uuid: ZERO_UUID, name: '', entries: [], groups: [] };
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Entry') group.entries.push(this.#entry(new Shared()));
      else if (name === 'Group') group.groups.push(this.#group());
      else if (name === 'UUID') group.uuid = uuidHex(this.#v.text());
      else if (name === 'Name') group.name = this.#v.text();
      else this.#v.skip();
    }
    return group;
  }

  #entry(shared: Shared): ParsedEntry {
    const r = this.#r;
    this.#v.container();
    let uuid = ZERO_UUID;
    let tags: string[] = [];
    let times: Times = { created: null, modified: null, expiry: null, expires: false };
    const fields = new Map<string, FieldValue>();
    const attachments = new Map<string, Uint8Array>();
    const history: EntryState[] = [];
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'String') this.#field(fields, shared);
      else if (name === 'UUID') uuid = uuidHex(this.#v.text());
      else if (name === 'Times') times = this.#times(shared);
      else if (name === 'Tags') tags = splitTags(this.#v.text());
      else if (name === 'Binary') this.#attachment(attachments);
      else if (name === 'History') this.#history(history, shared);
      else this.#v.skip();
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
    this.#v.container();
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Entry') into.push(this.#entry(shared).current);
      else this.#v.skip();
    }
  }

  /** String: the first Key and the first Value, as kdbxweb's getChildNode picks them. */
  #field(into: Map<string, FieldValue>, shared: Shared): void {
    const r = this.#r;
    this.#v.container();
    let key: string | null = null;
    let value: FieldValue | null = null;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Key' && key === null) key = this.#v.text();
      else if (name === 'Value' && value === null) {
        value = this.#v.value();
        if (typeof value === 'string') value = shared.text(value);
      }
      else this.#v.skip();
    }
    if (key !== null && key !== '' && value !== null) into.set(key, value);
  }

  #attachment(into: Map<string, Uint8Array>): void {
    const r = this.#r;
    this.#v.container();
    let key: string | null = null;
    let bytes: Uint8Array | null | undefined;
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'Key' && key === null) {
        key = this.#v.text();
      } else if (name === 'Value' && bytes === undefined) {
        const ref = r.attr('Ref');
        if (ref) {
          // kdbxweb prefers a protected value to a Ref on the same element.
          bytes = this.#v.leaf().plain ?? this.#binaries.get(ref) ?? null;
        } else {
          bytes = this.#v.inlineBinary();
        }
      } else {
        this.#v.skip();
      }
    }
    if (key && bytes) into.set(key, bytes);
  }

  #times(shared: Shared): Times {
    const r = this.#r;
    this.#v.container();
    const times: Times = { created: null, modified: null, expiry: null, expires: false };
    for (let name = r.child(); name !== null; name = r.child()) {
      if (name === 'CreationTime') times.created = shared.date(this.#v.text());
      else if (name === 'LastModificationTime') times.modified = shared.date(this.#v.text());
      else if (name === 'ExpiryTime') times.expiry = shared.date(this.#v.text());
      else if (name === 'Expires') times.expires = isTrue(this.#v.text());
      else this.#v.skip();
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
