// Two kustomize-controller worker processes on one Temporal server: both take reconciles
// from the shared queue (each reconcile's later steps on the worker that took its first
// one), and when one is killed the other carries the whole fleet on, losing nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import type { Service } from '../../local/process.js';
import { startWorkerService } from '../harness/worker-processes.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

describe('two workers of one pool', () => {
  const suffix = uniqueSuffix();
  const flux = `scale-flux-${suffix}`;
  const apps = `scale-apps-${suffix}`;
  const taskQueuePrefix = `scale-${suffix}/`;
  const count = 16;
  const names = Array.from({ length: count }, (_, i) => `app-${i}`);
  let repository: TestRepository;
  let inProcess: TestWorkers;
  let other: Service | undefined;
  const state = mkdtempSync(join(tmpdir(), 'kimbernetes-scale-'));

  const files = (value: string) => {
    const all: Record<string, string> = { 'namespace/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n` };
    for (const name of names) all[`apps/${name}/settings.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${apps}\ndata:\n  value: ${value}\n`;
    return all;
  };
  const readyRevisions = async () =>
    Promise.all(
      names.map(async (name) => {
        const status = (await inProcess.objects.get({ kind: 'Kustomization', namespace: flux, name }))?.status as { conditions?: Condition[]; lastAppliedRevision?: string } | undefined;
        return findCondition(status?.conditions, 'Ready')?.status === 'True' ? status?.lastAppliedRevision : undefined;
      }),
    );
  const values = async () => Promise.all(names.map(async (name) => ((await inProcess.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name }))?.data as { value?: string } | undefined)?.value));

  beforeAll(async () => {
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit(files('one'));
    // This process: the source-controller pool and one kustomize-controller worker.
    inProcess = await startTestWorkers('scale-out', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux, taskQueuePrefix });
    // Another process: a second kustomize-controller worker, as `npm run worker` runs it.
    other = startWorkerService(TaskQueue.Kustomize, { taskQueuePrefix, watchNamespace: flux, logFile: join(state, 'worker.log') });
    await inProcess.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'test' });
    await inProcess.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'test' },
    );
    await inProcess.kube.apply(
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'namespace', namespace: flux }, spec: { interval: '1h', path: './namespace', prune: false, sourceRef: { kind: 'GitRepository', name: 'fleet' } } },
      { fieldManager: 'test' },
    );
  });

  afterAll(async () => {
    await other?.stop();
    for (const namespace of [apps, flux]) await inProcess?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await inProcess?.stop();
  });

  it('share the reconciles of a fleet', async () => {
    // Both workers poll before the fleet arrives.
    await eventually(
      async () => (await inProcess.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: `${taskQueuePrefix}${TaskQueue.Kustomize}` }, taskQueueType: 2 })).pollers ?? [],
      (pollers) => new Set(pollers.map((poller) => poller.identity)).size >= 2,
      { timeoutMs: 60_000, what: 'two workers polling kustomize-controller' },
    );
    await Promise.all(
      names.map((name) =>
        inProcess.kube.apply(
          {
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            metadata: { name, namespace: flux },
            spec: { interval: '1h', retryInterval: '5s', path: `./apps/${name}`, prune: true, dependsOn: [{ name: 'namespace' }], sourceRef: { kind: 'GitRepository', name: 'fleet' } },
          },
          { fieldManager: 'test' },
        ),
      ),
    );
    await reconcileObject(inProcess.client, { kind: 'GitRepository', namespace: flux, name: 'fleet' }, { taskQueuePrefix });
    await eventually(readyRevisions, (revisions) => revisions.every(Boolean), { timeoutMs: 120_000, what: 'the fleet Ready' });

    // Which worker ran each reconcile's steps, from the histories.
    const identities = new Set<string>();
    for (const name of names) {
      for await (const run of inProcess.client.workflow.list({ query: `WorkflowId = 'kustomization/${flux}/${name}'` })) {
        const history = await inProcess.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        for (const event of history.events ?? []) if (event.activityTaskStartedEventAttributes?.identity) identities.add(event.activityTaskStartedEventAttributes.identity);
      }
    }
    expect(identities.size).toBe(2);
    expect([...identities].some((identity) => identity.startsWith(`${other!.pid}@`))).toBe(true);
  });

  it('lose nothing when one of them is killed', async () => {
    process.kill(-other!.pid, 'SIGKILL');
    await other!.stop();
    const commit = repository.commit(files('two'), 'every app changes');
    await reconcileObject(inProcess.client, { kind: 'GitRepository', namespace: flux, name: 'fleet' }, { taskQueuePrefix });
    await eventually(readyRevisions, (revisions) => revisions.every((revision) => revision === `main@sha1:${commit}`), { timeoutMs: 150_000, what: 'every Kustomization at the new revision' });
    expect(await values()).toEqual(names.map(() => 'two'));
  });
});
