// The safety net for missed watch events, run by a Temporal Schedule: every object's loop
// is started if it is missing (a running one is left to its own timing), and every
// running loop whose object is gone is woken so that it sees the deletion and ends.
import type { Client } from '@temporalio/client';
import { reconcileSignal } from '../common/object-workflow.js';
import { objectWorkflowId } from '../common/loop-addresses.js';
import type { FluxKindName } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import { ensureObjectLoop } from '../temporal/object-loops.js';
import { reportingFailures } from './failures.js';

export interface ResyncReport {
  objects: number;
  /** loops whose object no longer exists */
  orphans: number;
}

export function createResyncActivities(deps: { objects: FluxObjects; client: Client; kinds: FluxKindName[]; namespace?: string; taskQueuePrefix?: string }) {
  const listObjects = async (kind: FluxKindName) =>
    (await deps.objects.list(kind, deps.namespace)).items.map((item) => ({ kind, namespace: item.metadata.namespace ?? 'default', name: item.metadata.name }));

  return {
    async resyncObjects(): Promise<ResyncReport> {
      return reportingFailures(async () => {
        let objects = 0;
        let orphans = 0;
        for (const kind of deps.kinds) {
          const refs = await listObjects(kind);
          const existing = new Set(refs.map(objectWorkflowId));
          // Missing loops start (and reconcile); running ones keep their own timing.
          for (const ref of refs) await ensureObjectLoop(deps.client, ref, { taskQueuePrefix: deps.taskQueuePrefix });
          objects += refs.length;
          // An object's event dispatches carry its search attributes too, but are no loop.
          const running = deps.client.workflow.list({ query: `ExecutionStatus="Running" AND ObjectKind="${kind}" AND WorkflowType!="notificationDispatch"` });
          for await (const workflow of running) {
            if (existing.has(workflow.workflowId)) continue;
            if (deps.namespace && !workflow.workflowId.startsWith(`${kind.toLowerCase()}/${deps.namespace}/`)) continue;
            await deps.client.workflow.getHandle(workflow.workflowId).signal(reconcileSignal, {});
            orphans += 1;
          }
        }
        return { objects, orphans };
      });
    },
  };
}
