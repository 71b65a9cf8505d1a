// The kustomize-controller's activities: one per step of a Kustomization reconcile, in
// Flux's order — resolveSource → checkDependencies → fetchArtifact → build → apply →
// prune → checkHealth → finalizeStatus — and finalizeDeletion. Each is registered as
// `Kustomization.<step>`, so the Web UI names the step that ran or failed.
import { defaultAccessFlags, type AccessFlags } from '../../domain/access-flags.js';
import { createArtifactCache, type ArtifactCache } from '../../artifacts/cache.js';
import { createLimiter } from '../../common/limiter.js';
import { createBuildCache } from '../../kustomize/build-cache.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { ClusterTargets } from '../../kube/targets.js';
import { clusterBuildInputs } from '../../kustomize/render.js';
import { stepActivities } from '../steps.js';
import { createWorkspaces } from '../workspaces.js';
import { applyStep } from './apply.js';
import { buildStep } from './build.js';
import { checkDependenciesStep } from './dependencies.js';
import { fetchArtifactStep } from './fetch-artifact.js';
import { finalizeDeletionStep, finalizeStatusStep } from './finalize.js';
import { checkHealthStep } from './health.js';
import { pruneStep } from './prune.js';
import { resolveSourceStep } from './resolve-source.js';
import type { KustomizationContext, KustomizationWork } from './work.js';

export { finalizer } from './work.js';
export type { SourceResolution } from './resolve-source.js';
export type { FinalStatus, KustomizationVerdict } from './finalize.js';

export interface KustomizationDependencies {
  clusters: ClusterTargets;
  objects: FluxObjects;
  /** this worker's own task queue, where a reconcile's later steps run */
  workerQueue: string;
  artifacts?: ArtifactCache;
  concurrentBuilds?: number;
  healthPollIntervalMs?: number;
  /** Flux's StrictPostBuildSubstitutions feature gate: off by default, as in Flux v2.7 */
  strictSubstitution?: boolean;
  /** Flux's --no-cross-namespace-refs, --default-service-account, --no-remote-bases, --sops-age-secret */
  access?: AccessFlags;
  /** Flux's AdditiveCELDependencyCheck feature gate: off by default, as in Flux v2.7 */
  additiveCELDependencyCheck?: boolean;
}

/** The steps, by name; the workflow calls them through `proxySteps('Kustomization', ...)`. */
export function kustomizationSteps(deps: KustomizationDependencies) {
  const schema = specSchemaFor(apiVersionOf('Kustomization'), 'Kustomization');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving Kustomization ${apiVersionOf('Kustomization')}`);
  const context: KustomizationContext = {
    clusters: deps.clusters,
    objects: deps.objects,
    artifacts: deps.artifacts ?? createArtifactCache(),
    workspaces: createWorkspaces<KustomizationWork>({ prefix: 'kustomization' }),
    workerQueue: deps.workerQueue,
    schema,
    buildInputs: clusterBuildInputs(deps.objects, deps.clusters.local),
    builds: createBuildCache(),
    // kustomize builds are CPU-bound: more at once than cores only makes each slower.
    buildSlot: createLimiter(deps.concurrentBuilds ?? 4),
    healthPollIntervalMs: deps.healthPollIntervalMs ?? 1000,
    strictSubstitution: deps.strictSubstitution ?? false,
    access: deps.access ?? defaultAccessFlags,
    additiveCELDependencyCheck: deps.additiveCELDependencyCheck ?? false,
  };
  return {
    resolveSource: resolveSourceStep(context),
    checkDependencies: checkDependenciesStep(context),
    fetchArtifact: fetchArtifactStep(context),
    build: buildStep(context),
    apply: applyStep(context),
    prune: pruneStep(context),
    checkHealth: checkHealthStep(context),
    finalizeStatus: finalizeStatusStep(context),
    finalizeDeletion: finalizeDeletionStep(context),
  };
}

export type KustomizationSteps = ReturnType<typeof kustomizationSteps>;

/** The activities a worker registers for Kustomizations. */
export function createKustomizationActivities(deps: KustomizationDependencies) {
  return stepActivities('Kustomization', kustomizationSteps(deps));
}
