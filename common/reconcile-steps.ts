// What the steps of every kind's reconcile tell their workflow, beyond their own
// results: where a reconcile stopped short, where its later steps must run, and the
// timing the loop waits by. Small and free of secrets: these travel in Temporal payloads.

/** A reconcile stopped short, in Flux's words: the reason names the step that failed. */
export interface StepFailure {
  reason: string;
  message: string;
  /** retrying without a change to the object cannot fix it (Stalled) */
  stalled: boolean;
  /** the object's own retry timing (a dependency's requeue), instead of retryInterval */
  retryAfterMs?: number;
}

/** The worker that opened a reconcile's workspace: the later steps run on its own task queue. */
export interface WorkerLocal {
  workerQueue: string;
  workspace: string;
}

/** The timing a loop waits by, from the object's spec. */
export interface LoopTiming {
  intervalMs: number;
  retryIntervalMs: number;
}

/** Activity types are `<Kind>.<step>` (`Kustomization.build`), so every pool can hold several kinds and the Web UI names both. */
export function stepActivityType(kind: string, step: string): string {
  return `${kind}.${step}`;
}
