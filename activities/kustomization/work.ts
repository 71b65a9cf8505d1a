// What one Kustomization reconcile keeps on the worker that runs it, between its steps,
// and what every step shares: the object's reading, the cluster it applies to.
import type { AccessFlags } from '../../domain/access-flags.js';
import type { Artifact } from '../../artifacts/store.js';
import type { ArtifactCache } from '../../artifacts/cache.js';
import type { Condition } from '../../domain/conditions.js';
import type { Inventory } from '../../domain/inventory.js';
import type { KustomizationSpec } from '../../domain/kustomization-spec.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { KubernetesObject, ObjectReference } from '../../kube/objects.js';
import type { ClusterTarget, ClusterTargets } from '../../kube/targets.js';
import type { AppliedVersion } from '../../kube/object-watches.js';
import type { BuildInputs } from '../../kustomize/render.js';
import type { BuildCache } from '../../kustomize/build-cache.js';
import type { Workspaces } from '../workspaces.js';

/** Flux's finalizer: deleting a Kustomization prunes what it applied first. */
export const finalizer = 'finalizers.fluxcd.io';
/** Flux's --requeue-dependency default: how soon a Kustomization waiting on another looks again. */
export const dependencyRetryMs = 30_000;

export interface KustomizationWork {
  ref: FluxObjectRef;
  spec: KustomizationSpec;
  /** the object's conditions as this reconcile found them, for progress writes */
  conditions: Condition[];
  source: { id: string; artifact: Artifact };
  /** the inventory before this reconcile: what prune compares with */
  previousInventory?: Inventory;
  target: ClusterTarget;
  /** the built objects, until the apply is done */
  objects?: KubernetesObject[];
  /** what the apply produced; set once the whole apply succeeded */
  inventory?: Inventory;
  /** what a marker left alone: kept out of the inventory, and not pruned */
  skipped?: Inventory;
  changes: string[];
  /** what the health step waits for */
  healthTargets: ObjectReference[];
  /** what the apply left of each object (by referenceKey): the health step waits for its watches to see that */
  applied?: ReadonlyMap<string, AppliedVersion>;
  /** epoch milliseconds: when the reconcile started, for status.history's durations */
  startedAt: number;
  /** `sha256:` of the built objects, once built */
  digest?: string;
  /** the revision's artifact was fetched and spec.path found in it: it counts as attempted */
  attempted?: boolean;
  /** a warning about what was applied, for the status and an event */
  notice?: string;
}

export interface KustomizationContext {
  clusters: ClusterTargets;
  objects: FluxObjects;
  artifacts: ArtifactCache;
  workspaces: Workspaces<KustomizationWork>;
  /** this worker's own task queue, where the steps after the first one run */
  workerQueue: string;
  schema: SchemaNode;
  buildInputs: BuildInputs;
  /** builds kept by this worker: an unchanged reconcile skips kustomize */
  builds: BuildCache;
  /** runs a (CPU-bound) kustomize build under the worker's concurrency limit */
  buildSlot: <T>(build: () => Promise<T>) => Promise<T>;
  healthPollIntervalMs: number;
  /** a postBuild `${var}` without a value fails the build (Flux's StrictPostBuildSubstitutions) */
  strictSubstitution: boolean;
  /** Flux's --no-cross-namespace-refs, --default-service-account, --no-remote-bases, --sops-age-secret */
  access: AccessFlags;
  /** Flux's AdditiveCELDependencyCheck: a readyExpr adds to the built-in readiness check instead of replacing it */
  additiveCELDependencyCheck: boolean;
}
