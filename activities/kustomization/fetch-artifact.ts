// Download the source's artifact (once per worker: the cache unpacks each digest once)
// and give this reconcile a private copy in its workspace.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../../artifacts/fetch.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { showStepProgress } from '../progress.js';
import type { KustomizationContext } from './work.js';

export function fetchArtifactStep(context: KustomizationContext) {
  const { objects, workspaces, artifacts } = context;
  return async function fetchArtifact({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const workspace = workspaces.get(local.workspace);
    const work = workspace.state;
    const { artifact, id } = work.source;
    await showStepProgress(objects, work.ref, work.conditions, {
      ready: 'Reconciliation in progress',
      reconciling: `Fetching manifests for revision ${artifact.revision} with a timeout of ${goDurationString(work.spec.timeoutMs)}`,
    });
    const root = join(workspace.dir, 'source');
    // A retried attempt starts from nothing, not from what a failed one left.
    await rm(root, { recursive: true, force: true });
    try {
      await artifacts.checkout(artifact.url, artifact.digest, root);
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      const failed = new ArtifactError(`failed to fetch the artifact of '${id}': ${error.message}`, error.retryable);
      // A download that may pass later is retried by the step's policy; a wrong digest is not.
      if (failed.retryable) throw failed;
      return { failure: { reason: KustomizationReason.ArtifactFailed, message: failed.message, stalled: false } };
    }
    work.root = root;
    return {};
  };
}
