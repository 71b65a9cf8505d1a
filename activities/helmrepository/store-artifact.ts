// Load the downloaded index as Helm does (invalid chart versions dropped, versions newest
// first), store it as Flux does, as JSON in `index-<revision hex>.yaml` with the stable
// link `index.yaml` that status.url names, and collect old artifacts.
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { HelmRepositoryReason, type IndexResult } from '../../domain/helmrepository-status.js';
import { indexJson, IndexError, loadIndex } from '../../helm/repository-index.js';
import type { HelmRepositoryContext } from './work.js';

type Failure = Extract<IndexResult, { outcome: 'failed' }>;

export function storeIndexStep(context: HelmRepositoryContext) {
  const { store, workspaces } = context;
  return async function storeArtifact({ local }: { local: WorkerLocal }): Promise<{ digest?: string; failure?: Failure }> {
    const work = workspaces.get(local.workspace).state;
    const { ref, spec, revision } = work;
    let json: string;
    try {
      json = indexJson(loadIndex(work.index));
    } catch (error) {
      if (!(error instanceof IndexError)) throw error;
      return { failure: { outcome: 'failed', reason: HelmRepositoryReason.IndexationFailed, message: error.message, stalled: false } };
    }
    const artifact = await store.put(ref, `index-${revision.slice('sha256:'.length)}.yaml`, json, revision);
    const url = await store.link(artifact, 'index.yaml');
    await store.garbageCollect(ref, artifact);
    work.result = { outcome: 'stored', artifact, url, fetchedFrom: spec.url };
    return { digest: artifact.digest };
  };
}
