// Showing that a new spec is being worked on, as Flux does: Ready=Unknown and
// Reconciling=True ("processing object: new generation 1 -> 2") until the reconcile ends.
import type { FluxObjects } from '../kube/status.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { markReconciling, type Condition } from '../domain/conditions.js';

/** Returns the status with those conditions, written to the object when the generation is new. */
export async function showProgress<S extends { observedGeneration?: number; conditions?: Condition[] }>(
  objects: FluxObjects,
  ref: FluxObjectRef,
  status: S,
  generation: number,
): Promise<S> {
  if (status.observedGeneration === generation) return status;
  const message = `processing object: new generation ${status.observedGeneration ?? 0} -> ${generation}`;
  const next = { ...status, conditions: markReconciling(status.conditions ?? [], message, { now: new Date().toISOString() }) };
  await objects.patchStatus(ref, { conditions: next.conditions });
  return next;
}
