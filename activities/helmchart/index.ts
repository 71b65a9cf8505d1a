// The source-controller's HelmChart activities: one per step of a reconcile —
// checkSource → fetchChart → packageChart → storeArtifact → finalizeStatus — registered
// as `HelmChart.<step>`. An equal build costs two: checkSource and finalizeStatus.
import type { ArtifactStore } from '../../artifacts/store.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { checkSourceStep } from './check-source.js';
import { fetchChartStep } from './fetch-chart.js';
import { finalizeChartStatusStep } from './finalize.js';
import { packageChartStep } from './package-chart.js';
import { storeChartStep } from './store-artifact.js';
import type { HelmChartContext, HelmChartWork } from './work.js';

export type { ChartCheck } from './check-source.js';

export interface HelmChartDependencies {
  objects: FluxObjects;
  store: ArtifactStore;
  /** this worker's own task queue, where a reconcile's later steps run */
  workerQueue: string;
}

export function helmChartSteps(deps: HelmChartDependencies) {
  const schema = specSchemaFor(apiVersionOf('HelmChart'), 'HelmChart');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving HelmChart ${apiVersionOf('HelmChart')}`);
  const context: HelmChartContext = {
    objects: deps.objects,
    store: deps.store,
    workerQueue: deps.workerQueue,
    schema,
    workspaces: createWorkspaces<HelmChartWork>({ prefix: 'helmchart' }),
  };
  return {
    checkSource: checkSourceStep(context),
    fetchChart: fetchChartStep(context),
    packageChart: packageChartStep(context),
    storeArtifact: storeChartStep(context),
    finalizeStatus: finalizeChartStatusStep(context),
  };
}

export function createHelmChartActivities(deps: HelmChartDependencies) {
  return stepActivities('HelmChart', helmChartSteps(deps));
}
