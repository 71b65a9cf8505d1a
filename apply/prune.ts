// Prune: deleting what left the inventory, in reverse apply order (Namespaces and CRDs
// last), and only what is still this Kustomization's and not marked to be kept.
import type { KubeClient } from '../kube/client.js';
import { describeReference } from '../kube/objects.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { pruneOrder } from '../domain/apply-order.js';
import { referenceOfEntry, staleEntries, type Inventory } from '../domain/inventory.js';
import { prunable } from './markers.js';

/** Deletes the stale objects; returns `Kind/ns/name deleted` for each. */
export async function pruneStale(kube: KubeClient, previous: Inventory | undefined, next: Inventory, owner: FluxObjectRef): Promise<string[]> {
  const deleted: string[] = [];
  for (const entry of pruneOrder(staleEntries(previous, next).map((e) => ({ ...referenceOfEntry(e) })))) {
    const live = await kube.get(entry);
    if (!live || !prunable(live, owner)) continue;
    await kube.delete(entry);
    deleted.push(`${describeReference(entry)} deleted`);
  }
  return deleted;
}
