// The contract of every per-object workflow, shared by the workflows and their clients
// (the watcher, the CLI, anyone with the `temporal` CLI): its signals and query (its ID
// is in loop-addresses.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { statusQueryName } from './loop-addresses.js';

/**
 * What asked for a reconcile. Every request queues one more reconcile (requests coalesce);
 * only news the reconcile under way cannot have seen — a new requestedAt token, a source
 * revision other than the one it works on, a newer generation — cuts its health wait
 * short. A plain signal (`temporal workflow signal --name reconcile`, the resync) waits.
 */
export interface ReconcileRequest {
  /** the object's reconcile.fluxcd.io/requestedAt annotation (`flux reconcile`, the CLI) */
  requestedAt?: string;
  /** the revision a source just stored, when a source sends the request */
  revision?: string;
  /** the object's metadata.generation, when the watcher saw a new one */
  generation?: number;
}

/** Reconcile now (`flux reconcile`, a source's new revision, a new spec). */
export const reconcileSignal = defineSignal<[ReconcileRequest?]>('reconcile');
/** Starts a loop that is missing (the periodic resync); a running loop carries on as it is. */
export const ensureRunningSignal = defineSignal('ensureRunning');
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
  /** what the reconcile read: requests that tell no more need no reconcile after it */
  seen?: ReconcileSight;
}

/** What one reconcile read of its object and source. */
export interface ReconcileSight {
  requestedAt?: string;
  revision?: string;
  generation: number;
}

export const statusQuery = defineQuery<ObjectWorkflowStatus>(statusQueryName);
