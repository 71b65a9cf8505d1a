// The reconcile loop of one GitRepository. One reconcile per run, its steps named in the
// Web UI (`GitRepository.checkRemote`):
//
//   checkRemote → clone → (verifySignature) → storeArtifact → finalizeStatus
//
// checkRemote runs on the shared source-controller queue and asks the remote which
// commit the ref points at; when nothing changed it goes straight to finalizeStatus.
// Otherwise the clone and store run on the worker that opened the reconcile's workspace
// (its credentials and checkout stay there). Then a durable timer (spec.interval with
// jitter, or a back-off after a failure) that a `reconcile` signal cuts short, then
// continue-as-new so histories stay short.
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import type { GitRepositoryFinalStatus, GitRepositorySteps, GitRepositoryVerdict, RemoteCheck } from '../activities/gitrepository/index.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { notifyDependentsOrWarn } from './dependents.js';
import { listeningLoop, showOutcome, type LoopMemory, type LoopTimingOverrides, type ReconcileLoop } from './reconcile-loop.js';
import { causeMessage, isWorkerLost, unfinishedOutcome } from './step-failures.js';
import { proxySteps, proxyWorkerSteps, type StepCaller } from './steps.js';

export interface GitRepositoryLoopInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
  timing?: LoopTimingOverrides;
}

const sharedSteps = proxySteps<GitRepositorySteps>('GitRepository', { startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds' });

interface GitRepositoryOutcome extends ReconcileOutcome {
  newRevision: boolean;
}

export async function gitRepositoryLoop({ ref, memory, timing }: GitRepositoryLoopInput): Promise<void> {
  const loop = listeningLoop(memory, timing);

  if (!loop.suspended) {
    loop.startReconcile();
    const outcome = await reconcile(ref, loop);
    if (outcome === 'gone') return; // the object is gone: its loop ends
    loop.finishReconcile(outcome);
    showOutcome(outcome, ref);
    // Consumers hear of a new revision now, not at their next interval.
    if (outcome.newRevision && outcome.revision) await notifyDependentsOrWarn(ref, outcome.revision);
  }

  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await continueAsNew<typeof gitRepositoryLoop>({ ref, memory: loop.memory(), timing });
}

/** How each step on the fetching worker is named in the Web UI, and the status a step that gave up leaves. */
const workerSteps = {
  clone: { summary: 'fetch', reason: 'GitOperationFailed', condition: undefined },
  verifySignature: { summary: 'verify the signature of', reason: 'VerificationError', condition: 'SourceVerified' },
  storeArtifact: { summary: 'pack and store', reason: 'StorageOperationFailed', condition: 'StorageOperationFailed' },
} as const;

async function reconcile(ref: FluxObjectRef, loop: ReconcileLoop): Promise<GitRepositoryOutcome | 'gone'> {
  const name = `${ref.namespace}/${ref.name}`;
  const unfinished = (error: unknown): GitRepositoryOutcome => ({ ...unfinishedOutcome(loop, error), newRevision: false });

  let check: RemoteCheck;
  try {
    setCurrentDetails(`GitRepository ${name}: checking the remote`);
    check = await sharedSteps('checkRemote', { ref }, `ask the remote of GitRepository ${name} for its revision`);
  } catch (error) {
    return unfinished(error);
  }
  if (check.outcome === 'gone') return 'gone';
  if (check.outcome === 'suspended') return { exists: true, suspended: true, ready: false, newRevision: false, revision: check.revision, message: 'suspended', intervalMs: check.timing.intervalMs };
  const { generation, requestedAt, observed, timing } = check;
  const finish = async (finalize: StepCaller<GitRepositorySteps>, verdict: GitRepositoryVerdict): Promise<GitRepositoryOutcome | 'gone'> => {
    let final: GitRepositoryFinalStatus | undefined;
    try {
      final = await finalize('finalizeStatus', verdict, `write the status of GitRepository ${name}`);
    } catch (error) {
      return unfinished(error);
    }
    if (!final) return 'gone';
    return { exists: true, suspended: false, ...final, intervalMs: timing.intervalMs, seen: { requestedAt, generation } };
  };
  const base = { ref, generation, requestedAt, observed };
  if (check.outcome === 'decided') return finish(sharedSteps, { ...base, result: check.result });

  const { local, revision } = check;
  const onWorker = proxyWorkerSteps<GitRepositorySteps>('GitRepository', local, loop.timing.workerLostAfterMs, '10 minutes');
  // A spec.verify makes the signature check a step of its own, so the Web UI shows it.
  const steps = check.verify ? (['clone', 'verifySignature', 'storeArtifact'] as const) : (['clone', 'storeArtifact'] as const);
  for (const step of steps) {
    setCurrentDetails(`GitRepository ${name} at ${revision}: ${step}`);
    const { summary, reason, condition } = workerSteps[step];
    let failure;
    try {
      ({ failure } = await onWorker(step, { local }, `${summary} ${revision} of GitRepository ${name}`));
    } catch (error) {
      if (isWorkerLost(error)) return unfinished(error);
      failure = { outcome: 'failed' as const, reason, message: causeMessage(error), stalled: false, ...(condition ? { condition } : {}) };
    }
    if (failure) return finish(onWorker, { ...base, local, result: failure });
  }
  return finish(onWorker, { ...base, local });
}
