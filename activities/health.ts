// Waiting for applied objects to become healthy, polling the API server. The wait
// heartbeats on every poll with the objects still pending, so a crashed worker is
// noticed, a cancelled wait (a newer revision arrived) stops at once, and the Web UI
// shows what is being waited for.
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { FailureType } from '../common/failures.js';
import type { KubeClient } from '../kube/client.js';
import type { ClusterTarget, ClusterTargets } from '../kube/targets.js';
import { describeReference, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import type { CustomHealthCheck } from '../schemas/types.js';
import { compileHealthExpressions, expressionHealthOf } from '../domain/health-expressions.js';
import { healthOf, HealthStatus } from '../domain/health.js';
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

/** A health wait that ended badly: an object Failed, or the deadline passed. */
export class HealthCheckError extends Error {
  override readonly name = 'HealthCheckError';
  readonly retryable = false;
}

/**
 * Resolves when every object is Current; a HealthCheckError on the first Failed one or at
 * the deadline. Objects already Current are not asked again, and the polls space out
 * (up to 5 s): hundreds of waits at once must not flood the API server.
 */
export async function waitUntilHealthy(kube: KubeClient, wait: Omit<HealthWait, 'target'>, pollIntervalMs: number): Promise<void> {
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
      const health = healthOfLive(await kube.get(ref));
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
    await context.sleep(Math.min(interval, Math.max(0, wait.deadline - Date.now())));
    interval = Math.min(maxPollIntervalMs, Math.round(interval * 1.5));
  }
}

export function createHealthActivities(deps: { clusters: ClusterTargets; pollIntervalMs?: number }) {
  const { pollIntervalMs = 1000 } = deps;
  return {
    /** The smoke test's wait: resolves when every object is Current; fails fast on Failed, gives up at the deadline. */
    async waitForHealthy({ objects, deadline, target, expressions = [] }: HealthWait): Promise<void> {
      return reportingFailures(async () => {
        const kube = target ? await deps.clusters.clientFor(target) : deps.clusters.local;
        try {
          await waitUntilHealthy(kube, { objects, deadline, expressions }, pollIntervalMs);
        } catch (error) {
          if (error instanceof HealthCheckError) throw ApplicationFailure.nonRetryable(error.message, FailureType.HealthCheck);
          throw error;
        }
      });
    },
  };
}
