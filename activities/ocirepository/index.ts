// The source-controller's OCIRepository activities: one per step of a reconcile —
// checkRemote → pull → storeArtifact → finalizeStatus — registered as
// `OCIRepository.<step>`. An unchanged artifact costs two: checkRemote and finalizeStatus.
import type { ArtifactStore } from '../../artifacts/store.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { checkRemoteStep } from './check-remote.js';
import { finalizeArtifactStatusStep } from './finalize.js';
import { pullStep } from './pull.js';
import { storeArtifactStep } from './store-artifact.js';
import type { OCIRepositoryContext, OCIRepositoryWork } from './work.js';

export type { ArtifactCheck } from './check-remote.js';

export interface OCIRepositoryDependencies {
  objects: FluxObjects;
  store: ArtifactStore;
  /** this worker's own task queue, where a reconcile's later steps run */
  workerQueue: string;
}

export function ociRepositorySteps(deps: OCIRepositoryDependencies) {
  const schema = specSchemaFor(apiVersionOf('OCIRepository'), 'OCIRepository');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving OCIRepository ${apiVersionOf('OCIRepository')}`);
  const context: OCIRepositoryContext = {
    objects: deps.objects,
    store: deps.store,
    workerQueue: deps.workerQueue,
    schema,
    workspaces: createWorkspaces<OCIRepositoryWork>({ prefix: 'ocirepository' }),
  };
  return {
    checkRemote: checkRemoteStep(context),
    pull: pullStep(context),
    storeArtifact: storeArtifactStep(context),
    finalizeStatus: finalizeArtifactStatusStep(context),
  };
}

export type OCIRepositorySteps = ReturnType<typeof ociRepositorySteps>;

export function createOCIRepositoryActivities(deps: OCIRepositoryDependencies) {
  return stepActivities('OCIRepository', ociRepositorySteps(deps));
}
