// A Kustomization's inventory, in Flux's format: one entry per applied object, its ID
// `<namespace>_<name>_<group>_<kind>` leaving the version out (an apiVersion change is
// not a deletion) and the version kept beside it in `v`.
import type { KubernetesObject, ObjectReference } from '../kube/objects.js';

export interface InventoryEntry {
  id: string;
  v: string;
}

export interface Inventory {
  entries: InventoryEntry[];
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function versionOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[1]! : apiVersion;
}

export function entryOf(object: Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>): InventoryEntry {
  const { apiVersion, kind, metadata } = object;
  return { id: `${metadata.namespace ?? ''}_${metadata.name}_${groupOf(apiVersion)}_${kind}`, v: versionOf(apiVersion) };
}

/** The inventory of what an apply produced, in apply order. */
export function inventoryOf(objects: readonly Pick<KubernetesObject, 'apiVersion' | 'kind' | 'metadata'>[]): Inventory {
  return { entries: objects.map(entryOf) };
}

/** The entries of `previous` that `next` no longer has: what prune may delete. */
export function staleEntries(previous: Inventory | undefined, next: Inventory): InventoryEntry[] {
  const kept = new Set(next.entries.map((entry) => entry.id));
  return (previous?.entries ?? []).filter((entry) => !kept.has(entry.id));
}

/** The object an inventory entry names. */
export function referenceOfEntry(entry: InventoryEntry): ObjectReference {
  const [namespace, name, group, kind] = entry.id.split('_') as [string, string, string, string];
  const ref: ObjectReference = { apiVersion: group ? `${group}/${entry.v}` : entry.v, kind, name };
  if (namespace) ref.namespace = namespace;
  return ref;
}
