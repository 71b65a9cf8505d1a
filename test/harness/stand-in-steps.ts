// The real loop workflows on the real Temporal server, with stand-in steps: for testing
// the loop itself (back-off, jitter, signals, suspend, superseded waits) without a
// cluster, and with durations shortened through the workflow's input.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TaskQueue } from '../../common/task-queues.js';
import { reconcileSignal } from '../../common/object-workflow.js';
import { objectWorkflowId } from '../../common/loop-addresses.js';
import { stepActivityType } from '../../common/reconcile-steps.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { LoopTimingOverrides } from '../../workflows/reconcile-loop.js';
import type { kustomizationLoop } from '../../workflows/kustomization.js';
import { sharedEnvironment } from './shared-environment.js';
import { uniqueSuffix } from './test-workers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StandInSteps = Record<string, (input: any) => Promise<unknown>>;

export interface StandInLoops {
  client: Client;
  /** the queue the stand-in worker polls: the loops' and their steps' */
  taskQueue: string;
  start(ref: FluxObjectRef, timing?: LoopTimingOverrides): Promise<WorkflowHandle>;
  /** every run of an object's loop so far, oldest first */
  runs(ref: FluxObjectRef): Promise<string[]>;
  /** the durations (ms) of the timers each of those runs started */
  timers(ref: FluxObjectRef): Promise<number[][]>;
  stop(): Promise<void>;
}

/** A worker serving the Kustomization loop with `steps` (by step name) as its activities. */
export async function startStandInLoops(name: string, kind: string, steps: StandInSteps): Promise<StandInLoops> {
  const shared = sharedEnvironment();
  const taskQueue = `${name}-${uniqueSuffix()}/${TaskQueue.Kustomize}`;
  const clientConnection = await Connection.connect({ address: shared.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: shared.temporalNamespace });
  const workerConnection = await NativeConnection.connect({ address: shared.temporalAddress });
  const activities = Object.fromEntries(Object.entries(steps).map(([step, body]) => [step === 'notifyDependents' ? step : stepActivityType(kind, step), body]));
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: shared.temporalNamespace,
    taskQueue,
    workflowBundle: { codePath: shared.workflowBundlePath },
    activities,
    // Heartbeats reach the server at once, so a cancelled stand-in learns of it at once.
    maxHeartbeatThrottleInterval: '100 milliseconds',
  });
  const running = worker.run();
  const started: string[] = [];

  async function runs(ref: FluxObjectRef): Promise<string[]> {
    const ids: { runId: string; startTime: Date }[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = "${objectWorkflowId(ref)}"` })) ids.push({ runId: execution.runId, startTime: execution.startTime });
    return ids.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((run) => run.runId);
  }

  return {
    client,
    taskQueue,
    async start(ref, timing) {
      started.push(objectWorkflowId(ref));
      return client.workflow.signalWithStart<typeof kustomizationLoop, [{ requestedAt?: string }?]>('kustomizationLoop', {
        workflowId: objectWorkflowId(ref),
        taskQueue,
        args: [{ ref, timing }],
        signal: reconcileSignal,
        signalArgs: [{}],
      });
    },
    runs,
    async timers(ref) {
      const result: number[][] = [];
      for (const runId of await runs(ref)) {
        const history = await client.workflow.getHandle(objectWorkflowId(ref), runId).fetchHistory();
        result.push(
          (history.events ?? []).flatMap((event) => {
            const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
            return timeout ? [Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
          }),
        );
      }
      return result;
    },
    async stop() {
      for (const id of started) await client.workflow.getHandle(id).terminate('test finished').catch(() => undefined);
      worker.shutdown();
      await running;
      await workerConnection.close();
      await clientConnection.close();
    },
  };
}
