// The reconcile loop of one Receiver: one step, `Receiver.reconcile` (the webhook path
// its token makes, published in status), then the durable timer of spec.interval (10m).
// A deleted Receiver runs finalizeDeletion. The webhook calls themselves are served by
// the notification-controller pool's receiver server (notification/receiver-server.ts).
import { allHandlersFinished, condition, continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import type { ReceiverSteps } from '../activities/receiver/index.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { listeningLoop, showOutcome, type LoopMemory, type LoopTimingOverrides, type ReconcileLoop } from './reconcile-loop.js';
import { unfinishedOutcome } from './step-failures.js';
import { proxySteps } from './steps.js';

export interface ReceiverLoopInput {
  ref: FluxObjectRef;
  memory?: LoopMemory;
  timing?: LoopTimingOverrides;
}

const steps = proxySteps<ReceiverSteps>('Receiver', { startToCloseTimeout: '1 minute', heartbeatTimeout: '30 seconds' });

export async function receiverLoop({ ref, memory, timing }: ReceiverLoopInput): Promise<void> {
  const loop = listeningLoop(memory, timing);
  if (!loop.suspended) {
    loop.startReconcile();
    const outcome = await reconcile(ref, loop);
    if (outcome === 'gone') return;
    loop.finishReconcile(outcome);
    showOutcome(outcome, ref);
  }
  await loop.waitForNextReconcile();
  await condition(allHandlersFinished);
  await continueAsNew<typeof receiverLoop>({ ref, memory: loop.memory(), timing });
}

async function reconcile(ref: FluxObjectRef, loop: ReconcileLoop): Promise<ReconcileOutcome | 'gone'> {
  const name = `${ref.namespace}/${ref.name}`;
  try {
    setCurrentDetails(`Receiver ${name}: publishing its webhook path`);
    const result = await steps('reconcile', { ref }, `the webhook path of Receiver ${name}`);
    switch (result.outcome) {
      case 'gone':
        return 'gone';
      case 'deleting':
        await steps('finalizeDeletion', { ref }, `release the finalizer of Receiver ${name}`);
        return 'gone';
      case 'suspended':
        return { exists: true, suspended: true, ready: false, message: 'suspended', intervalMs: result.intervalMs };
      case 'reconciled':
        return {
          exists: true,
          suspended: false,
          ready: result.ready,
          message: result.message,
          intervalMs: result.intervalMs,
          // A spec that cannot be served waits for a change; a missing token backs off.
          retryAfterMs: result.stalled ? result.intervalMs : undefined,
          seen: { requestedAt: result.requestedAt, generation: result.generation },
        };
    }
  } catch (error) {
    return unfinishedOutcome(loop, error);
  }
}
