// Waiting for applied objects to become healthy, polling the API server. The activity
// heartbeats on every poll so a crashed worker is noticed and a cancelled wait (a newer
// revision arrived) stops at once.
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ClusterTarget, ClusterTargets } from '../kube/targets.js';
import { describeReference, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import type { CustomHealthCheck } from '../schemas/types.js';
import { compileHealthExpressions, expressionHealthOf } from '../domain/health-expressions.js';
import { healthOf, HealthStatus } from '../domain/health.js';
import { reportingFailures } from './failures.js';

export interface HealthWait {
  objects: ObjectReference[];
  /** epoch milliseconds; fixed by the caller so a retried attempt keeps the same deadline */
  deadline: number;
  /** the cluster and identity the objects were applied with; the worker's own by default */
  target?: ClusterTarget;
  /** spec.healthCheckExprs: how to judge kinds kstatus cannot */
  expressions?: CustomHealthCheck[];
}

export function createHealthActivities(deps: { clusters: ClusterTargets; pollIntervalMs?: number }) {
  const { pollIntervalMs = 1000 } = deps;
  const maxPollIntervalMs = Math.max(pollIntervalMs, 5000);

  return {
    /** Resolves when every object is Current; fails fast on Failed, gives up at the timeout. */
    async waitForHealthy({ objects, deadline, target, expressions = [] }: HealthWait): Promise<void> {
      return reportingFailures(async () => {
        const context = Context.current();
        const compiled = compileHealthExpressions(expressions);
        if (!compiled.ok) throw ApplicationFailure.nonRetryable(compiled.message, 'InvalidCELExpression');
        const healthOfLive = (object: KubernetesObject | undefined) => (object && expressionHealthOf(object, compiled.checks)) ?? healthOf(object);
        const kube = target ? await deps.clusters.clientFor(target) : deps.clusters.local;
        // Objects already Current are not asked again, and the polls space out (up to 5 s):
        // hundreds of waits at once must not flood the API server.
        let waiting = [...objects];
        let interval = pollIntervalMs;
        for (;;) {
          const pending: { ref: ObjectReference; message: string }[] = [];
          for (const ref of waiting) {
            const health = healthOfLive(await kube.get(ref));
            if (health.status === HealthStatus.Failed) {
              throw ApplicationFailure.nonRetryable(`${describeReference(ref)}: ${health.message}`, 'HealthCheckFailed');
            }
            if (health.status !== HealthStatus.Current) pending.push({ ref, message: `${describeReference(ref)}: ${health.message}` });
          }
          if (pending.length === 0) return;
          waiting = pending.map((entry) => entry.ref);
          const messages = pending.map((entry) => entry.message);
          context.heartbeat(messages);
          if (Date.now() >= deadline) {
            throw ApplicationFailure.nonRetryable(`timeout waiting for ${pending.length} object(s) to become healthy: ${messages.join('; ')}`, 'HealthCheckFailed');
          }
          await context.sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
          interval = Math.min(maxPollIntervalMs, Math.round(interval * 1.5));
        }
      });
    },
  };
}
