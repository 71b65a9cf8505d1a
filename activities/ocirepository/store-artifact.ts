// Store the pulled artifact as Flux's reconcileArtifact does: an extracted layer packed
// by the ignore rules (.sourceignore files, then spec.ignore, or Flux's default
// exclusions), a copied layer stored byte for byte; the stable link `latest.tar.gz` that
// status.url names; old artifacts collected.
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { digestOfRevision } from '../../domain/oci-artifact.js';
import { ignoreRules } from '../source-ignore-rules.js';
import type { OCIRepositoryContext } from './work.js';

export function storeArtifactStep(context: OCIRepositoryContext) {
  const { store, workspaces } = context;
  return async function storeArtifact({ local }: { local: WorkerLocal }): Promise<{ digest?: string }> {
    const work = workspaces.get(local.workspace).state;
    const { ref, spec, revision } = work;
    if (!work.layerFile) throw new Error(`the artifact of OCIRepository ${ref.namespace}/${ref.name} was stored before it was pulled`);
    const stored = work.contentDir
      ? await store.archive(work.contentDir, ref, revision, await ignoreRules(work.contentDir, spec.ignore))
      : await store.copyIn(ref, `${digestOfRevision(revision)}.tar.gz`, work.layerFile, revision);
    const artifact = work.metadata ? { ...stored, metadata: work.metadata } : stored;
    const url = await store.link(stored, 'latest.tar.gz');
    await store.garbageCollect(ref, stored);
    work.result = { outcome: 'stored', artifact, url, ignore: spec.ignore, layerSelector: spec.layerSelector, fetchedFrom: spec.url };
    return { digest: artifact.digest };
  };
}
