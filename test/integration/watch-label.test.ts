// reconcile.fluxcd.io/watch: Enabled, against the real API server: with the watcher
// running, a change to a labelled ConfigMap or Secret that a Kustomization substitutes
// from is applied at once, not at the Kustomization's next interval (an hour here); a
// change to one without the label waits, until the label is added.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { startDiscovery } from '../../workers/discovery.js';
import type { Watcher } from '../../workers/watcher.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

describe('the watch label', () => {
  let workers: TestWorkers;
  let watcher: Watcher;
  const namespace = `watch-label-${uniqueSuffix()}`;
  const watched = { 'reconcile.fluxcd.io/watch': 'Enabled' };
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    data,
  });
  const secret = (name: string, stringData: Record<string, string>, labels?: Record<string, string>): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    stringData,
  });
  /** What the Kustomization applied from its variables. */
  const greeting = async () => (await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'greeting' }))?.data as Record<string, string> | undefined;

  beforeAll(async () => {
    workers = await startTestWorkers('watch-label', [TaskQueue.Source, TaskQueue.Kustomize], { namespace });
    const shared = sharedEnvironment();
    watcher = await startDiscovery({ address: shared.temporalAddress, namespace: shared.temporalNamespace }, loadKubeConfig(shared.kubeconfigPath), [TaskQueue.Source, TaskQueue.Kustomize], {
      namespace,
      taskQueuePrefix: workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length),
    });
    const repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({ 'greeting.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  text: ${greeting}\n  token: ${token}\n  tone: ${tone}\n' });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply(configMap('vars', { greeting: 'hello' }, watched));
    await apply(secret('secret-vars', { token: 'one' }, watched));
    await apply(configMap('quiet-vars', { tone: 'calm' }));
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } });
    await apply({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'greeting', namespace },
      spec: {
        interval: '1h',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'fleet' },
        targetNamespace: namespace,
        postBuild: {
          substituteFrom: [
            { kind: 'ConfigMap', name: 'vars' },
            { kind: 'Secret', name: 'secret-vars' },
            { kind: 'ConfigMap', name: 'quiet-vars' },
          ],
        },
      },
    });
    const status = async () => ((await workers.objects.get({ kind: 'Kustomization', namespace, name: 'greeting' }))?.status ?? {}) as KustomizationStatus;
    await eventually(status, (s) => findCondition(s.conditions, 'Ready')?.status === 'True', { what: 'the Kustomization Ready', timeoutMs: 90_000 });
    expect(await greeting()).toEqual({ text: 'hello', token: 'one', tone: 'calm' });
  });

  afterAll(async () => {
    await watcher?.stop();
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('applies a change to a labelled ConfigMap at once', async () => {
    await apply(configMap('vars', { greeting: 'hi' }, watched));
    expect(await eventually(greeting, (data) => data?.text === 'hi', { what: 'the new greeting applied', timeoutMs: 30_000 })).toEqual({ text: 'hi', token: 'one', tone: 'calm' });
  });

  it('applies a change to a labelled Secret at once', async () => {
    await apply(secret('secret-vars', { token: 'two' }, watched));
    expect(await eventually(greeting, (data) => data?.token === 'two', { what: 'the new token applied', timeoutMs: 30_000 })).toEqual({ text: 'hi', token: 'two', tone: 'calm' });
  });

  it('leaves a change to an unlabelled ConfigMap to the interval, until it is labelled', async () => {
    await apply(configMap('quiet-vars', { tone: 'loud' }));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect((await greeting())?.tone).toBe('calm');

    await apply(configMap('quiet-vars', { tone: 'loud' }, watched));
    expect(await eventually(greeting, (data) => data?.tone === 'loud', { what: 'the labelled tone applied', timeoutMs: 30_000 })).toEqual({ text: 'hi', token: 'two', tone: 'loud' });
  });
});
