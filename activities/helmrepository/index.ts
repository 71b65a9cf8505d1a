// The source-controller's HelmRepository activities: one per step of a reconcile —
// fetchIndex → storeArtifact → finalizeStatus — registered as `HelmRepository.<step>`.
// An unchanged index costs two: fetchIndex and finalizeStatus.
import type { ArtifactStore } from '../../artifacts/store.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { fetchIndexStep } from './fetch-index.js';
import { finalizeIndexStatusStep } from './finalize.js';
import { storeIndexStep } from './store-artifact.js';
import type { HelmRepositoryContext, HelmRepositoryWork } from './work.js';

export type { IndexCheck } from './fetch-index.js';

export interface HelmRepositoryDependencies {
  objects: FluxObjects;
  store: ArtifactStore;
  /** this worker's own task queue, where a reconcile's later steps run */
  workerQueue: string;
}

export function helmRepositorySteps(deps: HelmRepositoryDependencies) {
  const schema = specSchemaFor(apiVersionOf('HelmRepository'), 'HelmRepository');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving HelmRepository ${apiVersionOf('HelmRepository')}`);
  const context: HelmRepositoryContext = {
    objects: deps.objects,
    store: deps.store,
    workerQueue: deps.workerQueue,
    schema,
    workspaces: createWorkspaces<HelmRepositoryWork>({ prefix: 'helmrepository' }),
  };
  return {
    fetchIndex: fetchIndexStep(context),
    storeArtifact: storeIndexStep(context),
    finalizeStatus: finalizeIndexStatusStep(context),
  };
}

export type HelmRepositorySteps = ReturnType<typeof helmRepositorySteps>;

export function createHelmRepositoryActivities(deps: HelmRepositoryDependencies) {
  return stepActivities('HelmRepository', helmRepositorySteps(deps));
}
