// The first step of a Kustomization reconcile: read the object and its spec, find its
// source's artifact, and open the reconcile's workspace on this worker. Everything after
// runs on this worker's own task queue.
import type { Artifact } from '../../artifacts/store.js';
import type { LoopTiming, StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { crossNamespaceRefusal } from '../../domain/access-flags.js';
import { healthTargetsOf } from '../../domain/health.js';
import { compileHealthExpressions } from '../../domain/health-expressions.js';
import { KustomizationReason, type KustomizationStatus } from '../../domain/kustomization-status.js';
import { readKustomizationSpec } from '../../domain/kustomization-spec.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import { readFinalizedObject } from '../finalized-object.js';
import { showProgress } from '../progress.js';
import { targetOf } from '../../apply/target.js';
import { dependencyRetryMs, finalizer, type KustomizationContext } from './work.js';

export type SourceResolution =
  /** the object is gone: its loop ends */
  | { outcome: 'gone' }
  /** being deleted: the workflow runs finalizeDeletion */
  | { outcome: 'deleting' }
  | { outcome: 'suspended'; timing: LoopTiming }
  | { outcome: 'failed'; failure: StepFailure; generation: number; requestedAt?: string; revision?: string; timing: LoopTiming }
  | {
      outcome: 'resolved';
      local: WorkerLocal;
      generation: number;
      requestedAt?: string;
      revision: string;
      timing: LoopTiming;
      /** spec.timeout: the health wait's limit */
      timeoutMs: number;
      /** which of the optional steps this reconcile runs */
      steps: { dependencies: boolean; prune: boolean; health: boolean };
    };

/** When a spec cannot be read: look again at this pace (a new generation wakes the loop anyway). */
const invalidSpecTiming: LoopTiming = { intervalMs: 600_000, retryIntervalMs: 600_000 };

export function resolveSourceStep(context: KustomizationContext) {
  const { objects, schema, workspaces, workerQueue, access } = context;
  return async function resolveSource({ ref }: { ref: FluxObjectRef }): Promise<SourceResolution> {
    const read = await readFinalizedObject(objects, ref, finalizer);
    if (read.outcome !== 'live') return read;
    const { object, generation, requestedAt } = read;
    const reading = readKustomizationSpec(object.spec, schema);
    if (!reading.ok) {
      return { outcome: 'failed', failure: { reason: KustomizationReason.InvalidSpec, message: reading.message, stalled: true, retryAfterMs: invalidSpecTiming.intervalMs }, generation, requestedAt, timing: invalidSpecTiming };
    }
    const spec = reading.spec;
    const timing = { intervalMs: spec.intervalMs, retryIntervalMs: spec.retryIntervalMs };
    if (spec.suspend) return { outcome: 'suspended', timing };
    const failed = (failure: StepFailure, revision?: string): SourceResolution => ({ outcome: 'failed', failure, generation, requestedAt, revision, timing });
    // Expressions are checked now so that a bad one stalls before anything is applied.
    const expressions = compileHealthExpressions(spec.healthCheckExprs ?? []);
    if (!expressions.ok) return failed({ reason: KustomizationReason.InvalidCELExpression, message: expressions.message, stalled: true, retryAfterMs: spec.intervalMs });
    const previous = await showProgress(objects, ref, (object.status ?? {}) as KustomizationStatus, generation);

    const sourceNamespace = spec.sourceRef.namespace ?? ref.namespace;
    const sourceId = `${spec.sourceRef.kind}/${sourceNamespace}/${spec.sourceRef.name}`;
    const sourceKind = spec.sourceRef.kind;
    if (sourceKind !== 'GitRepository' && sourceKind !== 'OCIRepository') return failed({ reason: KustomizationReason.ArtifactFailed, message: `source kind ${sourceKind} is not supported yet`, stalled: false });
    const refused = crossNamespaceRefusal(access, ref.namespace, { kind: spec.sourceRef.kind, namespace: sourceNamespace, name: spec.sourceRef.name });
    if (refused) return failed({ reason: KustomizationReason.AccessDenied, message: refused, stalled: false });
    const source = await objects.get({ kind: sourceKind, namespace: sourceNamespace, name: spec.sourceRef.name });
    const artifact = (source?.status as { artifact?: Artifact } | undefined)?.artifact;
    if (!source) return failed({ reason: KustomizationReason.ArtifactFailed, message: `Source '${sourceId}' not found`, stalled: false, retryAfterMs: dependencyRetryMs });
    if (!artifact) return failed({ reason: KustomizationReason.ArtifactFailed, message: `Source '${sourceId}' is not ready, artifact not found`, stalled: false, retryAfterMs: dependencyRetryMs });

    const healthTargets = spec.wait
      ? [] // filled from the build: every object applied
      : healthTargetsOf(ref, { healthChecks: spec.healthChecks ?? [] });
    const workspace = await workspaces.open({
      ref,
      spec,
      conditions: previous.conditions ?? [],
      source: { id: sourceId, artifact },
      previousInventory: previous.inventory,
      target: targetOf(ref, spec, access.defaultServiceAccount),
      changes: [],
      healthTargets,
      startedAt: Date.now(),
    });
    return {
      outcome: 'resolved',
      local: { workerQueue, workspace: workspace.id },
      generation,
      requestedAt,
      revision: artifact.revision,
      timing,
      timeoutMs: spec.timeoutMs,
      steps: { dependencies: (spec.dependsOn ?? []).length > 0, prune: spec.prune === true, health: spec.wait === true || healthTargets.length > 0 },
    };
  };
}
