// Staged server-side apply of the built objects to the Kustomization's target; the new
// inventory is kept only once the whole apply succeeded.
import { ApplyError, stagedApply, type ApplyProgress } from '../../apply/staged-apply.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { fluxControllersIn, fluxControllersNotice } from '../../domain/flux-controllers.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { referenceKey } from '../../kube/objects.js';
import { ClusterTargetError } from '../../kube/targets.js';
import { KubeError } from '../../kube/errors.js';
import { showStepProgress } from '../progress.js';
import { reportProgress } from '../heartbeat.js';
import { fieldManager } from '../../apply/target.js';
import type { KustomizationContext } from './work.js';

export function applyStep(context: KustomizationContext) {
  const { clusters, objects, workspaces } = context;
  return async function apply({ local }: { local: WorkerLocal }): Promise<{ changed?: number; failure?: StepFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { ref, spec } = work;
    const built = work.objects;
    if (!built) throw new Error(`the apply of ${ref.namespace}/${ref.name} ran before its build`);
    work.conditions = await showStepProgress(objects, ref, work.conditions, {
      ready: 'Reconciliation in progress',
      reconciling: `Detecting drift for revision ${work.source.artifact.revision} with a timeout of ${goDurationString(spec.timeoutMs)}`,
    });
    let progress: ApplyProgress | undefined;
    reportProgress(() => progress);
    try {
      const cluster = await clusters.clientFor(work.target);
      const { changes, applied, inventory, skipped } = await stagedApply(cluster, built, { fieldManager, force: spec.force === true, onProgress: (p) => (progress = p) });
      work.changes = changes;
      work.applied = applied;
      work.inventory = inventory;
      work.skipped = skipped;
      // `wait` waits for what was applied, not for what a marker left alone (as Flux).
      if (spec.wait) work.healthTargets = work.healthTargets.filter((target) => applied.has(referenceKey(target)));
      const controllers = fluxControllersIn(built);
      if (controllers.length > 0) work.notice = fluxControllersNotice(controllers);
      work.objects = undefined; // the inventory and health targets are all later steps need
      return { changed: changes.length };
    } catch (error) {
      // Refused for good (an invalid object, a forbidden kind, an unusable kubeconfig):
      // on the status now. An outage is retried by the step's policy first.
      if (error instanceof ApplyError) return { failure: { reason: KustomizationReason.ReconciliationFailed, message: error.message, stalled: false } };
      if (error instanceof ClusterTargetError || (error instanceof KubeError && !error.retryable)) {
        return { failure: { reason: KustomizationReason.ReconciliationFailed, message: `apply failed: ${error.message}`, stalled: false } };
      }
      throw error;
    }
  };
}
