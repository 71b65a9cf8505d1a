// Calling a kind's reconcile steps, registered as activities named `<Kind>.<step>`, each
// with a one-line summary the Web UI shows beside the step (object and revision).
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { stepActivityType, type WorkerLocal } from '../common/reconcile-steps.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Step = (input: any) => Promise<any>;

export type StepCaller<T extends Record<string, Step>> = <K extends keyof T & string>(step: K, input: Parameters<T[K]>[0], summary: string) => ReturnType<T[K]>;

/** Bounded everywhere: when a step's attempts are spent, its failure goes on the status. */
export const stepRetry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 };

export function proxySteps<T extends Record<string, Step>>(kind: string, options: ActivityOptions): StepCaller<T> {
  const activities = proxyActivities<Record<string, Step>>({ retry: stepRetry, ...options });
  return (step, input, summary) => activities[stepActivityType(kind, step)]!.executeWithOptions({ summary }, [input]) as ReturnType<T[typeof step]>;
}

/** The steps of one reconcile after its first, on the worker that holds its workspace. */
export function proxyWorkerSteps<T extends Record<string, Step>>(kind: string, local: WorkerLocal, workerLostAfterMs: number, startToCloseTimeout: string | number): StepCaller<T> {
  return proxySteps<T>(kind, {
    taskQueue: local.workerQueue,
    // A worker that is gone never starts the step: the reconcile then starts again.
    scheduleToStartTimeout: workerLostAfterMs,
    startToCloseTimeout,
    heartbeatTimeout: '20 seconds',
  });
}
