// Prune what left the inventory, after a complete apply only.
import { pruneStale } from '../../apply/prune.js';
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
      const deleted = await pruneStale(await clusters.clientFor(work.target), work.previousInventory, work.inventory, work.ref);
      work.changes.push(...deleted);
      return { deleted: deleted.length };
    } catch (error) {
      if (error instanceof KubeError && !error.retryable) return { failure: { reason: KustomizationReason.PruneFailed, message: `prune failed: ${error.message}`, stalled: false } };
      throw error;
    }
  };
}
