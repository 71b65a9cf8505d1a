// A Kustomization's inventory, in Flux's format (cli-utils' ObjMetadata): one entry per
// applied object, its ID `<namespace>_<name>_<group>_<kind>` leaving the version out (an
// apiVersion change is not a deletion) and the version kept beside it in `v`. A `:` in
// a name (RBAC's `system:controller`) is written `__`, as cli-utils writes it, and read
// back so; reading IDs exactly as Flux wrote them is what keeps a takeover from pruning.
import { apiGroupOf, type KubernetesObject, type ObjectReference } from '../kube/objects.js';

export interface InventoryEntry {
  id: string;
  v: string;
}

export interface Inventory {
  entries: InventoryEntry[];
}

function versionOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[1]! : apiVersion;
}

const separator = '_';
const colonTranscoded = '__';

export class InventoryError extends Error {
  override readonly name = 'InventoryError';
}

export function entryOf(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): InventoryEntry {
  const { apiVersion, kind, metadata } = object;
  const name = metadata.name.replaceAll(':', colonTranscoded);
  return { id: [metadata.namespace ?? '', name, apiGroupOf(apiVersion), kind].join(separator), v: versionOf(apiVersion) };
}

/** An ID's namespace, name, group and kind, parsed as cli-utils parses them: namespace up to the first `_`, kind and group from the end. */
export function parseEntryId(id: string): { namespace: string; name: string; group: string; kind: string } {
  const first = id.indexOf(separator);
  const kindAt = id.lastIndexOf(separator);
  const groupAt = id.lastIndexOf(separator, kindAt - 1);
  if (first < 0 || groupAt <= first) throw new InventoryError(`inventory entry '${id}' is not namespace_name_group_kind`);
  const name = id.slice(first + 1, groupAt).replaceAll(colonTranscoded, ':');
  if (name.includes(separator) || name === '') throw new InventoryError(`inventory entry '${id}' has too many fields`);
  return { namespace: id.slice(0, first), name, group: id.slice(groupAt + 1, kindAt), kind: id.slice(kindAt + 1) };
}

/** The inventory of what an apply produced, in apply order. */
export function inventoryOf(objects: readonly Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>[]): Inventory {
  return { entries: objects.map(entryOf) };
}

/** The entries of `previous` that `next` no longer has, nor left alone (`skipped`): what prune may delete. */
export function staleEntries(previous: Inventory | undefined, next: Inventory, skipped?: Inventory): InventoryEntry[] {
  const kept = new Set([...next.entries, ...(skipped?.entries ?? [])].map((entry) => entry.id));
  return (previous?.entries ?? []).filter((entry) => !kept.has(entry.id));
}

/** The object an inventory entry names. */
export function referenceOfEntry(entry: InventoryEntry): ObjectReference {
  const { namespace, name, group, kind } = parseEntryId(entry.id);
  const ref: ObjectReference = { apiVersion: group ? `${group}/${entry.v}` : entry.v, kind, name };
  if (namespace) ref.namespace = namespace;
  return ref;
}
