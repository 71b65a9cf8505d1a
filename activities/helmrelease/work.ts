// What one HelmRelease reconcile keeps on the worker that runs it, between its steps: the
// composed values (they may hold Secrets' data: never in a payload), the kubeconfig helm
// uses, the chart's package, the release found in storage and what the action did.
import type { Artifact } from '../../artifacts/store.js';
import type { GoMap } from '../../domain/go-yaml.js';
import type { StoredRelease } from '../../domain/helmrelease-digest.js';
import type { HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import type { FailureCounts, NextAction } from '../../domain/helmrelease-state.js';
import type { SchemaNode } from '../../domain/schema-validation.js';
import type { HelmConnection } from '../../helm/helm-cli.js';
import type { KubeClient } from '../../kube/client.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { ClusterTarget, ClusterTargets } from '../../kube/targets.js';
import type { Workspaces } from '../workspaces.js';
import type { DriftReport } from './drift.js';
import type { HelmReleaseStatus, ReleaseOutcome } from '../../domain/helmrelease-outcome.js';
import type { Snapshot } from '../../domain/helmrelease-status.js';

export interface HelmReleaseWork {
  ref: FluxObjectRef;
  spec: HelmReleaseSpec;
  generation: number;
  previous: HelmReleaseStatus;
  values: GoMap;
  /** the chart's source artifact, name and version; an OCIRepository's also its digest and its package as downloaded */
  chart: { name: string; version: string; artifact: Artifact; helmChart?: string; ociDigest?: string; package?: Buffer };
  connection: HelmConnection;
  /** the latest release in storage when the reconcile began */
  current?: StoredRelease;
  plan: NextAction;
  /** the failure counters the plan was decided with */
  counts: FailureCounts;
  /** the force and reset requests this reconcile handles */
  requests: { forceAt?: string; resetAt?: string };
  /** the observed digests of spec.postRenderers and spec.commonMetadata (undefined: the field is not set) */
  postRender: { postRenderersDigest?: string; commonMetadataDigest?: string };
  /** set by fetchChart */
  chartPath?: string;
  /** set by detectDrift: the release's objects against the cluster (live objects: never in a payload) */
  drift?: DriftReport;
  /** set by the action steps, in order */
  outcomes: ReleaseOutcome[];
  /** the release a changed target (name, namespace or chart) left, to uninstall first */
  leftBehind?: { snapshot: Snapshot; storageNamespace: string };
}

export interface HelmReleaseContext {
  kube: KubeClient;
  clusters: ClusterTargets;
  objects: FluxObjects;
  workspaces: Workspaces<HelmReleaseWork>;
  workerQueue: string;
  schema: SchemaNode;
  /** the worker's own cluster as a kubeconfig, for helm */
  kubeconfig: string;
  /** wakes another object's loop (the HelmChart a template made), when Temporal is at hand */
  requestReconcile?: (ref: FluxObjectRef) => Promise<void>;
  additiveCELDependencyCheck: boolean;
}

/** Flux's finalizer, which holds a HelmRelease until its release is uninstalled. */
export const finalizer = 'finalizers.fluxcd.io';
/** Flux's --requeue-dependency */
export const dependencyRetryMs = 30_000;

/** The release's cluster and identity: spec.kubeConfig's cluster (else the worker's), as spec.serviceAccountName. */
export function releaseTarget(namespace: string, spec: Pick<HelmReleaseSpec, 'serviceAccountName' | 'kubeConfig'>): ClusterTarget {
  const secretRef = spec.kubeConfig?.secretRef;
  return { namespace, serviceAccountName: spec.serviceAccountName, kubeConfig: secretRef && { secretName: secretRef.name, key: secretRef.key } };
}
