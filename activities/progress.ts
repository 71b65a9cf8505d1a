// Showing that a reconcile is under way, as Flux does: Reconciling=True and Ready=Unknown
// while the work runs, written as each long step starts, so `kubectl get` tells
// "working on it" from "done". The final word is finalizeStatus's.
import type { FluxObjects } from '../kube/flux-objects.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { ConditionReason, ConditionType, markReconciling, removeCondition, setCondition, type Condition } from '../domain/conditions.js';

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

/**
 * Flux's progress of a step: Reconciling=True with the step's words, and Ready=Unknown
 * (or, for the health checks, Healthy=Unknown) with `ready`'s; `status` goes with them
 * (lastAttemptedRevision, once the revision's path was found). Returns the conditions
 * written, for the reconcile's next progress write to start from.
 */
export async function showStepProgress(
  objects: FluxObjects,
  ref: FluxObjectRef,
  conditions: readonly Condition[],
  words: { ready?: string; healthy?: string; reconciling: string },
  status: Record<string, unknown> = {},
): Promise<Condition[]> {
  const now = new Date().toISOString();
  let next = setCondition(conditions, { type: ConditionType.Reconciling, status: 'True', reason: ConditionReason.Progressing, message: words.reconciling }, { now });
  if (words.ready) next = setCondition(next, { type: ConditionType.Ready, status: 'Unknown', reason: ConditionReason.Progressing, message: words.ready }, { now });
  if (words.healthy) next = setCondition(next, { type: 'Healthy', status: 'Unknown', reason: ConditionReason.Progressing, message: words.healthy }, { now });
  const written = removeCondition(next, ConditionType.Stalled);
  await objects.patchStatus(ref, { ...status, conditions: written });
  return written;
}
