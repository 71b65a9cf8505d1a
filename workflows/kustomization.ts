// The reconcile loop of one Kustomization. One reconcile per run, its steps in Flux's
// order, each an activity the Web UI names (`Kustomization.build`):
//
//   resolveSource → checkDependencies → fetchArtifact → build → apply → prune
//     → checkHealth → finalizeStatus
//
// resolveSource runs on the shared kustomize-controller queue and opens the reconcile's
// workspace on the worker that ran it; every later step runs on that worker's own queue,
// so the artifact and the built objects never travel through Temporal. A step that ends
// short (a result with a failure, or an activity failing for good) goes straight to
// finalizeStatus, which writes it on the object; nothing is pruned after a failed step.
// A newer request cuts the health wait short and the next run starts at once. Then a
// durable timer until the next reconcile, and continue-as-new.
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import type { FinalStatus, KustomizationSteps, KustomizationVerdict, SourceResolution } from '../activities/kustomization/index.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { StepFailure, WorkerLocal } from '../common/reconcile-steps.js';
import { KustomizationReason } from '../domain/kustomization-status.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { notifyDependentsOrWarn } from './dependents.js';
import { listeningLoop, showOutcome, type LoopMemory, type LoopTimingOverrides, type ReconcileLoop } from './reconcile-loop.js';
import { causeMessage, isWorkerLost, unfinishedOutcome } from './step-failures.js';
import { proxySteps, proxyWorkerSteps, type StepCaller } from './steps.js';
import { superseded, waitUnlessSuperseded } from './superseded.js';

export interface KustomizationLoopInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
  timing?: LoopTimingOverrides;
}

