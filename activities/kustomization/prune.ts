// Prune what left the inventory, after a complete apply only. Every stale object is
// tried; those whose delete was refused stay in the inventory and on the status.
import { pruneStale, withUndeleted } from '../../apply/prune.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { KubeError } from '../../kube/errors.js';
import type { KustomizationContext } from './work.js';

export function pruneStep(context: KustomizationContext) {
  const { clusters, workspaces } = context;
  return async function prune({ local }: { local: WorkerLocal }): Promise<{ deleted?: number; failure?: StepFailure }> {
    const work = workspaces.get(local.workspace).state;
    if (!work.inventory) throw new Error(`the prune of ${work.ref.namespace}/${work.ref.name} ran before its apply`);
    try {
      const { deleted, failed } = await pruneStale(await clusters.clientFor(work.target), work.previousInventory, work.inventory, work.ref, work.skipped);
      work.changes.push(...deleted);
      if (failed.length === 0) return { deleted: deleted.length };
      work.inventory = withUndeleted(work.inventory, failed);
      const message = `prune failed: ${failed.map((failure) => failure.message).join('; ')}`;
      return { deleted: deleted.length, failure: { reason: KustomizationReason.PruneFailed, message, stalled: false } };
    } catch (error) {
      if (error instanceof KubeError && !error.retryable) return { failure: { reason: KustomizationReason.PruneFailed, message: `prune failed: ${error.message}`, stalled: false } };
      throw error;
    }
  };
}
