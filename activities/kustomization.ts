// The kustomize-controller's reconcile of one Kustomization, as a linear pipeline:
// dependencies → fetch the source artifact → build → substitute → staged server-side
// apply → inventory → prune → (health, by the workflow) → status. A failure stops the
// pipeline where it happened: nothing is pruned after a failed step, the previous
// inventory is kept until an apply completes, and the status names the step.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '../kube/client.js';
import { ClusterTargetError, type ClusterTarget, type ClusterTargets } from '../kube/targets.js';
import type { CustomHealthCheck, KustomizationSpec as KustomizationObjectSpec } from '../schemas/types.js';
import { compileHealthExpressions } from '../domain/health-expressions.js';
import { findEncrypted } from '../kustomize/decrypt.js';
import { clusterBuildInputs, renderKustomization } from '../kustomize/render.js';
import type { FluxObjects } from '../kube/status.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import { apiVersionOf, describeFluxObject, type FluxObjectRef } from '../kube/flux-kinds.js';
import { specSchemaFor } from '../kube/crd-schemas.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import { createArtifactCache, type ArtifactCache } from '../artifacts/cache.js';
import type { Artifact } from '../artifacts/store.js';
import { readKustomizationSpec, type KustomizationSpec } from '../domain/kustomization-spec.js';
import { nextKustomizationStatus, KustomizationReason, type KustomizationResult, type KustomizationStatus } from '../domain/kustomization-status.js';
import { dependencyNotReady, findCycle } from '../domain/depends-on.js';
import { pruneOrder } from '../domain/apply-order.js';
import { inventoryOf, referenceOfEntry, staleEntries, type Inventory } from '../domain/inventory.js';
import { findCondition } from '../domain/conditions.js';
import { reportingFailures } from './failures.js';
import { prunable, stagedApply } from './staged-apply.js';
import { showProgress } from './progress.js';
import { requestedAtAnnotation } from '../domain/watch-changes.js';
import { createLimiter, whileHeartbeating } from './concurrency.js';
import { KubeError } from '../kube/errors.js';

export const fieldManager = 'kustomize-controller';
const dependencyRetryMs = 30_000;
/** Flux's finalizer: deleting a Kustomization prunes what it applied first. */
export const finalizer = 'finalizers.fluxcd.io';

export interface KustomizationOutcome extends ReconcileOutcome {
  /** objects whose health the workflow waits for before the final status */
  healthCheck?: { objects: ObjectReference[]; timeoutMs: number; target: ClusterTarget; expressions?: CustomHealthCheck[]; pending: PendingHealth };
}

/** What the final status needs once the health wait ends; small, no manifests. */
export interface PendingHealth {
  revision: string;
  inventory: Inventory;
  changes: string[];
  generation: number;
  requestedAt?: string;
}

/** The cluster and identity a Kustomization applies with. */
export function targetOf(ref: FluxObjectRef, spec: Pick<KustomizationObjectSpec, 'serviceAccountName' | 'kubeConfig'>): ClusterTarget {
  const secret = spec.kubeConfig?.secretRef;
  return {
    namespace: ref.namespace,
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(secret ? { kubeConfig: { secretName: secret.name, ...(secret.key ? { key: secret.key } : {}) } } : {}),
  };
}

