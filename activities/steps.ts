// Registering a kind's reconcile steps as activities named `<Kind>.<step>`: each step's
// failures leave it typed (activities/failures.ts), and each heartbeats while it runs,
// so a lost worker is noticed and cancellation reaches it.
import { stepActivityType } from '../common/reconcile-steps.js';
import { reportingFailures } from './failures.js';
import { whileHeartbeating } from './heartbeat.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Step = (input: any) => Promise<unknown>;

export function stepActivities(kind: string, steps: Record<string, Step>): Record<string, Step> {
  return Object.fromEntries(
    Object.entries(steps).map(([step, body]) => [stepActivityType(kind, step), (input: unknown) => reportingFailures(() => whileHeartbeating(() => body(input)))]),
  );
}
