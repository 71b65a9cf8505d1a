// Telling an object's dependents of its new revision, from any reconcile loop. The notice
// only saves them waiting for their own next reconcile: when it cannot be delivered (the
// worker may not list a kind, Temporal refuses a signal), the loop warns and goes on.
import { log, proxyActivities } from '@temporalio/workflow';
import type { createDependentsActivities } from '../activities/dependents.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';

// A fleet's source may have hundreds of consumers: room to signal them all, and a
// heartbeat so that a retried attempt goes on where the last one stopped.
const { notifyDependents } = proxyActivities<ReturnType<typeof createDependentsActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function notifyDependentsOrWarn(source: FluxObjectRef, revision: string): Promise<void> {
  try {
    await notifyDependents({ source, revision });
  } catch (error) {
    log.warn('dependents not notified; they reconcile at their own interval', { source, revision, error: (error as Error).message });
  }
}
