// How errors cross from activities into workflows: as ApplicationFailures whose type is
// one of common/failures.ts and whose retryability Temporal's retry policy obeys.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, isTypedFailure } from '../common/failures.js';

export function asActivityFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (isTypedFailure(error)) {
    return ApplicationFailure.create({ message: error.message, type: error.failureType, nonRetryable: !error.retryable });
  }
  // A bug, or an error no module classified: retrying the same input will not fix it,
  // and it must reach the object's status rather than spin inside the activity.
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ message: `unexpected error: ${message}`, type: FailureType.Unexpected, nonRetryable: true });
}

/** Runs an activity body so that every failure leaves it as an ApplicationFailure. */
export async function reportingFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw asActivityFailure(error);
  }
}

/** A failure that means: this worker lost the reconcile's workspace; start the reconcile again. */
export function workspaceLost(id: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `workspace ${id} is not on this worker (it restarted); the reconcile starts again`, type: FailureType.WorkspaceLost, nonRetryable: true });
}
