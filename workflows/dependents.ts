// Telling an object's dependents of its new revision, from any reconcile loop. The notice
// only saves them waiting for their own next reconcile: when it cannot be delivered (the
// worker may not list a kind, Temporal refuses a signal), the loop warns and goes on.
import { log, proxyActivities } from '@temporalio/workflow';
import type { createDependentsActivities } from '../activities/dependents.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';

const { notifyDependents } = proxyActivities<ReturnType<typeof createDependentsActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function notifyDependentsOrWarn(source: FluxObjectRef, revision: string): Promise<void> {
  try {
    await notifyDependents({ source, revision });
  } catch (error) {
    log.warn('dependents not notified; they reconcile at their own interval', { source, revision, error: (error as Error).message });
  }
}
