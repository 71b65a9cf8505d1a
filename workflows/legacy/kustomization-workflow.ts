// The Kustomization loop as it was before the step-by-step reconcile (one activity for
// source, build, apply and prune), kept so that runs recorded then replay. Its next run
// is always a `kustomizationLoop`: a workflow type of its own, rather than patched()
// branches, keeps the new loop free of the old one's shape.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  makeContinueAsNewFunc,
} from '@temporalio/workflow';
import type { createLegacyKustomizationActivities, KustomizationOutcome } from '../../activities/legacy.js';
import type { createHealthActivities } from '../../activities/health.js';
import { notifyDependentsOrWarn } from '../dependents.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { kustomizationLoop } from '../kustomization.js';
import { failedOutcome } from './failed-outcome.js';
import { listeningLoop, showOutcome, type LoopMemory, type ReconcileLoop } from '../reconcile-loop.js';

const { applyKustomization, recordKustomizationHealth } = proxyActivities<ReturnType<typeof createLegacyKustomizationActivities>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

const { waitForHealthy } = proxyActivities<ReturnType<typeof createHealthActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface KustomizationWorkflowInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
}

export async function kustomizationWorkflow({ ref, memory }: KustomizationWorkflowInput): Promise<void> {
  const loop = listeningLoop(memory);

  if (!loop.suspended) {
    loop.startReconcile();
    let outcome: KustomizationOutcome = await applyKustomization({ ref }).catch((error: unknown) => failedOutcome(loop, error));
    if (!outcome.exists) return;
    if (outcome.healthCheck) {
      const { objects, timeoutMs, target, expressions, pending } = outcome.healthCheck;
      const failure = await waitUnlessSuperseded(loop, () => waitForHealthy({ objects, target, expressions, deadline: Date.now() + timeoutMs }));
      // A newer request arrived during the wait: reconcile again now instead of judging an old revision.
      if (failure === superseded) return continueAsNewInto({ ref, memory: loop.memory() });
      outcome = await recordKustomizationHealth({ ref, pending, failure }).catch((error: unknown) => failedOutcome(loop, error));
      if (!outcome.exists) return;
    }
    const before = loop.status();
    loop.finishReconcile(outcome);
    // Those that dependOn this one need not wait for their next retry to see it Ready.
    if (outcome.ready && outcome.revision && (before.ready !== true || before.revision !== outcome.revision)) {
      await notifyDependentsOrWarn(ref, outcome.revision);
    }
    showOutcome(outcome);
  }

  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  // The run after this one is the step-by-step loop.
  await continueAsNewInto({ ref, memory: loop.memory() });
}

const continueAsNewInto = makeContinueAsNewFunc<typeof kustomizationLoop>({ workflowType: 'kustomizationLoop' });

const superseded = Symbol('superseded');

/** Runs the health wait; undefined when healthy, the failure's message, or `superseded`. */
async function waitUnlessSuperseded(loop: ReconcileLoop, wait: () => Promise<void>): Promise<string | undefined | typeof superseded> {
  const scope = new CancellationScope();
  let finished = false;
  const waiting = scope
    .run(wait)
    .then(
      () => undefined,
      (error: unknown) => (isCancellation(error) ? superseded : healthMessage(error)),
    )
    .finally(() => {
      finished = true;
    });
  await condition(() => finished || loop.reconcileRequested);
  if (!finished) scope.cancel();
  return waiting;
}

function healthMessage(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error as Error).message;
}
