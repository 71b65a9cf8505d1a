// A reconcile loop outlives a reconcile that fails for good (a 403 from the API server,
// say): it reports the failure, backs off and reconciles again, instead of ending and
// leaving the object unreconciled until the next resync. The real workflow code on the
// real Temporal server; the activities are stand-ins that fail once, then succeed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TaskQueue } from '../../common/task-queues.js';
import { statusQuery, type ObjectWorkflowStatus } from '../../common/object-workflow.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { uniqueSuffix } from '../harness/test-workers.js';
import { eventually } from '../harness/eventually.js';

describe('a reconcile loop', () => {
  const prefix = `loop-resilience-${uniqueSuffix()}/`;
  const ref = { kind: 'Kustomization' as const, namespace: `loop-${uniqueSuffix()}`, name: 'apps' };
  const revision = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
  const attempts: string[] = [];
  let client: Client;
  let clientConnection: Connection;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    const shared = sharedEnvironment();
    clientConnection = await Connection.connect({ address: shared.temporalAddress });
    client = new Client({ connection: clientConnection, namespace: shared.temporalNamespace });
    workerConnection = await NativeConnection.connect({ address: shared.temporalAddress });
    worker = await Worker.create({
      connection: workerConnection,
      namespace: shared.temporalNamespace,
      taskQueue: `${prefix}${TaskQueue.Kustomize}`,
      workflowBundle: { codePath: shared.workflowBundlePath },
      activities: {
        async applyKustomization() {
          attempts.push(new Date().toISOString());
          if (attempts.length === 1) throw ApplicationFailure.nonRetryable('get Kustomization/loop/apps: forbidden', 'KubeError');
          return { exists: true, suspended: false, ready: true, revision, message: `Applied revision: ${revision}`, intervalMs: 3_600_000 };
        },
        async notifyDependents() {},
      },
    });
    running = worker.run();
  });

  afterAll(async () => {
    await client?.workflow.getHandle(`kustomization/${ref.namespace}/${ref.name}`).terminate('test finished').catch(() => undefined);
    worker?.shutdown();
    await running;
    await workerConnection?.close();
    await clientConnection?.close();
  });

  it('reports a failed reconcile, backs off, and reconciles again', async () => {
    const handle = await reconcileObject(client, ref, { taskQueuePrefix: prefix });
    const failed = await eventually(() => handle.query(statusQuery), (s: ObjectWorkflowStatus) => s.failures === 1, { what: 'the failure counted' });
    expect(failed.ready).toBe(false);
    expect(failed.message).toBe('reconcile failed: get Kustomization/loop/apps: forbidden');
    // The first back-off is 5 s, give or take its jitter.
    const recovered = await eventually(() => handle.query(statusQuery), (s: ObjectWorkflowStatus) => s.ready === true, { what: 'reconciled again', timeoutMs: 30_000 });
    expect(recovered).toMatchObject({ failures: 0, revision });
    expect(attempts).toHaveLength(2);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});
