// The GitRepository loop as it was before the step-by-step reconcile (one activity for
// the whole reconcile), kept so that runs recorded then replay. Its next run is always a
// `gitRepositoryLoop`.
import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  makeContinueAsNewFunc,
} from '@temporalio/workflow';
import type { createLegacyGitRepositoryActivities, GitRepositoryOutcome } from '../../activities/legacy.js';
import { notifyDependentsOrWarn } from '../dependents.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { gitRepositoryLoop } from '../gitrepository.js';
import { failedOutcome } from './failed-outcome.js';
import { listeningLoop, showOutcome, type LoopMemory } from '../reconcile-loop.js';

const { reconcileGitRepository } = proxyActivities<ReturnType<typeof createLegacyGitRepositoryActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
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
  // The run after this one is the step-by-step loop.
  await continueAsNewInto({ ref, memory: loop.memory() });
}

const continueAsNewInto = makeContinueAsNewFunc<typeof gitRepositoryLoop>({ workflowType: 'gitRepositoryLoop' });

