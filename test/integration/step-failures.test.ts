// A step that keeps failing with an error retrying could fix in principle — the API
// server answering 500 because an admission webhook it must call is down — is retried a
// bounded number of times, then ends on the Kustomization's status as Ready=False with
// the server's words and a Warning event, the last good state kept; the next good commit
// recovers. Real API server, real webhook registration, real workflow.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { loadKubeConfig } from '../../kube/client.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

describe('a step whose retries are spent', () => {
  let workers: TestWorkers;
  let repository: TestRepository;
  let taskQueuePrefix: string;
  const suffix = uniqueSuffix();
  const flux = `flux-${suffix}`;
  const apps = `apps-${suffix}`;
  const webhook = `kimbernetes-test-down-${suffix}`;
  const ks = { kind: 'Kustomization' as const, namespace: flux, name: 'apps' };
  const source = { kind: 'GitRepository' as const, namespace: flux, name: 'fleet' };
  const status = async () => ((await workers.objects.get(ks))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const configMap = (name: string, labels: Record<string, string> = {}) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${apps}\n  labels: ${JSON.stringify(labels)}\ndata: { a: b }\n`;

  async function publish(files: Record<string, string | null>, message: string): Promise<string> {
    const commit = repository.commit(files, message);
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    return (await eventually(
      async () => ((await workers.objects.get(source))?.status as { artifact?: { revision: string } } | undefined)?.artifact?.revision,
      (r) => r?.endsWith(commit) === true,
      { what: `'${message}' stored` },
    ))!;
  }

  beforeAll(async () => {
    workers = await startTestWorkers('step-failures', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({ 'apps/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n`, 'apps/kept.yaml': configMap('kept') });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'test' });
    await workers.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'test' },
    );
    await workers.kube.apply(
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: flux },
        spec: { interval: '1h', retryInterval: '1h', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
      },
      { fieldManager: 'test' },
    );
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await reconcileObject(workers.client, ks, { taskQueuePrefix });
    await eventually(status, (s) => ready(s)?.status === 'True', { what: 'the first apply', timeoutMs: 90_000 });
    // A webhook the API server must call for labelled ConfigMaps of this test, at an address nothing listens on.
    await workers.kube.apply(
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: webhook },
        webhooks: [
          {
            name: `down.${suffix}.kimbernetes.test`,
            clientConfig: { url: 'https://127.0.0.1:1/validate' },
            rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': apps } },
            objectSelector: { matchLabels: { 'kimbernetes.test/webhook': 'down' } },
            failurePolicy: 'Fail',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            timeoutSeconds: 2,
          },
        ],
      },
      { fieldManager: 'test' },
    );
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name: webhook });
    for (const namespace of [apps, flux]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('ends as Ready=False with the API server\'s 500 after a bounded number of attempts, keeping what was applied', async () => {
    const before = await status();
    const revision = await publish({ 'apps/blocked.yaml': configMap('blocked', { 'kimbernetes.test/webhook': 'down' }) }, 'a ConfigMap the webhook must admit');
    const failed = await eventually(status, (s) => s.lastAttemptedRevision === revision && ready(s)?.status === 'False', { what: 'the failure on the status', timeoutMs: 90_000 });
    expect(ready(failed)?.reason).toBe('ReconciliationFailed');
    expect(ready(failed)?.message).toContain(`ConfigMap/${apps}/blocked dry-run failed`);
    expect(ready(failed)?.message).toContain('failed calling webhook');
    expect(findCondition(failed.conditions, 'Reconciling')?.reason).toBe('ProgressingWithRetry');
    expect(failed.lastAppliedRevision).toBe(before.lastAppliedRevision);
    expect(failed.inventory).toEqual(before.inventory);
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'kept' })).toBeDefined();
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'blocked' })).toBeUndefined();

    // The apply step was tried five times, each answered 500, and then given up.
    const history = await workers.client.workflow.getHandle(`kustomization/${flux}/apps`).fetchHistory();
    const events = history.events ?? [];
    const applies = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'Kustomization.apply');
    expect(applies).toHaveLength(1);
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === applies[0]!.eventId?.toString());
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(5);
    const failure = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
    expect(failure?.applicationFailureInfo?.type).toBe('KubeApiError');

    const warnings = (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: flux })).items.filter(
      (e) => e.type === 'Warning' && e.involvedObject.name === 'apps' && e.reason === 'ReconciliationFailed',
    );
    expect(warnings.map((e) => e.message).join('\n')).toContain('failed calling webhook');
    // Kept for replay tests: a run that failed at a step and wrote it.
    expect(JSON.stringify(await fetchHistoryJson(`kustomization/${flux}/apps`, 'kustomization-step-failed.json'))).toContain('Kustomization.finalizeStatus');
  });

  it('recovers with the next good commit', async () => {
    const revision = await publish({ 'apps/blocked.yaml': null, 'apps/more.yaml': configMap('more') }, 'the blocked ConfigMap removed');
    const recovered = await eventually(status, (s) => s.lastAppliedRevision === revision && ready(s)?.status === 'True', { what: 'recovery', timeoutMs: 90_000 });
    expect(ready(recovered)?.message).toBe(`Applied revision: ${revision}`);
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'more' })).toBeDefined();
    const history = JSON.stringify(await fetchHistoryJson(`kustomization/${flux}/apps`, 'kustomization.json', { containing: 'Kustomization.apply' }));
    for (const step of ['resolveSource', 'fetchArtifact', 'build', 'apply', 'prune', 'finalizeStatus']) expect(history).toContain(`Kustomization.${step}`);
  });
});
