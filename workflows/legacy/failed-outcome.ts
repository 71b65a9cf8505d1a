// The legacy loops' way of taking a reconcile activity that failed for good.
import { isCancellation, log } from '@temporalio/workflow';
import type { ReconcileOutcome } from '../../common/object-workflow.js';
import type { ReconcileLoop } from '../reconcile-loop.js';

/**
 * A reconcile activity that failed for good (its retries spent, or an error retrying
 * cannot fix, such as a 403 from the API server) as a failed reconcile: the loop backs
 * off and tries again, as a controller would, instead of ending. Cancellation still ends it.
 */
export function failedOutcome(loop: ReconcileLoop, error: unknown): ReconcileOutcome {
  if (isCancellation(error)) throw error;
  const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
  log.warn('reconcile failed; retrying after a back-off', { error: cause });
  return { exists: true, suspended: false, ready: false, message: `reconcile failed: ${cause}`, intervalMs: loop.memory().intervalMs };
}
