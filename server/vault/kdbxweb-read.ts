// kdbxweb's own XML reader and object model, mapped to entry records: the reference the streaming reader matches, and its fallback.
import * as kdbxweb from 'kdbxweb';
import { entryState, splitTags } from './entry-state';
import { Secret, type FieldValue } from './secret';
import type { Attachment } from './snapshot';
import type { TreeCounts } from './vault-info';
import type { EntryRecord } from './versions';
import { walkTree, type TreeGroup } from './group-tree';

// kdbxweb also splits tags on ':', which would cut a tag such as `env:prod` in two; KeePass and the
// contract split on ';' and ',' only. Its XML reader looks the function up on this module at call time.
Object.assign(kdbxweb.XmlUtils, {
  getTags(node: Node): string[] {
    return splitTags(kdbxweb.XmlUtils.getText(node) ?? '');
  },
});

const hexOf = (uuid: kdbxweb.KdbxUuid): string => Buffer.from(uuid.toBytes()).toString('hex');

function uuidOf(uuid: kdbxweb.KdbxUuid): string {
  const hex = hexOf(uuid);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const fieldValue = (field: kdbxweb.KdbxEntryField): FieldValue =>
  field instanceof kdbxweb.ProtectedValue ? new Secret(field.getText()) : field;

export function binaryBytes(binary: kdbxweb.KdbxBinary | kdbxweb.KdbxBinaryWithHash): Uint8Array {
  const value = 'value' in binary && !(binary instanceof kdbxweb.ProtectedValue) ? binary.value : binary;
  if (value instanceof kdbxweb.ProtectedValue) return value.getBinary();
  return new Uint8Array(value.slice(0));
}

function stateOf(entry: kdbxweb.KdbxEntry): EntryRecord['current'] {
  const fields = new Map<string, FieldValue>();
  for (const [name, value] of entry.fields) fields.set(name, fieldValue(value));
  const attachments: Attachment[] = [];
  for (const [name, binary] of entry.binaries) {
    const bytes = binaryBytes(binary);
    attachments.push(Object.freeze({ name, size: bytes.byteLength, bytes }));
  }
  return entryState({
    fields,
    attachments,
    tags: entry.tags,
    created: entry.times.creationTime ?? null,
    modified: entry.times.lastModTime ?? null,
    expires: entry.times.expires ? (entry.times.expiryTime ?? null) : null,
  });
}

function treeOf(group: kdbxweb.KdbxGroup): TreeGroup {
  return {
    uuid: hexOf(group.uuid),
    name: group.name ?? '',
    entries: group.entries.map((entry) => ({ uuid: uuidOf(entry.uuid), current: stateOf(entry), history: entry.history.map(stateOf) })),
    groups: group.groups.map(treeOf),
  };
}

/** Every entry of a loaded database in tree order (recycled ones included), or null when it has no root group. */
export function recordsOf(db: kdbxweb.Kdbx): (TreeCounts & { all: EntryRecord[] }) | null {
  const root = db.groups[0];
  if (!root) return null;
  const bin = db.meta.recycleBinUuid;
  return walkTree(treeOf(root), bin && !bin.empty ? hexOf(bin) : null);
}
