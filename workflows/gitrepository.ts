// The reconcile loop of one GitRepository: one reconcile per run, then a durable timer
// (spec.interval with jitter, or a short back-off after a failure) that a `reconcile`
// signal cuts short, then continue-as-new so histories stay short.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { createGitRepositoryActivities, GitRepositoryOutcome } from '../activities/gitrepository.js';
import { notifyDependentsOrWarn } from './dependents.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { failedOutcome, listeningLoop, showOutcome, type LoopMemory } from './reconcile-loop.js';

const { reconcileGitRepository } = proxyActivities<ReturnType<typeof createGitRepositoryActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

export interface GitRepositoryWorkflowInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
}

export async function gitRepositoryWorkflow({ ref, memory }: GitRepositoryWorkflowInput): Promise<void> {
  const loop = listeningLoop(memory);

  if (!loop.suspended) {
    loop.startReconcile();
    const outcome: GitRepositoryOutcome = await reconcileGitRepository({ ref }).catch((error: unknown) => ({ ...failedOutcome(loop, error), newRevision: false }));
    if (!outcome.exists) return; // the object is gone: its loop ends
    loop.finishReconcile(outcome);
    showOutcome(outcome);
    // Consumers hear of a new revision now, not at their next interval. (A change of
    // running workflow code: patched() keeps histories recorded before it replayable.)
    if (outcome.newRevision && outcome.revision && patched('notify-dependents')) {
      await notifyDependentsOrWarn(ref, outcome.revision);
    }
  }

  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await continueAsNew<typeof gitRepositoryWorkflow>({ ref, memory: loop.memory() });
}

