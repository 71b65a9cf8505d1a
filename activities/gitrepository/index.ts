// The source-controller's GitRepository activities: one per step of a reconcile —
// checkRemote → clone → (verifySignature) → storeArtifact → finalizeStatus — registered
// as `GitRepository.<step>`. An unchanged remote costs two: checkRemote and finalizeStatus.
import type { ArtifactStore } from '../../artifacts/store.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { checkRemoteStep } from './check-remote.js';
import { cloneStep } from './clone.js';
import { finalizeStatusStep } from './finalize.js';
import { storeArtifactStep } from './store-artifact.js';
import { verifySignatureStep } from './verify-signature.js';
import type { GitRepositoryContext, GitRepositoryWork } from './work.js';

export type { RemoteCheck } from './check-remote.js';
export type { GitRepositoryFinalStatus, GitRepositoryVerdict } from './finalize.js';

export interface GitRepositoryDependencies {
  objects: FluxObjects;
  store: ArtifactStore;
  /** this worker's own task queue, where a reconcile's later steps run */
  workerQueue: string;
}

export function gitRepositorySteps(deps: GitRepositoryDependencies) {
  const schema = specSchemaFor(apiVersionOf('GitRepository'), 'GitRepository');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving GitRepository ${apiVersionOf('GitRepository')}`);
  const context: GitRepositoryContext = {
    objects: deps.objects,
    store: deps.store,
    workerQueue: deps.workerQueue,
    schema,
    workspaces: createWorkspaces<GitRepositoryWork>({ prefix: 'source', dispose: (work) => work.credentials.dispose() }),
  };
  return {
    checkRemote: checkRemoteStep(context),
    clone: cloneStep(context),
    verifySignature: verifySignatureStep(context),
    storeArtifact: storeArtifactStep(context),
    finalizeStatus: finalizeStatusStep(context),
  };
}

export type GitRepositorySteps = ReturnType<typeof gitRepositorySteps>;

export function createGitRepositoryActivities(deps: GitRepositoryDependencies) {
  return stepActivities('GitRepository', gitRepositorySteps(deps));
}
