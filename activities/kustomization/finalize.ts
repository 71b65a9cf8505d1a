// The one place a Kustomization reconcile's outcome is written: conditions,
// observedGeneration, revisions, inventory and the event, from what the steps returned
// (or the failure the workflow caught when a step's retries were spent). And deletion:
// prune by deletionPolicy, then let the object go.
import type { Artifact } from '../../artifacts/store.js';
import { pruneStale, waitForTermination } from '../../apply/prune.js';
import { goDurationString } from '../../domain/duration.js';
import { timeoutOf } from '../../domain/kustomization-spec.js';
import { describeReference } from '../../kube/objects.js';
import { reportProgress } from '../heartbeat.js';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { KustomizationReason, nextKustomizationStatus, type KustomizationResult, type KustomizationStatus } from '../../domain/kustomization-status.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { KubeClient } from '../../kube/client.js';
import { ClusterTargetError } from '../../kube/targets.js';
import type { KustomizationSpec as KustomizationObjectSpec } from '../../schemas/types.js';
import { targetOf } from '../../apply/target.js';
import { finalizer, type KustomizationContext } from './work.js';

export interface KustomizationVerdict {
  ref: FluxObjectRef;
  generation: number;
  requestedAt?: string;
  /** the source revision this reconcile worked on, when it got that far */
  revision?: string;
  /** the reconcile's workspace, when it got that far: its inventory and changes are written */
  local?: WorkerLocal;
  /** where it stopped short; absent when every step succeeded */
  failure?: StepFailure;
  /** a health wait ran and passed */
  healthChecked?: boolean;
}

export interface FinalStatus {
  ready: boolean;
  revision?: string;
  /** Ready's message, as `kubectl get` shows it */
  message: string;
}

const component = 'kustomize-controller';

/** The deletion step runs within two minutes (its start-to-close timeout): its wait stays inside that. */
const terminationWaitCapMs = 90_000;

/** The revision the artifact's origin annotation names (an OCIRepository's artifact.metadata), as kustomize-controller reads it. */
function originRevisionOf(artifact: Artifact & { metadata?: Record<string, string> }): string {
  return artifact.metadata?.['org.opencontainers.image.revision'] ?? '';
}

export function finalizeStatusStep(context: KustomizationContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: KustomizationVerdict): Promise<FinalStatus | undefined> {
    const { ref, generation, requestedAt, failure, revision } = verdict;
    const work = verdict.local ? workspaces.get(verdict.local.workspace).state : undefined;
    const object = await objects.get(ref);
    let final: FinalStatus | undefined;
    if (object) {
      const previous = (object.status ?? {}) as KustomizationStatus;
      const built = work?.digest ? { digest: work.digest, durationMs: Date.now() - work.startedAt, revision: revision! } : undefined;
      const result: KustomizationResult = failure
        ? // As Flux: a revision is attempted once its artifact was fetched and its path found.
          { outcome: 'failed', ...failure, revision: work?.attempted ? revision : undefined, inventory: work?.inventory, built }
        : { outcome: 'applied', revision: revision!, originRevision: work && originRevisionOf(work.source.artifact), inventory: work?.inventory ?? { entries: [] }, changes: work?.changes ?? [], healthChecked: verdict.healthChecked === true, notice: work?.notice, built };
      const { status, event, warning } = nextKustomizationStatus(previous, result, { now: new Date().toISOString(), generation, requestedAt });
      await objects.patchStatus(ref, { ...status });
      for (const said of [event, warning]) if (said) await objects.recordEvent(object, said, component);
      const ready = findCondition(status.conditions, 'Ready');
      final = { ready: ready?.status === 'True', revision: status.lastAppliedRevision ?? revision, message: ready?.message ?? '' };
    }
    // Closed only once written: a retried finalizeStatus still finds the inventory.
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}

export function finalizeDeletionStep(context: KustomizationContext) {
  const { clusters, objects } = context;
  /**
   * By spec.deletionPolicy: MirrorPrune (the default) prunes when spec.prune does, Delete
   * and WaitForTermination always prune, Orphan keeps everything; a suspended
   * Kustomization keeps everything too. Then the finalizer goes.
   */
  return async function finalizeDeletion({ ref }: { ref: FluxObjectRef }): Promise<void> {
    const object = await objects.get(ref);
    if (!object) return;
    const spec = (object.spec ?? {}) as KustomizationObjectSpec;
    const previous = (object.status ?? {}) as KustomizationStatus;
    const policy = spec.deletionPolicy ?? 'MirrorPrune';
    const prunes = policy === 'Delete' || policy === 'WaitForTermination' || (policy === 'MirrorPrune' && spec.prune === true);
    if (prunes && !spec.suspend) {
      let cluster: KubeClient | undefined;
      try {
        cluster = await clusters.clientFor(targetOf(ref, spec, context.access.defaultServiceAccount));
      } catch (error) {
        // A cluster that can no longer be reached must not keep the Kustomization forever.
        if (!(error instanceof ClusterTargetError)) throw error;
        await objects.recordEvent(object, { type: 'Warning', reason: KustomizationReason.PruneFailed, message: `not pruned: ${error.message}` }, component).catch(() => undefined);
      }
      const { deleted, deletedObjects, failed } = cluster ? await pruneStale(cluster, previous.inventory, { entries: [] }, ref) : { deleted: [], deletedObjects: [], failed: [] };
      if (deleted.length > 0) await objects.recordEvent(object, { type: 'Normal', reason: 'Finalized', message: deleted.join('\n') }, component).catch(() => undefined);
      // WaitForTermination: the Kustomization goes once what it deleted is gone, within its
      // timeout (and the step's own bound); what is still terminating then is said.
      if (cluster && policy === 'WaitForTermination' && deletedObjects.length > 0) {
        const timeoutMs = Math.min(timeoutOf(spec) ?? terminationWaitCapMs, terminationWaitCapMs);
        reportProgress(() => ({ waitingForTermination: deletedObjects.length }));
        const left = await waitForTermination(cluster, deletedObjects, Date.now() + timeoutMs);
        if (left.length > 0) {
          const message = `failed to wait for objects to be terminated: timeout after ${goDurationString(timeoutMs)}: ${left.map(describeReference).join(', ')}`;
          await objects.recordEvent(object, { type: 'Warning', reason: KustomizationReason.PruneFailed, message }, component).catch(() => undefined);
        }
      }
      // Flux retries such a garbage collection without end; here it is said once and the
      // Kustomization goes, so a webhook that refuses a delete cannot keep it forever.
      if (failed.length > 0) {
        const message = `pruning for deleted resource failed: ${failed.map((failure) => failure.message).join('; ')}`;
        await objects.recordEvent(object, { type: 'Warning', reason: KustomizationReason.PruneFailed, message }, component).catch(() => undefined);
      }
    }
    const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
    await objects.setFinalizers(ref, finalizers.filter((f) => f !== finalizer));
  };
}
