// Prune: deleting what left the inventory, in reverse apply order (Namespaces and CRDs
// last), and only what is still this Kustomization's and not marked to be kept. A delete
// the API server refuses (a webhook, a finalizer's controller, RBAC) does not stop the
// others; the objects not deleted stay in the inventory, so the next reconcile tries them
// again instead of leaving them behind untracked (Flux re-tracks them the same way).
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { describeReference, type ObjectReference } from '../kube/objects.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { pruneOrder } from '../domain/apply-order.js';
import { referenceOfEntry, staleEntries, type Inventory, type InventoryEntry } from '../domain/inventory.js';
import { prunable } from './markers.js';

export interface PruneResult {
  /** `Kind/ns/name deleted` for each object deleted */
  deleted: string[];
  /** the objects deleted (they may still be terminating) */
  deletedObjects: ObjectReference[];
  /** the stale entries whose delete failed, with the API server's reason */
  failed: { entry: InventoryEntry; message: string }[];
}

export async function pruneStale(kube: KubeClient, previous: Inventory | undefined, next: Inventory, owner: FluxObjectRef, skipped?: Inventory): Promise<PruneResult> {
  const result: PruneResult = { deleted: [], deletedObjects: [], failed: [] };
  const stale = staleEntries(previous, next, skipped).map((entry) => ({ entry, ref: referenceOfEntry(entry) }));
  for (const { entry, ref } of pruneOrder(stale.map((item) => ({ ...item.ref, item }))).map(({ item }) => item)) {
    try {
      const live = await kube.get(ref);
      if (!live || !prunable(live, owner)) continue;
      await kube.delete(ref);
      result.deleted.push(`${describeReference(ref)} deleted`);
      result.deletedObjects.push(ref);
    } catch (error) {
      // An API server out of reach is the step's to retry; any answer (a webhook's refusal, a
      // forbidden delete, a 500) is this object's alone, as in Flux's DeleteAll.
      if (!(error instanceof KubeError) || error.status === 0) throw error;
      result.failed.push({ entry, message: error.message });
    }
  }
  return result;
}

/** The inventory with the entries prune could not delete kept in it (Flux's inventory.Merge). */
export function withUndeleted(inventory: Inventory, failed: PruneResult['failed']): Inventory {
  const ids = new Set(inventory.entries.map((entry) => entry.id));
  return { entries: [...inventory.entries, ...failed.map(({ entry }) => entry).filter((entry) => !ids.has(entry.id))] };
}

/**
 * Waits until the deleted objects are gone (finalizers run), as deletionPolicy
 * WaitForTermination asks; returns those still there at the deadline.
 */
export async function waitForTermination(kube: KubeClient, refs: readonly ObjectReference[], deadline: number, pollMs = 1000): Promise<ObjectReference[]> {
  let remaining = [...refs];
  for (;;) {
    const present = await Promise.all(remaining.map(async (ref) => ((await kube.get(ref)) ? ref : undefined)));
    remaining = present.filter((ref): ref is ObjectReference => ref !== undefined);
    if (remaining.length === 0 || Date.now() >= deadline) return remaining;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
