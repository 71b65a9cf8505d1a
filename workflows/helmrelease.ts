// The reconcile loop of one HelmRelease. One reconcile per run, its steps each an
// activity the Web UI names (`HelmRelease.upgrade`):
//
//   resolveRelease → fetchChart → [unlock →] install | upgrade [→ checkHealth] [→ test] | test | detectDrift
//     [→ rollback | uninstallRemediation | correctDrift] → finalizeStatus
//
// resolveRelease runs on the shared helm-controller queue: it applies the chart template's
// HelmChart, waits for its artifact, composes the values, reads the release Helm has in
// storage and decides the action; the rest runs on the worker that opened the
// reconcile's workspace. The workflow is the release's lock: one action at a time. A
// worker killed mid-action leaves a pending-* release that the next reconcile unlocks
// (marks failed) before it upgrades. A deleted HelmRelease runs finalizeDeletion.
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import type { HelmReleaseFinalStatus, HelmReleaseSteps, HelmReleaseVerdict, ReleaseResolution } from '../activities/helmrelease/index.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { notifyDependentsOrWarn } from './dependents.js';
import { listeningLoop, showOutcome, type LoopMemory, type LoopTimingOverrides, type ReconcileLoop } from './reconcile-loop.js';
import { causeMessage, isWorkerLost, unfinishedOutcome } from './step-failures.js';
import { proxySteps, proxyWorkerSteps, type StepCaller } from './steps.js';

export interface HelmReleaseLoopInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
  timing?: LoopTimingOverrides;
}

const sharedSteps = proxySteps<HelmReleaseSteps>('HelmRelease', { startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds' });

/** The workflow's step for each action the first step decided. */
const actionSteps = {
  install: 'install',
  upgrade: 'upgrade',
  unlock: 'unlock',
  rollback: 'rollback',
  'uninstall-remediation': 'uninstallRemediation',
  'uninstall-target': 'uninstallTarget',
  test: 'test',
  'detect-drift': 'detectDrift',
  'check-health': 'checkHealth',
} as const;

export async function helmReleaseLoop({ ref, memory, timing }: HelmReleaseLoopInput): Promise<void> {
  const loop = listeningLoop(memory, timing);
  if (!loop.suspended) {
    loop.startReconcile();
    const before = loop.status();
    const outcome = await reconcile(ref, loop);
    if (outcome === 'gone') return;
    loop.finishReconcile(outcome);
    showOutcome(outcome, ref);
    // Kustomizations and HelmReleases that dependOn this one hear of it at once.
    if (outcome.ready && outcome.revision && (before.ready !== true || before.revision !== outcome.revision)) await notifyDependentsOrWarn(ref, outcome.revision);
  }
  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await continueAsNew<typeof helmReleaseLoop>({ ref, memory: loop.memory(), timing });
}

async function reconcile(ref: FluxObjectRef, loop: ReconcileLoop): Promise<ReconcileOutcome | 'gone'> {
  const name = `${ref.namespace}/${ref.name}`;
  const unfinished = (error: unknown) => unfinishedOutcome(loop, error);
  let resolution: ReleaseResolution;
  try {
    setCurrentDetails(`HelmRelease ${name}: resolving its chart and values`);
    resolution = await sharedSteps('resolveRelease', { ref }, `resolve the chart, values and release of HelmRelease ${name}`);
  } catch (error) {
    return unfinished(error);
  }
  switch (resolution.outcome) {
    case 'gone':
      return 'gone';
    case 'deleting':
      try {
        await sharedSteps('finalizeDeletion', { ref }, `uninstall the release of HelmRelease ${name} and release its finalizer`);
      } catch (error) {
        return unfinished(error);
      }
      return 'gone';
    case 'suspended':
      return { exists: true, suspended: true, ready: false, message: 'suspended', intervalMs: resolution.timing.intervalMs };
  }
  const { generation, requestedAt, timing } = resolution;
  const finish = async (finalize: StepCaller<HelmReleaseSteps>, verdict: HelmReleaseVerdict, retryAfterMs?: number): Promise<ReconcileOutcome | 'gone'> => {
    let final: HelmReleaseFinalStatus | undefined;
    try {
      final = await finalize('finalizeStatus', verdict, `write the status of HelmRelease ${name}`);
    } catch (error) {
      return unfinished(error);
    }
    if (!final) return 'gone';
    return {
      exists: true,
      suspended: false,
      ready: final.ready,
      revision: final.revision,
      message: final.message,
      intervalMs: timing.intervalMs,
      // A failure backs off from 5 s, as Flux's requeue does; a stall waits for the interval (or a change).
      retryAfterMs: final.ready ? undefined : final.stalled ? timing.intervalMs : retryAfterMs,
      seen: { requestedAt, generation },
    };
  };
  const base = { ref, generation, requestedAt };
  if (resolution.outcome === 'decided') return finish(sharedSteps, { ...base, verdict: resolution.verdict }, resolution.retryAfterMs);

  const { local, plan, revision, timeoutMs } = resolution;
  const at = `HelmRelease ${name} with chart ${revision}`;
  const onWorker = proxyWorkerSteps<HelmReleaseSteps>('HelmRelease', local, loop.timing.workerLostAfterMs, '5 minutes');
  // A Helm action is not retried by Temporal: a second attempt would meet the first's
  // pending release. Its outcome (or the worker's loss) goes to the next reconcile.
  const action = proxySteps<HelmReleaseSteps>('HelmRelease', {
    taskQueue: local.workerQueue,
    scheduleToStartTimeout: loop.timing.workerLostAfterMs,
    startToCloseTimeout: timeoutMs + 120_000,
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  const steps: (keyof typeof actionSteps)[] = plan === 'unlock' ? ['unlock', 'upgrade'] : plan in actionSteps ? [plan as keyof typeof actionSteps] : [];
  const made = steps.at(-1);
  if (made === 'install' || made === 'upgrade') {
    // With the poller wait strategy, the release's objects are waited for in a step of their own.
    if (resolution.checkHealth?.includes(made)) steps.push('check-health');
    // With tests enabled, a release made now is tested before the reconcile ends.
    if (resolution.test) steps.push('test');
  }
  // A release left under an old name, namespace or chart goes before anything else is done.
  if (resolution.uninstallTarget) steps.unshift('uninstall-target');
  try {
    // Testing a release or comparing it with the cluster reads the release, not the chart.
    if (plan !== 'test' && plan !== 'detect-drift') {
      setCurrentDetails(`${at}: fetchChart`);
      await onWorker('fetchChart', { local }, `fetch the chart of ${at}`);
    }
    for (const step of steps) {
      setCurrentDetails(`${at}: ${actionSteps[step]}`);
      const { ok, remediate } = await action(actionSteps[step], { local }, step === 'check-health' ? `wait for the objects of ${at}` : step === 'uninstall-target' ? `helm uninstall the release ${at} left under its old name, namespace or chart` : `helm ${step} for ${at}`);
      if (ok) continue;
      // A failure Flux remediates at once: the remediation ends this reconcile.
      if (remediate) {
        setCurrentDetails(`${at}: ${remediate}`);
        await action(remediate, { local }, `helm ${remediate} after the failed ${step} of ${at}`);
      }
      break;
    }
  } catch (error) {
    if (isWorkerLost(error)) return unfinished(error);
    // What the actions did before is written; a step that gave up is named.
    return finish(onWorker, { ...base, local, failure: { reason: 'ArtifactFailed', message: causeMessage(error) } });
  }
  return finish(onWorker, { ...base, local });
}
