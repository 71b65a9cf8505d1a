// The reconcile loop of one GitRepository, the source loop (workflows/source-loop.ts)
// with its steps:
//
//   checkRemote → clone → (verifySignature) → storeArtifact → finalizeStatus
//
// checkRemote asks the remote which commit the ref points at (`git ls-remote`, no
// clone); when nothing changed it goes straight to finalizeStatus. A spec.verify makes
// the signature check a step of its own, so the Web UI shows it.
import type { RemoteCheck } from '../activities/gitrepository/index.js';
import { continueAsSourceLoop, sourceLoop, type SourceKind, type SourceLoopInput, type WorkerStep } from './source-loop.js';

export type GitRepositoryLoopInput = SourceLoopInput;

const clone: WorkerStep = { name: 'clone', summary: 'fetch', reason: 'GitOperationFailed' };
const verifySignature: WorkerStep = { name: 'verifySignature', summary: 'verify the signature of', reason: 'VerificationError', condition: 'SourceVerified' };
const storeArtifact: WorkerStep = { name: 'storeArtifact', summary: 'pack and store', reason: 'StorageOperationFailed', condition: 'StorageOperationFailed' };

const gitRepository: SourceKind<RemoteCheck> = {
  kind: 'GitRepository',
  firstStep: { name: 'checkRemote', summary: (name) => `ask the remote of GitRepository ${name} for its revision`, details: 'checking the remote' },
  workerSteps: (check) => (check.verify ? [clone, verifySignature, storeArtifact] : [clone, storeArtifact]),
};

export async function gitRepositoryLoop(input: GitRepositoryLoopInput): Promise<void> {
  await sourceLoop(gitRepository, input, continueAsSourceLoop<typeof gitRepositoryLoop>());
}
