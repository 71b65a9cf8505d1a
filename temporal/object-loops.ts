// Starting an object's reconcile loop, or waking it when it already runs: one
// signal-with-start, safe to repeat and safe when several watchers do it at once.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { ensureRunningSignal, reconcileSignal, type ReconcileRequest } from '../common/object-workflow.js';
import { objectWorkflowId } from '../common/loop-addresses.js';
import { ObjectKind, ObjectName, ObjectNamespace } from '../common/search-attributes.js';
import { fluxKinds, type FluxObjectRef } from '../kube/flux-kinds.js';
import { workflowTypes } from '../common/loop-kinds.js';
import type { gitRepositoryLoop } from '../workflows/gitrepository.js';

/** Wakes the object's loop for a reconcile now, starting it if it is missing. */
export async function reconcileObject(
  client: Client,
  ref: FluxObjectRef,
  options: ReconcileRequest & { taskQueuePrefix?: string } = {},
): Promise<WorkflowHandle> {
  const { taskQueuePrefix, ...request } = options;
  return signalWithStart(client, ref, taskQueuePrefix, reconcileSignal, [request]);
}

/** Starts the object's loop if it is missing; a running loop is left to its own timing (the periodic resync). */
export async function ensureObjectLoop(client: Client, ref: FluxObjectRef, options: { taskQueuePrefix?: string } = {}): Promise<WorkflowHandle> {
  return signalWithStart(client, ref, options.taskQueuePrefix, ensureRunningSignal, []);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function signalWithStart(client: Client, ref: FluxObjectRef, taskQueuePrefix: string | undefined, signal: SignalDefinition<any[]>, signalArgs: unknown[]): Promise<WorkflowHandle> {
  const workflowType = workflowTypes[ref.kind];
  if (!workflowType) throw new Error(`${ref.kind} is not reconciled yet`);
  return client.workflow.signalWithStart<typeof gitRepositoryLoop, unknown[]>(workflowType, {
    workflowId: objectWorkflowId(ref),
    taskQueue: `${taskQueuePrefix ?? ''}${fluxKinds[ref.kind].controller}`,
    args: [{ ref }],
    signal: signal.name,
    signalArgs,
    // Shown in the Web UI's list; each run's current details say what it did.
    staticSummary: `${ref.kind} ${ref.namespace}/${ref.name}`,
    typedSearchAttributes: [
      { key: ObjectKind, value: ref.kind },
      { key: ObjectNamespace, value: ref.namespace },
      { key: ObjectName, value: ref.name },
    ],
  });
}
