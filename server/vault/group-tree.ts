// Walks a vault's group tree into entry records in tree order, with paths, Recycle Bin and counts.
import type { EntryState } from './snapshot';
import type { TreeCounts } from './vault-info';
import { joinPath, type EntryRecord } from './versions';

/** A group as a reader found it; UUIDs are 32 lowercase hex digits. */
export interface TreeGroup {
  readonly uuid: string;
  readonly name: string;
  readonly entries: readonly { readonly uuid: string; readonly current: EntryState; readonly history: readonly EntryState[] }[];
  readonly groups: readonly TreeGroup[];
}

interface Walk {
  readonly all: EntryRecord[];
  readonly live: number[];
  groups: number;
  historyItems: number;
  recycled: number;
}

/** A group's entries, then its subgroups: the tree order field references and `live` rely on. */
function walk(group: TreeGroup, path: string, recycleBin: string | null, recycled: boolean, acc: Walk): void {
  for (const entry of group.entries) {
    acc.all.push({ uuid: entry.uuid, group: path, current: entry.current, history: entry.history });
    if (recycled) {
      acc.recycled += 1;
      continue;
    }
    acc.historyItems += entry.history.length;
    acc.live.push(acc.all.length - 1);
  }
  for (const child of group.groups) {
    const inBin = recycled || child.uuid === recycleBin;
    if (!inBin) acc.groups += 1;
    walk(child, joinPath(path, child.name), recycleBin, inBin, acc);
  }
}

/** Every entry in tree order (recycled ones too: references may name them), and which are live. */
export function walkTree(root: TreeGroup, recycleBin: string | null): TreeCounts & { all: EntryRecord[] } {
  const acc: Walk = { all: [], live: [], groups: 0, historyItems: 0, recycled: 0 };
  walk(root, '', recycleBin, false, acc);
  return acc;
}
