// The notification-controller's Receiver activities — reconcile, finalizeDeletion —
// registered as `Receiver.<step>`. A Receiver has one step: read its Secret's token and
// publish the webhook path it makes (receiver_controller.go); the token never leaves
// this worker, only its hash does.
import { nextReceiverStatus, receiverIntervalMs, receiverSpecProblem, webhookPath, type ReceiverResult, type ReceiverSpec, type ReceiverStatus } from '../../domain/receiver.js';
import { findCondition } from '../../domain/conditions.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { readFinalizedObject } from '../finalized-object.js';
import { stepActivities } from '../steps.js';

/** The finalizer every notification-controller kind carries. */
export const finalizer = 'finalizers.fluxcd.io';

const component = 'notification-controller';

export interface ReceiverDependencies {
  objects: FluxObjects;
}

export type ReceiverOutcome =
  | { outcome: 'gone' }
  | { outcome: 'deleting' }
  | { outcome: 'suspended'; intervalMs: number }
  | { outcome: 'reconciled'; ready: boolean; stalled: boolean; message: string; intervalMs: number; generation: number; requestedAt?: string };

export function receiverSteps({ objects }: ReceiverDependencies) {
  return {
    async reconcile({ ref }: { ref: FluxObjectRef }): Promise<ReceiverOutcome> {
      const read = await readFinalizedObject(objects, ref, finalizer);
      if (read.outcome !== 'live') return read;
      const { object, generation, requestedAt } = read;
      const spec = (object.spec ?? {}) as ReceiverSpec;
      const intervalMs = receiverIntervalMs(spec);
      if (spec.suspend) return { outcome: 'suspended', intervalMs };
      const result = await receiverResult(objects, ref, spec);
      const previous = (object.status ?? {}) as ReceiverStatus;
      const { status, event } = nextReceiverStatus(previous, result, { now: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), generation, requestedAt, intervalMs });
      // A merge patch removes only what is sent as null: an emptied path goes so.
      await objects.patchStatus(ref, { ...status, webhookPath: status.webhookPath ?? null });
      await objects.recordEvent(object, event, component);
      const ready = result.outcome === 'ready';
      // The path is a credential of its own (a generic Receiver checks nothing else): it is
      // in the status, as in Flux, and not in the workflow's history.
      const message = ready ? 'Receiver initialized; its path is in status.webhookPath' : (findCondition(status.conditions, 'Ready')?.message ?? '');
      return { outcome: 'reconciled', ready, stalled: result.outcome === 'invalid', message, intervalMs, generation, requestedAt };
    },

    /** Flux's notification-controller only lets go of a deleted Receiver: its webhook ends with it. */
    async finalizeDeletion({ ref }: { ref: FluxObjectRef }): Promise<void> {
      const object = await objects.get(ref);
      const finalizers = (object?.metadata.finalizers as string[] | undefined) ?? [];
      if (object && finalizers.includes(finalizer)) await objects.setFinalizers(ref, finalizers.filter((name) => name !== finalizer));
    },
  };
}

async function receiverResult(objects: FluxObjects, ref: FluxObjectRef, spec: ReceiverSpec): Promise<ReceiverResult> {
  const problem = receiverSpecProblem(spec);
  if (problem) return { outcome: 'invalid', ...problem };
  const secretName = `${ref.namespace}/${spec.secretRef?.name ?? ''}`;
  const data = await objects.getSecretData(ref.namespace, spec.secretRef?.name ?? '');
  if (!data) return { outcome: 'token-missing', message: `unable to read token from secret '${secretName}' error: secrets "${spec.secretRef?.name ?? ''}" not found` };
  if (data.token === undefined) return { outcome: 'token-missing', message: `invalid '${secretName}' secret data: required fields 'token'` };
  return { outcome: 'ready', path: webhookPath(data.token, ref.name, ref.namespace) };
}

export type ReceiverSteps = ReturnType<typeof receiverSteps>;

export function createReceiverActivities(deps: ReceiverDependencies) {
  return stepActivities('Receiver', receiverSteps(deps));
}
