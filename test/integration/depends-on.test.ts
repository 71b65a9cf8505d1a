// dependsOn with readyExpr, against the real API server: the lockstep upgrade of Flux's
// docs (kustomizations.md, "Dependency Ready Expression") waits until the dependency
// carries the same version label, and an expression that is not a bool stalls.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

describe('dependsOn readyExpr', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  const flux = `depends-on-${uniqueSuffix()}`;
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const status = async (name: string) => ((await workers.objects.get(ks(name)))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const lockstep = `dep.metadata.labels['app/version'] == self.metadata.labels['app/version'] &&
dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True') &&
dep.metadata.generation == dep.status.observedGeneration
`;
  const kustomization = (name: string, version: string, spec: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: flux, labels: { 'app/version': version } },
    spec: { interval: '1h', retryInterval: '5s', prune: true, sourceRef: { kind: 'GitRepository', name: 'apps' }, targetNamespace: flux, ...spec },
  });
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });

  beforeAll(async () => {
    workers = await startTestWorkers('depends-on', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const repository = new TestRepository(newGitRoot(), 'apps');
    repository.commit({
      'backend/backend.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: backend\ndata:\n  tier: backend\n',
      'frontend/frontend.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend\ndata:\n  tier: frontend\n',
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'apps', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } });
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace: flux, name: 'apps' }, { taskQueuePrefix });
    await apply(kustomization('app-backend', 'v1.2.3', { path: './backend' }));
    await reconcileObject(workers.client, ks('app-backend'), { taskQueuePrefix });
    await eventually(() => status('app-backend'), (s) => ready(s)?.status === 'True', { what: 'app-backend Ready', timeoutMs: 90_000 });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: flux });
    await workers?.stop();
  });

  it('waits while the expression is false, and applies once it is true', async () => {
    const frontend = (version: string) => kustomization('app-frontend', version, { path: './frontend', dependsOn: [{ name: 'app-backend', readyExpr: lockstep }] });
    await apply(frontend('v1.2.4'));
    await reconcileObject(workers.client, ks('app-frontend'), { taskQueuePrefix });
    const waiting = await eventually(() => status('app-frontend'), (s) => ready(s)?.status === 'False', { what: 'app-frontend waiting' });
    expect(ready(waiting)).toMatchObject({ reason: 'DependencyNotReady', message: `dependency '${flux}/app-backend' is not ready according to readyExpr eval` });

    // A label is no new generation: ask for the reconcile, as `flux reconcile` would.
    await apply(frontend('v1.2.3'));
    await reconcileObject(workers.client, ks('app-frontend'), { taskQueuePrefix });
    const applied = await eventually(() => status('app-frontend'), (s) => ready(s)?.status === 'True', { what: 'app-frontend Ready', timeoutMs: 90_000 });
    expect(ready(applied)?.message).toMatch(/^Applied revision: main@sha1:[0-9a-f]{40}$/);
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: flux, name: 'frontend' })).toBeDefined();
  });

  it('stalls on an expression that does not give a bool', async () => {
    await apply(kustomization('unsure', 'v1.2.3', { path: './frontend', namePrefix: 'unsure-', dependsOn: [{ name: 'app-backend', readyExpr: 'dep.spec.suspend' }] }));
    await reconcileObject(workers.client, ks('unsure'), { taskQueuePrefix });
    const stalled = await eventually(() => status('unsure'), (s) => ready(s)?.reason === 'InvalidCELExpression', { what: 'InvalidCELExpression' });
    const message = 'Reconciliation failed terminally due to configuration error: failed to evaluate dependency app-backend: CEL expression output type mismatch: expected bool, got dyn';
    expect(ready(stalled)).toMatchObject({ status: 'False', message });
    expect(findCondition(stalled.conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidCELExpression', message });
    expect(stalled.observedGeneration).toBe(1);
  });
});
