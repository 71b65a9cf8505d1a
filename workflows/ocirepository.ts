// The reconcile loop of one OCIRepository, the source loop (workflows/source-loop.ts)
// with its steps:
//
//   checkRemote → pull → storeArtifact → finalizeStatus
//
// checkRemote asks the registry which manifest the reference names (no pull); when the
// revision, the ignore rules and the layer selector are those of the stored artifact it
// goes straight to finalizeStatus.
import type { ArtifactCheck } from '../activities/ocirepository/index.js';
import { continueAsSourceLoop, sourceLoop, type SourceKind, type SourceLoopInput } from './source-loop.js';

const ociRepository: SourceKind<ArtifactCheck> = {
  kind: 'OCIRepository',
  firstStep: { name: 'checkRemote', summary: (name) => `ask the registry of OCIRepository ${name} for its digest`, details: 'checking the registry' },
  workerSteps: () => [
    { name: 'pull', summary: 'pull', reason: 'OCIArtifactPullFailed' },
    { name: 'storeArtifact', summary: 'pack and store', reason: 'ArchiveOperationFailed', condition: 'StorageOperationFailed' },
  ],
};

export async function ociRepositoryLoop(input: SourceLoopInput): Promise<void> {
  await sourceLoop(ociRepository, input, continueAsSourceLoop<typeof ociRepositoryLoop>());
}
