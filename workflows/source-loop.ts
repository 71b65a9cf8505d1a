// The reconcile loop every source kind shares (GitRepository, HelmRepository, and the
// sources to come): one reconcile per run, its steps named in the Web UI
// (`<Kind>.<step>`):
//
//   <first step> → <steps on the fetching worker…> → finalizeStatus
//
// The first step runs on the shared source-controller queue: it reads the object, asks
// the remote what it holds and decides whether anything changed. When nothing did, or it
// failed, finalizeStatus follows at once. Otherwise the later steps run on the worker
// that opened the reconcile's workspace (credentials and downloads stay there). Then a
// durable timer (spec.interval with jitter, or a back-off after a failure) that a
// `reconcile` signal cuts short, then continue-as-new so histories stay short.
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import type { LoopTiming, WorkerLocal } from '../common/reconcile-steps.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { SourceFailure } from '../domain/source-failure.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { notifyDependentsOrWarn } from './dependents.js';
import { listeningLoop, showOutcome, type LoopMemory, type LoopTimingOverrides, type ReconcileLoop } from './reconcile-loop.js';
import { causeMessage, isWorkerLost, unfinishedOutcome } from './step-failures.js';
import { proxySteps, proxyWorkerSteps, type StepCaller } from './steps.js';

export interface SourceLoopInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
  timing?: LoopTimingOverrides;
}

/** A failure as the source's status words it. */
type StepFailure = SourceFailure & { outcome: 'failed' };

/** What the first step decided. */
export type SourceCheck<Result, Observed> =
  | { outcome: 'gone' }
  | { outcome: 'suspended'; timing: LoopTiming; revision?: string }
  /** nothing to fetch, or a failure: straight to finalizeStatus */
  | { outcome: 'decided'; result: Result; generation: number; requestedAt?: string; observed: Observed; timing: LoopTiming }
  | { outcome: 'changed'; local: WorkerLocal; revision: string; generation: number; requestedAt?: string; observed: Observed; timing: LoopTiming };

export interface SourceVerdict<Result, Observed> {
  ref: FluxObjectRef;
  generation: number;
  requestedAt?: string;
  observed: Observed;
  /** what the steps decided; the workspace's result when absent */
  result?: Result;
  local?: WorkerLocal;
}

export interface SourceFinalStatus {
  ready: boolean;
  revision?: string;
  message: string;
  /** the stored artifact changed: consumers must hear of it now */
  newRevision: boolean;
}

/** A step on the fetching worker: how the Web UI names it, and the status a step that gave up leaves. */
export interface WorkerStep {
  name: string;
  summary: string;
  reason: string;
  condition?: string;
}

export interface SourceKind<Check extends SourceCheck<unknown, unknown>> {
  kind: string;
  /** the first step, on the shared queue, and how the Web UI names it for the object `name` */
  firstStep: { name: string; summary(name: string): string; details: string };
  /** the steps on the fetching worker, for what the first step found */
  workerSteps(check: Extract<Check, { outcome: 'changed' }>): readonly WorkerStep[];
}

type AnySteps = Record<string, (input: unknown) => Promise<unknown>>;

interface SourceOutcome extends ReconcileOutcome {
  newRevision: boolean;
}

export async function sourceLoop<Check extends SourceCheck<unknown, unknown>>(source: SourceKind<Check>, { ref, memory, timing }: SourceLoopInput, continueAs: (input: SourceLoopInput) => Promise<never>): Promise<void> {
  const loop = listeningLoop(memory, timing);

  if (!loop.suspended) {
    loop.startReconcile();
    const outcome = await reconcile(source, ref, loop);
    if (outcome === 'gone') return; // the object is gone: its loop ends
    loop.finishReconcile(outcome);
    showOutcome(outcome, ref);
    // Consumers hear of a new revision now, not at their next interval.
    if (outcome.newRevision && outcome.revision) await notifyDependentsOrWarn(ref, outcome.revision);
  }

  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await continueAs({ ref, memory: loop.memory(), timing });
}

/** The source loop's continue-as-new, as the workflow `Loop` (the current workflow type). */
export function continueAsSourceLoop<Loop extends (input: SourceLoopInput) => Promise<void>>() {
  return (...input: Parameters<Loop>) => continueAsNew<Loop>(...input);
}

async function reconcile<Check extends SourceCheck<unknown, unknown>>(source: SourceKind<Check>, ref: FluxObjectRef, loop: ReconcileLoop): Promise<SourceOutcome | 'gone'> {
  const { kind, firstStep } = source;
  const name = `${ref.namespace}/${ref.name}`;
  const sharedSteps: StepCaller<AnySteps> = proxySteps<AnySteps>(kind, { startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds' });
  const unfinished = (error: unknown): SourceOutcome => ({ ...unfinishedOutcome(loop, error), newRevision: false });

  let check: Check;
  try {
    setCurrentDetails(`${kind} ${name}: ${firstStep.details}`);
    check = (await sharedSteps(firstStep.name, { ref }, firstStep.summary(name))) as Check;
  } catch (error) {
    return unfinished(error);
  }
  if (check.outcome === 'gone') return 'gone';
  if (check.outcome === 'suspended') return { exists: true, suspended: true, ready: false, newRevision: false, revision: check.revision, message: 'suspended', intervalMs: check.timing.intervalMs };
  const { generation, requestedAt, observed, timing } = check;
  const finish = async (finalize: typeof sharedSteps, verdict: SourceVerdict<unknown, unknown>): Promise<SourceOutcome | 'gone'> => {
    let final: SourceFinalStatus | undefined;
    try {
      final = (await finalize('finalizeStatus', verdict, `write the status of ${kind} ${name}`)) as SourceFinalStatus | undefined;
    } catch (error) {
      return unfinished(error);
    }
    if (!final) return 'gone';
    return { exists: true, suspended: false, ...final, intervalMs: timing.intervalMs, seen: { requestedAt, generation } };
  };
  const base = { ref, generation, requestedAt, observed };
  if (check.outcome === 'decided') return finish(sharedSteps, { ...base, result: check.result });

  const changed = check as Extract<Check, { outcome: 'changed' }>;
  const { local, revision } = changed;
  const onWorker = proxyWorkerSteps<AnySteps>(kind, local, loop.timing.workerLostAfterMs, '10 minutes');
  for (const step of source.workerSteps(changed)) {
    setCurrentDetails(`${kind} ${name} at ${revision}: ${step.name}`);
    let failure: StepFailure | undefined;
    try {
      ({ failure } = (await onWorker(step.name, { local }, `${step.summary} ${revision} of ${kind} ${name}`)) as { failure?: StepFailure });
    } catch (error) {
      if (isWorkerLost(error)) return unfinished(error);
      failure = { outcome: 'failed', reason: step.reason, message: causeMessage(error), stalled: false, ...(step.condition ? { condition: step.condition } : {}) };
    }
    if (failure) return finish(onWorker, { ...base, local, result: failure });
  }
  return finish(onWorker, { ...base, local });
}