export function createKustomizationActivities(deps: { clusters: ClusterTargets; objects: FluxObjects; artifacts?: ArtifactCache; concurrentBuilds?: number }) {
  const { clusters, objects } = deps;
  const artifacts = deps.artifacts ?? createArtifactCache();
  const kube = clusters.local;
  // kustomize builds are CPU-bound: more at once than cores only makes each slower.
  const buildSlot = createLimiter(deps.concurrentBuilds ?? 4);
  const schema = specSchemaFor(apiVersionOf('Kustomization'), 'Kustomization');
  if (!schema) throw new Error(`schemas/ has no CustomResourceDefinition serving Kustomization ${apiVersionOf('Kustomization')}`);

  async function writeStatus(ref: FluxObjectRef, object: KubernetesObject, previous: KustomizationStatus, result: KustomizationResult, generation: number, requestedAt?: string) {
    const { status, event } = nextKustomizationStatus(previous, result, { now: new Date().toISOString(), generation, requestedAt });
    await objects.patchStatus(ref, { ...status });
    if (event) await objects.recordEvent(object, event, 'kustomize-controller');
    return status;
  }

  const buildInputs = clusterBuildInputs(objects, kube);

  async function checkDependencies(ref: FluxObjectRef, spec: KustomizationSpec, sourceId: string, sourceRevision: string | undefined): Promise<string | undefined> {
    const dependencies = spec.dependsOn ?? [];
    if (dependencies.length === 0) return undefined;
    // Follow dependsOn from here; a path that comes back here is a cycle.
    const graph = new Map<string, string[]>();
    const load = async (id: string, depth: number): Promise<void> => {
      if (graph.has(id) || depth > 50) return;
      const [namespace, name] = id.split('/') as [string, string];
      const object = await objects.get({ kind: 'Kustomization', namespace, name });
      const deps = ((object?.spec as { dependsOn?: { name: string; namespace?: string }[] } | undefined)?.dependsOn ?? []).map((d) => `${d.namespace ?? namespace}/${d.name}`);
      graph.set(id, deps);
      for (const next of deps) await load(next, depth + 1);
    };
    const self = `${ref.namespace}/${ref.name}`;
    await load(self, 0);
    const cycle = findCycle(self, (id) => graph.get(id) ?? []);
    if (cycle) return `dependency cycle: ${cycle.join(' -> ')}`;
    for (const dependency of dependencies) {
      const namespace = dependency.namespace ?? ref.namespace;
      const object = await objects.get({ kind: 'Kustomization', namespace, name: dependency.name });
      const reason = dependencyNotReady({ name: `${namespace}/${dependency.name}`, object, source: { id: sourceId, revision: sourceRevision } });
      if (reason) return reason;
    }
    return undefined;
  }

  async function prune(kube: KubeClient, previous: Inventory | undefined, next: Inventory, ref: FluxObjectRef): Promise<string[]> {
    const deleted: string[] = [];
    for (const entry of pruneOrder(staleEntries(previous, next).map((e) => ({ ...referenceOfEntry(e) })))) {
      const live = await kube.get(entry);
      // Only what is still ours, and not what its owner asked us to keep.
      if (!live || !prunable(live, ref)) continue;
      await kube.delete(entry);
      deleted.push(`${describeReference(entry)} deleted`);
    }
    return deleted;
  }

  /**
   * Deletion, by spec.deletionPolicy: MirrorPrune (the default) prunes when spec.prune
   * does, Delete and WaitForTermination always prune, Orphan keeps everything; a suspended
   * Kustomization keeps everything too. What is pruned is what is still ours, Namespaces
   * and CRDs last.
   */
  async function finalize(ref: FluxObjectRef, object: KubernetesObject, previous: KustomizationStatus): Promise<void> {
    const spec = (object.spec ?? {}) as KustomizationObjectSpec;
    const policy = spec.deletionPolicy ?? 'MirrorPrune';
    const prunes = policy === 'Delete' || policy === 'WaitForTermination' || (policy === 'MirrorPrune' && spec.prune === true);
    if (!prunes || spec.suspend) return;
    let cluster: KubeClient;
    try {
      cluster = await clusters.clientFor(targetOf(ref, spec));
    } catch (error) {
      // A cluster that can no longer be reached must not keep the Kustomization forever.
      if (!(error instanceof ClusterTargetError)) throw error;
      await objects.recordEvent(object, { type: 'Warning', reason: KustomizationReason.PruneFailed, message: `not pruned: ${error.message}` }, 'kustomize-controller').catch(() => undefined);
      return;
    }
    const deleted = await prune(cluster, previous.inventory, { entries: [] }, ref);
    if (deleted.length > 0) {
      await objects.recordEvent(object, { type: 'Normal', reason: 'Finalized', message: deleted.join('\n') }, 'kustomize-controller').catch(() => undefined);
    }
  }

  return {
    async applyKustomization({ ref }: { ref: FluxObjectRef }): Promise<KustomizationOutcome> {
      return reportingFailures(() => whileHeartbeating(async (): Promise<KustomizationOutcome> => {
        const object = await objects.get(ref);
        if (!object) return { exists: false, suspended: false, ready: false, message: `${describeFluxObject(ref)} not found`, intervalMs: 0 };
        const generation = object.metadata.generation ?? 0;
        const requestedAt = object.metadata.annotations?.[requestedAtAnnotation];
        let previous = (object.status ?? {}) as KustomizationStatus;
        const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
        if (object.metadata.deletionTimestamp) {
          await finalize(ref, object, previous);
          await objects.setFinalizers(ref, finalizers.filter((f) => f !== finalizer));
          return { exists: false, suspended: false, ready: false, message: `${describeFluxObject(ref)} deleted`, intervalMs: 0 };
        }
        if (!finalizers.includes(finalizer)) await objects.setFinalizers(ref, [...finalizers, finalizer]);
        const reading = readKustomizationSpec(object.spec, schema);
        if (!reading.ok) {
          await writeStatus(ref, object, previous, { outcome: 'failed', reason: KustomizationReason.InvalidSpec, message: reading.message, stalled: true }, generation, requestedAt);
          return { exists: true, suspended: false, ready: false, message: reading.message, intervalMs: 600_000 };
        }
        const spec = reading.spec;
        // Expressions travel to the health wait as text; parsed here first so a bad one stalls now.
        const expressions = compileHealthExpressions(spec.healthCheckExprs ?? []);
        if (!expressions.ok) {
          await writeStatus(ref, object, previous, { outcome: 'failed', reason: KustomizationReason.InvalidCELExpression, message: expressions.message, stalled: true }, generation, requestedAt);
          return { exists: true, suspended: false, ready: false, message: expressions.message, intervalMs: spec.intervalMs };
        }
        const done = { exists: true, suspended: false, intervalMs: spec.intervalMs };
        if (spec.suspend) return { ...done, suspended: true, ready: false, message: 'suspended' };
        previous = await showProgress(objects, ref, previous, generation);
        const fail = async (reason: string, message: string, options: { revision?: string; inventory?: Inventory; retryAfterMs?: number; stalled?: boolean } = {}): Promise<KustomizationOutcome> => {
          await writeStatus(ref, object, previous, { outcome: 'failed', reason, message, stalled: options.stalled ?? false, revision: options.revision, inventory: options.inventory }, generation, requestedAt);
          return { ...done, ready: false, message, revision: options.revision, retryAfterMs: options.retryAfterMs ?? spec.retryIntervalMs };
        };

        // Source.
        const sourceNamespace = spec.sourceRef.namespace ?? ref.namespace;
        const sourceId = `${spec.sourceRef.kind}/${sourceNamespace}/${spec.sourceRef.name}`;
        if (spec.sourceRef.kind !== 'GitRepository') return fail(KustomizationReason.ArtifactFailed, `source kind ${spec.sourceRef.kind} is not supported yet`);
        const source = await objects.get({ kind: 'GitRepository', namespace: sourceNamespace, name: spec.sourceRef.name });
        const artifact = (source?.status as { artifact?: Artifact } | undefined)?.artifact;
        if (!source) return fail(KustomizationReason.ArtifactFailed, `Source '${sourceId}' not found`, { retryAfterMs: dependencyRetryMs });
        if (!artifact) return fail(KustomizationReason.ArtifactFailed, `Source '${sourceId}' is not ready, artifact not found`, { retryAfterMs: dependencyRetryMs });

        // Dependencies.
        const waiting = await checkDependencies(ref, spec, sourceId, artifact.revision);
        if (waiting) {
          const cycle = waiting.startsWith('dependency cycle');
          return fail(KustomizationReason.DependencyNotReady, waiting, { revision: artifact.revision, retryAfterMs: cycle ? spec.retryIntervalMs : dependencyRetryMs });
        }

        // Fetch and build.
        const work = await mkdtemp(join(tmpdir(), 'kimbernetes-kustomization-'));
        let built: KubernetesObject[];
        try {
          const root = join(work, 'source');
          try {
            await artifacts.checkout(artifact.url, artifact.digest, root);
          } catch (error) {
            return fail(KustomizationReason.ArtifactFailed, `failed to fetch the artifact of '${sourceId}': ${(error as Error).message}`, { revision: artifact.revision });
          }
          const rendering = await renderKustomization({ root, spec, ref, inputs: buildInputs, runBuild: buildSlot });
          if (!rendering.ok) return fail(KustomizationReason.BuildFailed, rendering.message, { revision: artifact.revision });
          built = rendering.objects;
          // Never apply a Secret still encrypted: the cluster would hold ciphertext as its value.
          const encrypted = findEncrypted(built);
          if (encrypted) {
            const message = `${encrypted} is SOPS encrypted, configuring decryption is required for this secret to be reconciled`;
            return fail(KustomizationReason.ReconciliationFailed, message, { revision: artifact.revision });
          }
        } finally {
          await rm(work, { recursive: true, force: true });
        }

        // Apply; the inventory moves only once the whole apply succeeded.
        const target = targetOf(ref, spec);
        let changes: string[];
        let cluster: KubeClient;
        try {
          cluster = await clusters.clientFor(target);
          changes = await stagedApply(cluster, built, { fieldManager, force: spec.force === true });
        } catch (error) {
          if (error instanceof KubeError && error.retryable) throw error;
          return fail(KustomizationReason.ReconciliationFailed, `apply failed: ${(error as Error).message}`, { revision: artifact.revision });
        }
        const inventory = inventoryOf(built);
        if (spec.prune) {
          try {
            changes.push(...(await prune(cluster, previous.inventory, inventory, ref)));
          } catch (error) {
            return fail(KustomizationReason.PruneFailed, `prune failed: ${(error as Error).message}`, { revision: artifact.revision, inventory });
          }
        }

        const healthTargets = spec.wait ? built.map(referenceOf) : (spec.healthChecks ?? []).map((check) => ({ apiVersion: check.apiVersion ?? 'v1', kind: check.kind, name: check.name, namespace: check.namespace ?? ref.namespace }));
        const pending: PendingHealth = { revision: artifact.revision, inventory, changes, generation, requestedAt };
        if (healthTargets.length > 0) {
          const healthCheck = { objects: healthTargets, timeoutMs: spec.timeoutMs, target, expressions: spec.healthCheckExprs, pending };
          return { ...done, ready: false, revision: artifact.revision, message: 'health check in progress', healthCheck };
        }
        const status = await writeStatus(ref, object, previous, { outcome: 'applied', revision: artifact.revision, inventory, changes, healthChecked: false }, generation, requestedAt);
        return { ...done, ready: true, revision: artifact.revision, message: findCondition(status.conditions, 'Ready')?.message ?? '' };
      }));
    },

    /** The final status once the health wait ended (healthy, or failed with `failure`). */
    async recordKustomizationHealth({ ref, pending, failure }: { ref: FluxObjectRef; pending: PendingHealth; failure?: string }): Promise<KustomizationOutcome> {
      return reportingFailures(async (): Promise<KustomizationOutcome> => {
        const object = await objects.get(ref);
        if (!object) return { exists: false, suspended: false, ready: false, message: `${describeFluxObject(ref)} not found`, intervalMs: 0 };
        const previous = (object.status ?? {}) as KustomizationStatus;
        const reading = readKustomizationSpec(object.spec, schema);
        const intervalMs = reading.ok ? reading.spec.intervalMs : 600_000;
        const result: KustomizationResult = failure
          ? { outcome: 'failed', reason: KustomizationReason.HealthCheckFailed, message: failure, stalled: false, revision: pending.revision, inventory: pending.inventory }
          : { outcome: 'applied', revision: pending.revision, inventory: pending.inventory, changes: pending.changes, healthChecked: true };
        const status = await writeStatus(ref, object, previous, result, pending.generation, pending.requestedAt);
        return {
          exists: true,
          suspended: false,
          ready: !failure,
          revision: pending.revision,
          message: findCondition(status.conditions, 'Ready')?.message ?? '',
          intervalMs,
          retryAfterMs: failure && reading.ok ? reading.spec.retryIntervalMs : undefined,
        };
      });
    },
  };
}
