// How errors cross from activities into workflows: as ApplicationFailures whose type
// names the boundary and whose retryability Temporal's retry policy obeys.
import { ApplicationFailure } from '@temporalio/common';
import { KubeError } from '../kube/errors.js';

export function asActivityFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof KubeError) {
    return ApplicationFailure.create({ message: error.message, type: 'KubeError', nonRetryable: !error.retryable });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ message, type: 'UnexpectedError' });
}

/** Runs an activity body so that every failure leaves it as an ApplicationFailure. */
export async function reportingFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw asActivityFailure(error);
  }
}
