// Reading a step that failed for good (its retries spent, or not retryable): was its
// worker lost — the reconcile then starts again from the first step — or what is the
// cause to write on the object's status.
import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../common/failures.js';

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
