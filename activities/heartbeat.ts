// Keeping long activities visibly alive, reporting how far they got, and handing the
// activity's cancellation (a newer request, a timeout, a lost worker) to the child
// processes it runs: git, kustomize, sops.
import { Context } from '@temporalio/activity';

/**
 * Runs `body` while heartbeating every 5 s with what `progress()` says (shown as the
 * activity's heartbeat details in the Web UI), so a crashed worker is noticed within the
 * heartbeat timeout and a cancellation reaches the activity.
 */
export async function whileHeartbeating<T>(body: () => Promise<T>, progress: () => unknown = () => undefined): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(progress()), 5000);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/** Aborted when the running activity is cancelled, or after `timeoutMs`; undefined outside an activity. */
export function cancellationSignal(timeoutMs?: number): AbortSignal | undefined {
  let signal: AbortSignal | undefined;
  try {
    signal = Context.current().cancellationSignal;
  } catch {
    signal = undefined; // not in an activity: the CLI's build and diff
  }
  const timeout = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
  const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}
