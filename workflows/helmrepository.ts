// The reconcile loop of one HelmRepository, the source loop (workflows/source-loop.ts)
// with its steps:
//
//   fetchIndex → storeArtifact → finalizeStatus
//
// fetchIndex downloads `<url>/index.yaml` on the shared source-controller queue; an
// index whose digest is the stored revision goes straight to finalizeStatus. An OCI
// HelmRepository has no artifact: its loop only waits.
import type { IndexCheck } from '../activities/helmrepository/index.js';
import { continueAsSourceLoop, sourceLoop, type SourceKind, type SourceLoopInput } from './source-loop.js';

const helmRepository: SourceKind<IndexCheck> = {
  kind: 'HelmRepository',
  firstStep: { name: 'fetchIndex', summary: (name) => `download the index of HelmRepository ${name}`, details: 'fetching the index' },
  workerSteps: () => [{ name: 'storeArtifact', summary: 'store the index', reason: 'StorageOperationFailed', condition: 'StorageOperationFailed' }],
};

export async function helmRepositoryLoop(input: SourceLoopInput): Promise<void> {
  await sourceLoop(helmRepository, input, continueAsSourceLoop<typeof helmRepositoryLoop>());
}