const sharedSteps = proxySteps<KustomizationSteps>('Kustomization', { startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds' });
const workerSteps = (local: WorkerLocal, loop: ReconcileLoop, startToCloseTimeout: string | number) =>
  proxyWorkerSteps<KustomizationSteps>('Kustomization', local, loop.timing.workerLostAfterMs, startToCloseTimeout);

/** The reason each step's failure is reported with, as Flux's kustomize-controller names it. */
const reasonOfStep = {
  resolveSource: KustomizationReason.ArtifactFailed,
  checkDependencies: KustomizationReason.DependencyNotReady,
  fetchArtifact: KustomizationReason.ArtifactFailed,
  build: KustomizationReason.BuildFailed,
  apply: KustomizationReason.ReconciliationFailed,
  prune: KustomizationReason.PruneFailed,
  checkHealth: KustomizationReason.HealthCheckFailed,
} as const;
type Step = keyof typeof reasonOfStep;

export async function kustomizationLoop({ ref, memory, timing }: KustomizationLoopInput): Promise<void> {
  const loop = listeningLoop(memory, timing);
  const next = () => continueAsNew<typeof kustomizationLoop>({ ref, memory: loop.memory(), timing });

  if (!loop.suspended) {
    loop.startReconcile();
    const before = loop.status();
    const outcome = await reconcile(ref, loop);
    if (outcome === 'gone') return;
    // A newer request arrived during the health wait: reconcile again now.
    if (outcome === superseded) return next();
    loop.finishReconcile(outcome);
    showOutcome(outcome, ref);
    // Those that dependOn this one need not wait for their next retry to see it Ready.
    if (outcome.ready && outcome.revision && (before.ready !== true || before.revision !== outcome.revision)) {
      await notifyDependentsOrWarn(ref, outcome.revision);
    }
  }

  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await next();
}

async function reconcile(ref: FluxObjectRef, loop: ReconcileLoop): Promise<ReconcileOutcome | 'gone' | typeof superseded> {
  const name = `${ref.namespace}/${ref.name}`;
  const failedToFinish = (error: unknown) => unfinishedOutcome(loop, error);

  let resolution: SourceResolution;
  try {
    setCurrentDetails(`Kustomization ${name}: resolving its source`);
    resolution = await sharedSteps('resolveSource', { ref }, `resolve the source of Kustomization ${name}`);
  } catch (error) {
    return failedToFinish(error);
  }
  switch (resolution.outcome) {
    case 'gone':
      return 'gone';
    case 'deleting':
      try {
        await sharedSteps('finalizeDeletion', { ref }, `prune Kustomization ${name} by its deletionPolicy and release its finalizer`);
      } catch (error) {
        return failedToFinish(error);
      }
      return 'gone';
    case 'suspended':
      return { exists: true, suspended: true, ready: false, message: 'suspended', intervalMs: resolution.timing.intervalMs };
  }
  const { generation, requestedAt, timing } = resolution;
  const base = { ref, generation, requestedAt, revision: resolution.revision };
  const finish = async (finalize: StepCaller<KustomizationSteps>, verdict: KustomizationVerdict): Promise<ReconcileOutcome | 'gone'> => {
    let final: FinalStatus | undefined;
    try {
      final = await finalize('finalizeStatus', verdict, `write the status of Kustomization ${name}${verdict.revision ? ` at ${verdict.revision}` : ''}`);
    } catch (error) {
      return failedToFinish(error);
    }
    if (!final) return 'gone';
    const failure = verdict.failure;
    return {
      exists: true,
      suspended: false,
      ready: final.ready,
      revision: final.revision,
      message: final.message,
      intervalMs: timing.intervalMs,
      retryAfterMs: failure ? (failure.retryAfterMs ?? timing.retryIntervalMs) : undefined,
      seen: { requestedAt, revision: resolution.revision, generation },
    };
  };
  if (resolution.outcome === 'failed') return finish(sharedSteps, { ...base, revision: resolution.revision, failure: resolution.failure });

  const { local, steps, timeoutMs } = resolution;
  const at = `Kustomization ${name} at ${resolution.revision}`;
  const short = workerSteps(local, loop, '5 minutes');
  const long = workerSteps(local, loop, '15 minutes');
  /** Runs one step; its failure (a result, or the activity failing for good) ends the reconcile. */
  const run = async (step: Step, caller: StepCaller<KustomizationSteps>, summary: string): Promise<StepFailure | { lost: unknown } | undefined> => {
    setCurrentDetails(`${at}: ${step}`);
    try {
      const result = (await caller(step, { local } as never, summary)) as { failure?: StepFailure };
      return result.failure;
    } catch (error) {
      if (isWorkerLost(error)) return { lost: error };
      return { reason: reasonOfStep[step], message: causeMessage(error), stalled: false };
    }
  };
  type Stage = [Step, StepCaller<KustomizationSteps>, string];
  const when = (wanted: boolean, stage: Stage): Stage[] => (wanted ? [stage] : []);
  const pipeline: Stage[] = [
    ...when(steps.dependencies, ['checkDependencies', short, `check the dependencies of ${at}`]),
    ['fetchArtifact', short, `fetch the artifact of ${at}`],
    ['build', long, `build ${at}`],
    ['apply', long, `apply ${at}`],
    ...when(steps.prune, ['prune', short, `prune what left ${at}`]),
  ];
  for (const [step, caller, summary] of pipeline) {
    const failure = await run(step, caller, summary);
    if (failure && 'lost' in failure) return failedToFinish(failure.lost);
    if (failure) return finish(short, { ...base, local, failure });
  }
  if (!steps.health) return finish(short, { ...base, local });

  setCurrentDetails(`${at}: checkHealth`);
  const health = workerSteps(local, loop, timeoutMs + 60_000);
  const deadline = Date.now() + timeoutMs;
  const waited = await waitUnlessSuperseded(loop, { requestedAt, revision: resolution.revision, generation }, () => health('checkHealth', { local, deadline }, `wait for the health of ${at}`));
  if (waited === superseded) return superseded;
  if ('error' in waited) {
    if (isWorkerLost(waited.error)) return failedToFinish(waited.error);
    return finish(short, { ...base, local, failure: { reason: KustomizationReason.HealthCheckFailed, message: causeMessage(waited.error), stalled: false } });
  }
  const failure = waited.value.failure;
  if (failure) return finish(short, { ...base, local, failure: { reason: KustomizationReason.HealthCheckFailed, message: failure, stalled: false } });
  return finish(short, { ...base, local, healthChecked: true });
}
