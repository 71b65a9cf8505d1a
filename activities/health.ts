// Waiting for applied objects to become healthy, as the target's watches see them: the
// wait looks again whenever one of its objects changes (or, for a kind read by GETs,
// at a poll interval that spaces out). It heartbeats with the objects still pending, so
// a crashed worker is noticed, a cancelled wait (a newer revision arrived) stops at
// once, and the Web UI shows what is being waited for.
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { FailureType } from '../common/failures.js';
import { caughtUp, type AppliedVersion, type LiveObjects } from '../kube/object-watches.js';
import type { ClusterTarget, ClusterTargets } from '../kube/targets.js';
import { describeReference, referenceKey, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import type { CustomHealthCheck } from '../schemas/types.js';
import { compileHealthExpressions, expressionHealthOf, hasExpressionFor } from '../domain/health-expressions.js';
import { healthIsExistence, healthOf, HealthStatus } from '../domain/health.js';
import { reportingFailures } from './failures.js';
import { reportProgress } from './heartbeat.js';

export interface HealthWait {
  objects: ObjectReference[];
  /** epoch milliseconds; fixed by the caller so a retried attempt keeps the same deadline */
  deadline: number;
  /** the cluster and identity the objects were applied with; the worker's own by default */
  target?: ClusterTarget;
  /** spec.healthCheckExprs: how to judge kinds kstatus cannot */
  expressions?: CustomHealthCheck[];
}

/** What one wait asks: the objects, and what the apply left of them (by referenceKey). */
export interface HealthQuestion extends Omit<HealthWait, 'target'> {
  applied?: ReadonlyMap<string, AppliedVersion>;
}

/** A health wait that ended badly: an object Failed, or the deadline passed. */
export class HealthCheckError extends Error {
  override readonly name = 'HealthCheckError';
  readonly retryable = false;
}

/** how long a wait on watched objects sleeps at most without an event: its heartbeat and deadline */
const watchedLookMs = 10_000;

/**
 * Resolves when every object is Current; a HealthCheckError on the first Failed one or at
 * the deadline. Objects already Current are not looked at again. Between looks the wait
 * sleeps until one of its objects changes; at most `pollIntervalMs` (growing to 5 s) for
 * kinds that are not watched, and 10 s otherwise, to heartbeat and meet the deadline.
 */
export async function waitUntilHealthy(live: LiveObjects, wait: HealthQuestion, pollIntervalMs: number): Promise<void> {
  const context = Context.current();
  const compiled = compileHealthExpressions(wait.expressions ?? []);
  if (!compiled.ok) throw ApplicationFailure.nonRetryable(compiled.message, FailureType.InvalidCELExpression);
  const healthOfLive = (object: KubernetesObject | undefined) => (object && expressionHealthOf(object, compiled.checks)) ?? healthOf(object);
  const maxPollIntervalMs = Math.max(pollIntervalMs, 5000);
  let waiting = [...wait.objects];
  let interval = pollIntervalMs;
  for (;;) {
    const pending: { ref: ObjectReference; message: string }[] = [];
    for (const ref of waiting) {
      const applied = wait.applied?.get(referenceKey(ref));
      // Just applied, and healthy by existing (unless an expression judges its kind):
      // nothing to look at.
      if (applied && healthIsExistence(ref) && !hasExpressionFor(ref, compiled.checks)) continue;
      const object = await live.get(ref);
      if (!caughtUp(object, applied)) {
        pending.push({ ref, message: `${describeReference(ref)}: ${applied?.generation ? `applied generation ${applied.generation}` : 'the applied object'} not observed yet` });
        continue;
      }
      const health = healthOfLive(object);
      if (health.status === HealthStatus.Failed) throw new HealthCheckError(`${describeReference(ref)}: ${health.message}`);
      if (health.status !== HealthStatus.Current) pending.push({ ref, message: `${describeReference(ref)}: ${health.message}` });
    }
    if (pending.length === 0) return;
    waiting = pending.map((entry) => entry.ref);
    const messages = pending.map((entry) => entry.message);
    const progress = { pending: messages.length, of: wait.objects.length, waitingFor: messages.slice(0, 10) };
    // Beats now, and a step's own liveness beats carry the same details.
    reportProgress(() => progress);
    context.heartbeat(progress);
    if (Date.now() >= wait.deadline) {
      throw new HealthCheckError(`timeout waiting for ${pending.length} object(s) to become healthy: ${messages.join('; ')}`);
    }
    const left = Math.max(0, wait.deadline - Date.now());
    const timing = { pollMs: Math.min(interval, left), maxMs: Math.min(watchedLookMs, left) };
    await Promise.race([live.nextChange(waiting, timing, context.cancellationSignal), context.cancelled]);
    interval = Math.min(maxPollIntervalMs, Math.round(interval * 1.5));
  }
}

export function createHealthActivities(deps: { clusters: ClusterTargets; pollIntervalMs?: number }) {
  const { pollIntervalMs = 1000 } = deps;
  return {
    /** The smoke test's wait: resolves when every object is Current; fails fast on Failed, gives up at the deadline. */
    async waitForHealthy({ objects, deadline, target, expressions = [] }: HealthWait): Promise<void> {
      return reportingFailures(async () => {
        // No target: the worker's own cluster and identity.
        const live = await deps.clusters.liveObjectsFor(target ?? { namespace: '' });
        try {
          await waitUntilHealthy(live, { objects, deadline, expressions }, pollIntervalMs);
        } catch (error) {
          if (error instanceof HealthCheckError) throw ApplicationFailure.nonRetryable(error.message, FailureType.HealthCheck);
          throw error;
        }
      });
    },
  };
}
