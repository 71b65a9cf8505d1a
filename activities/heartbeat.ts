// Keeping long activities visibly alive, reporting how far they got, and handing the
// activity's cancellation (a newer request, a timeout, a lost worker) to the child
// processes it runs: git, kustomize, sops.
import { Context } from '@temporalio/activity';

const progressOf = new WeakMap<Context, () => unknown>();

/**
 * Runs `body` while heartbeating every 5 s with the progress it reports (shown as the
 * activity's heartbeat details in the Web UI), so a crashed worker is noticed within the
 * heartbeat timeout and a cancellation reaches the activity.
 */
export async function whileHeartbeating<T>(body: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(progressOf.get(context)?.()), 5000);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/** What the running activity's heartbeats say from now on: `progress()`, asked at each beat. */
export function reportProgress(progress: () => unknown): void {
  const context = currentActivity();
  if (context) progressOf.set(context, progress);
}

/** The running activity's context; undefined outside one (a unit test, the CLI). */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Aborted when the running activity is cancelled, or after `timeoutMs`; undefined outside an activity. */
export function cancellationSignal(timeoutMs?: number): AbortSignal | undefined {
  const signal = currentActivity()?.cancellationSignal;
  const timeout = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
  const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}
