// How errors cross from activities into workflows: as ApplicationFailures whose type is
// one of common/failures.ts and whose retryability Temporal's retry policy obeys.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, isTypedFailure } from '../common/failures.js';

export function asActivityFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (isTypedFailure(error)) {
    const failure = ApplicationFailure.create({ message: error.message, type: error.failureType, nonRetryable: !error.retryable });
    // An expected failure at a boundary: its words say it all, a stack would only show our files.
    failure.stack = '';
    return failure;
  }
  // A bug, or an error no module classified: retrying the same input will not fix it,
  // and it must reach the object's status rather than spin inside the activity. Its own
  // stack goes with it, for whoever debugs it.
  const message = error instanceof Error ? error.message : String(error);
  const failure = ApplicationFailure.create({ message: `unexpected error: ${message}`, type: FailureType.Unexpected, nonRetryable: true });
  if (error instanceof Error && error.stack) failure.stack = error.stack;
  return failure;
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
