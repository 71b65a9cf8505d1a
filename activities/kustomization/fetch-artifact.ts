// Download the source's artifact, once per worker: the cache unpacks each digest once,
// and check that spec.path is in it (a missing path is Flux's ArtifactFailed). Only then
// is the revision attempted: lastAttemptedRevision is written with the build's progress.
// The build checks out a private copy only when it has to run kustomize.
import { ArtifactError } from '../../artifacts/fetch.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { BuildError, PathNotFoundError, pathWithin } from '../../kustomize/build.js';
import { showStepProgress } from '../progress.js';
import type { KustomizationContext } from './work.js';

export function fetchArtifactStep(context: KustomizationContext) {
  const { objects, workspaces, artifacts } = context;
  return async function fetchArtifact({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { artifact, id } = work.source;
    work.conditions = await showStepProgress(objects, work.ref, work.conditions, {
      ready: 'Reconciliation in progress',
      reconciling: `Fetching manifests for revision ${artifact.revision} with a timeout of ${goDurationString(work.spec.timeoutMs)}`,
    });
    let tree: string;
    try {
      tree = await artifacts.prepare(artifact.url, artifact.digest);
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      const failed = new ArtifactError(`failed to fetch the artifact of '${id}': ${error.message}`, error.retryable);
      // A download that may pass later is retried by the step's policy; a wrong digest is not.
      if (failed.retryable) throw failed;
      return { failure: { reason: KustomizationReason.ArtifactFailed, message: failed.message, stalled: false } };
    }
    const path = work.spec.path ?? './';
    try {
      await pathWithin(tree, path);
    } catch (error) {
      if (!(error instanceof BuildError)) throw error;
      // Flux's words for a missing path, naming it as the spec does rather than where the worker unpacked it.
      const message = error instanceof PathNotFoundError ? `kustomization path not found: stat ${path}: no such file or directory` : error.message;
      return { failure: { reason: KustomizationReason.ArtifactFailed, message, stalled: false } };
    }
    work.attempted = true;
    work.conditions = await showStepProgress(
      objects,
      work.ref,
      work.conditions,
      { reconciling: `Building manifests for revision ${artifact.revision} with a timeout of ${goDurationString(work.spec.timeoutMs)}` },
      { lastAttemptedRevision: artifact.revision },
    );
    return {};
  };
}
