// The contract of every per-object workflow, shared by the workflows and their clients
// (the watcher, the CLI, anyone with the `temporal` CLI): its ID, signals and query.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** `gitrepository/flux-system/podinfo`: kind in lower case, as Flux users name objects. */
export function objectWorkflowId(ref: { kind: string; namespace: string; name: string }): string {
  return `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}`;
}

/** Force a reconcile now (`flux reconcile`); carries the requestedAt annotation when there is one. */
export const reconcileSignal = defineSignal<[{ requestedAt?: string }?]>('reconcile');
export const suspendSignal = defineSignal('suspend');
export const resumeSignal = defineSignal('resume');

export const ObjectPhase = {
  Reconciling: 'Reconciling',
  Waiting: 'Waiting',
  Suspended: 'Suspended',
} as const;
export type ObjectPhase = (typeof ObjectPhase)[keyof typeof ObjectPhase];

/** Live detail for `kimbernetes get` and the Web UI's query tab. */
export interface ObjectWorkflowStatus {
  phase: ObjectPhase;
  ready?: boolean;
  revision?: string;
  message?: string;
  /** consecutive failed reconciles */
  failures: number;
  /** ISO time of the next scheduled reconcile, when waiting */
  nextReconcileAt?: string;
}

/** What one reconcile tells its loop: small, and free of secrets. */
export interface ReconcileOutcome {
  /** false once the object is gone: the loop ends */
  exists: boolean;
  suspended: boolean;
  ready: boolean;
  revision?: string;
  message: string;
  intervalMs: number;
  /** the object's own retry timing (retryInterval, a dependency's requeue), overriding the back-off */
  retryAfterMs?: number;
}

export const statusQuery = defineQuery<ObjectWorkflowStatus>('status');
