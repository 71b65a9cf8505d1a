// The health of what was applied (`wait: true`, or healthChecks), by kstatus rules or
// healthCheckExprs, until spec.timeout. The workflow cancels the wait when a newer
// request arrives, so an old revision is never judged.
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { HealthCheckError, waitUntilHealthy } from '../health.js';
import { showStepProgress } from '../progress.js';
import type { KustomizationContext } from './work.js';

export function checkHealthStep(context: KustomizationContext) {
  const { clusters, objects, workspaces, healthPollIntervalMs } = context;
  return async function checkHealth({ local, deadline }: { local: WorkerLocal; deadline: number }): Promise<{ failure?: string }> {
    return workspaces.using(local.workspace, async ({ state: work }) => {
      const message = `Running health checks for revision ${work.source.artifact.revision} with a timeout of ${goDurationString(work.spec.timeoutMs)}`;
      // As Flux: Reconciling and Healthy=Unknown say what is waited for; Ready stays Unknown from the fetch.
      work.conditions = await showStepProgress(objects, work.ref, work.conditions, { healthy: message, reconciling: message });
      const live = await clusters.liveObjectsFor(work.target);
      try {
        const question = { objects: work.healthTargets, applied: work.applied, deadline, expressions: work.spec.healthCheckExprs };
        await waitUntilHealthy(live, question, healthPollIntervalMs);
        return {};
      } catch (error) {
        if (error instanceof HealthCheckError) return { failure: error.message };
        throw error;
      }
    });
  };
}
