// Starting an object's reconcile loop, or waking it when it already runs: one
// signal-with-start, safe to repeat and safe when several watchers do it at once.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { objectWorkflowId, reconcileSignal, type ReconcileRequest } from '../common/object-workflow.js';
import { ObjectKind, ObjectName, ObjectNamespace } from '../common/search-attributes.js';
import { fluxKinds, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { gitRepositoryLoop } from '../workflows/gitrepository.js';

/** The workflow type that runs each kind's reconcile loop. */
const workflowTypes: Partial<Record<FluxObjectRef['kind'], string>> = {
  GitRepository: 'gitRepositoryLoop',
  Kustomization: 'kustomizationLoop',
};

/** The kinds that have a reconcile loop. */
export const reconciledKinds = Object.keys(workflowTypes) as FluxObjectRef['kind'][];

/** Whether objects of this kind have a reconcile loop yet. */
export function isReconciled(kind: FluxObjectRef['kind']): boolean {
  return workflowTypes[kind] !== undefined;
}

export async function reconcileObject(
  client: Client,
  ref: FluxObjectRef,
  options: ReconcileRequest & { taskQueuePrefix?: string } = {},
): Promise<WorkflowHandle> {
  const { taskQueuePrefix, ...request } = options;
  const workflowType = workflowTypes[ref.kind];
  if (!workflowType) throw new Error(`${ref.kind} is not reconciled yet`);
  return client.workflow.signalWithStart<typeof gitRepositoryLoop, [ReconcileRequest?]>(workflowType, {
    workflowId: objectWorkflowId(ref),
    taskQueue: `${taskQueuePrefix ?? ''}${fluxKinds[ref.kind].controller}`,
    args: [{ ref }],
    signal: reconcileSignal,
    signalArgs: [request],
    // Shown in the Web UI's list; each run's current details say what it did.
    staticSummary: `${ref.kind} ${ref.namespace}/${ref.name}`,
    typedSearchAttributes: [
      { key: ObjectKind, value: ref.kind },
      { key: ObjectNamespace, value: ref.namespace },
      { key: ObjectName, value: ref.name },
    ],
  });
}
