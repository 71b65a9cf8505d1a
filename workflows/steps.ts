// Calling a kind's reconcile steps, registered as activities named `<Kind>.<step>`, each
// with a one-line summary the Web UI shows beside the step (object and revision).
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { stepActivityType } from '../common/reconcile-steps.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Step = (input: any) => Promise<any>;

export type StepCaller<T extends Record<string, Step>> = <K extends keyof T & string>(step: K, input: Parameters<T[K]>[0], summary: string) => ReturnType<T[K]>;

export function proxySteps<T extends Record<string, Step>>(kind: string, options: ActivityOptions): StepCaller<T> {
  const activities = proxyActivities<Record<string, Step>>(options);
  return (step, input, summary) => activities[stepActivityType(kind, step)]!.executeWithOptions({ summary }, [input]) as ReturnType<T[typeof step]>;
}
