// Download the source's artifact, once per worker: the cache unpacks each digest once.
// The build checks out a private copy only when it has to run kustomize.
import { ArtifactError } from '../../artifacts/fetch.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { showStepProgress } from '../progress.js';
import type { KustomizationContext } from './work.js';

export function fetchArtifactStep(context: KustomizationContext) {
  const { objects, workspaces, artifacts } = context;
  return async function fetchArtifact({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { artifact, id } = work.source;
    await showStepProgress(objects, work.ref, work.conditions, {
      ready: 'Reconciliation in progress',
      reconciling: `Fetching manifests for revision ${artifact.revision} with a timeout of ${goDurationString(work.spec.timeoutMs)}`,
    });
    try {
      await artifacts.prepare(artifact.url, artifact.digest);
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      const failed = new ArtifactError(`failed to fetch the artifact of '${id}': ${error.message}`, error.retryable);
      // A download that may pass later is retried by the step's policy; a wrong digest is not.
      if (failed.retryable) throw failed;
      return { failure: { reason: KustomizationReason.ArtifactFailed, message: failed.message, stalled: false } };
    }
    return {};
  };
}
