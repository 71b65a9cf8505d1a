// Latest wins: a wait (the health check of what was just applied) that a newer request
// — a new source revision, a forced reconcile, a new spec — cuts short, so an old
// revision is never judged. The cancellation reaches the activity through its heartbeat.
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { ReconcileLoop } from './reconcile-loop.js';

export const superseded = Symbol('superseded');

export type WaitResult<T> = { value: T } | { error: unknown } | typeof superseded;

export async function waitUnlessSuperseded<T>(loop: ReconcileLoop, current: Parameters<ReconcileLoop['supersedes']>[0], wait: () => Promise<T>): Promise<WaitResult<T>> {
  const scope = new CancellationScope();
  let finished = false;
  const waiting = scope
    .run(wait)
    .then(
      (value): WaitResult<T> => ({ value }),
      (error: unknown): WaitResult<T> => (isCancellation(error) ? superseded : { error }),
    )
    .finally(() => {
      finished = true;
    });
  await condition(() => finished || loop.supersedes(current));
  if (!finished) scope.cancel();
  return waiting;
}
