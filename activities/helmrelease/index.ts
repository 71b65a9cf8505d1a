// The helm-controller's HelmRelease activities: one per step of a reconcile —
// resolveRelease → fetchChart → unlock | install | upgrade | rollback |
// uninstallRemediation → finalizeStatus — and finalizeDeletion, registered as
// `HelmRelease.<step>`. A release in sync costs two: resolveRelease and finalizeStatus.
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf, type FluxObjectRef } from '../../kube/flux-kinds.js';
import type { KubeClient } from '../../kube/client.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { ClusterTargets } from '../../kube/targets.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { releaseActionSteps } from './actions.js';
import { fetchChartStep } from './fetch-chart.js';
import { finalizeDeletionStep, finalizeStatusStep } from './finalize.js';
import { resolveReleaseStep } from './resolve-release.js';
import type { HelmReleaseContext, HelmReleaseWork } from './work.js';

export type { ReleaseResolution } from './resolve-release.js';
export type { HelmReleaseFinalStatus, HelmReleaseVerdict } from './finalize.js';

export interface HelmReleaseDependencies {
  kube: KubeClient;
  clusters: ClusterTargets;
  objects: FluxObjects;
  workerQueue: string;
  /** the worker's own cluster as a kubeconfig's text, for helm */
  kubeconfig: string;
  requestReconcile?: (ref: FluxObjectRef) => Promise<void>;
  /** Flux's AdditiveCELDependencyCheck feature gate */
  additiveCELDependencyCheck?: boolean;
}

export function helmReleaseSteps(deps: HelmReleaseDependencies) {
  const schema = specSchemaFor(apiVersionOf('HelmRelease'), 'HelmRelease');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving HelmRelease ${apiVersionOf('HelmRelease')}`);
  const context: HelmReleaseContext = { ...deps, additiveCELDependencyCheck: deps.additiveCELDependencyCheck ?? false, schema, workspaces: createWorkspaces<HelmReleaseWork>({ prefix: 'helmrelease' }) };
  return {
    resolveRelease: resolveReleaseStep(context),
    fetchChart: fetchChartStep(context),
    ...releaseActionSteps(context),
    finalizeStatus: finalizeStatusStep(context),
    finalizeDeletion: finalizeDeletionStep(context),
  };
}

export type HelmReleaseSteps = ReturnType<typeof helmReleaseSteps>;

export function createHelmReleaseActivities(deps: HelmReleaseDependencies) {
  return stepActivities('HelmRelease', helmReleaseSteps(deps));
}
