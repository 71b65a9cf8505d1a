// Reading a step that failed for good (its retries spent, or not retryable): was its
// worker lost — the reconcile then starts again from the first step — or what is the
// cause to write on the object's status.
import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, isCancellation, log, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../common/failures.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { ReconcileLoop } from './reconcile-loop.js';

const lostWorkerMessage = 'the worker running this reconcile was lost; reconciling again';

/** The worker holding the reconcile's workspace is gone (or restarted and forgot it). */
export function isWorkerLost(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
  return cause instanceof ApplicationFailure && cause.type === FailureType.WorkspaceLost;
}

/** The failure's own words: the activity's error, not Temporal's wrapping of it. */
export function causeMessage(error: unknown): string {
  if (isCancellation(error)) throw error;
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof TimeoutFailure) return `timed out (${(cause.timeoutType ?? 'unknown').toLowerCase().replaceAll('_', '-')})`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * A reconcile that could not even write its outcome (the API server unreachable through
 * every attempt, a worker lost): a failure the loop backs off from, its last revision kept.
 */
export function unfinishedOutcome(loop: ReconcileLoop, error: unknown): ReconcileOutcome {
  const message = isWorkerLost(error) ? lostWorkerMessage : `reconcile failed: ${causeMessage(error)}`;
  log.warn('reconcile did not finish; retrying after a back-off', { error: message });
  const { intervalMs, revision } = loop.memory();
  return { exists: true, suspended: false, ready: false, revision, message, intervalMs };
}
