// The walking skeleton: a workflow on the kustomize-controller queue applies a
// Namespace, a ConfigMap and a Deployment to the real API server with server-side
// apply and waits until kwok's simulated nodes make the Deployment Available.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { smokeTest } from '../../workflows/smoke-test.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { fetchHistoryJson, replay } from '../harness/replay.js';

describe('smoke test workflow', () => {
  let workers: TestWorkers;
  const namespace = `smoke-${uniqueSuffix()}`;
  const name = 'hello';

  beforeAll(async () => {
    workers = await startTestWorkers('smoke-test', [TaskQueue.Kustomize]);
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  const run = (workflowId: string) =>
    workers.client.workflow.start(smokeTest, {
      taskQueue: workers.taskQueue(TaskQueue.Kustomize),
      workflowId,
      args: [{ namespace, name, timeoutMs: 90_000 }],
    });

  it('applies the objects and waits until the Deployment is Available', async () => {
    const handle = await run(`smoke-test/${namespace}/first`);
    const result = await handle.result();

    expect(result.applied).toEqual([
      { subject: `Namespace/${namespace}`, action: 'created' },
      { subject: `ConfigMap/${namespace}/${name}`, action: 'created' },
      { subject: `Deployment/${namespace}/${name}`, action: 'created' },
    ]);

    const configMap = await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
    expect(configMap?.data).toEqual({ greeting: 'hello from kimbernetes' });

    const deployment = (await workers.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })) as KubernetesObject & {
      status: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
    };
    expect(deployment.status.availableReplicas).toBe(2);
    expect(deployment.status.conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True' }));
    const managers = (deployment.metadata.managedFields as { manager: string; operation: string }[]).map((f) => `${f.manager}/${f.operation}`);
    expect(managers).toContain('kustomize-controller/Apply');

    // The recorded history must replay against the code that produced it.
    const history = await fetchHistoryJson(handle.workflowId, 'smoke-test.json');
    await expect(replay('smoke-test', history, { codePath: sharedEnvironment().workflowBundlePath })).resolves.toBeUndefined();
  });

  it('changes nothing when applied again', async () => {
    const result = await (await run(`smoke-test/${namespace}/second`)).result();
    expect(result.applied.map((applied) => applied.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });
});
