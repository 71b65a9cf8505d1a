// Receivers (notification.toolkit.fluxcd.io/v1) on the real stack: the loop publishes the
// webhook path Flux's formula makes from the token, and a call to it that the Receiver's
// type validates makes the resources it names reconcile at once (a GitRepository whose
// interval is an hour fetches the new commit), annotated as Flux annotates them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { eventually } from '../harness/eventually.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

interface ReceiverStatus {
  conditions?: Condition[];
  webhookPath?: string;
  observedGeneration?: number;
}

describe('Receivers', () => {
  let workers: TestWorkers;
  let repository: TestRepository;
  let taskQueuePrefix: string;
  const namespace = `receiver-${uniqueSuffix()}`;
  const token = `hook-${uniqueSuffix()}`;
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const receiverRef = (name: string) => ({ kind: 'Receiver' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(receiverRef(name)))?.status ?? {}) as ReceiverStatus;
  const sourceOf = async (name: string) => workers.objects.get({ kind: 'GitRepository', namespace, name });
  const revisionOf = async (name: string) => ((await sourceOf(name))?.status as { artifact?: { revision?: string } } | undefined)?.artifact?.revision;
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
  const receiver = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'notification.toolkit.fluxcd.io/v1',
    kind: 'Receiver',
    metadata: { name, namespace },
    spec: { secretRef: { name: 'webhook-token' }, resources: [{ kind: 'GitRepository', name: 'fleet' }], ...spec },
  });
  const gitRepository = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace, labels },
    spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } },
  });
  const readyReceiver = async (name: string, spec: Record<string, unknown>) => {
    await apply(receiver(name, spec));
    await reconcileObject(workers.client, receiverRef(name), { taskQueuePrefix });
    return eventually(() => status(name), (s) => findCondition(s.conditions, 'Ready')?.status === 'True', { what: `Receiver ${name} Ready`, timeoutMs: 60_000 });
  };
  const call = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${workers.receiverUrl}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } }).then((response) => response.status);

  beforeAll(async () => {
    workers = await startTestWorkers('receiver', [TaskQueue.Source, TaskQueue.Notification], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'first');
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-token', namespace }, stringData: { token } } as KubernetesObject);
    for (const [name, labels] of [['fleet', { team: 'apps' }], ['other', { team: 'apps' }], ['unlabelled', {}]] as const) {
      await apply(gitRepository(name, labels));
      await reconcileObject(workers.client, { kind: 'GitRepository', namespace, name }, { taskQueuePrefix });
    }
    await eventually(() => revisionOf('other'), (revision) => revision !== undefined, { what: 'the first artifact', timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('publishes the webhook path of Flux’s formula, and a GitHub push to it fetches the new commit at once', async () => {
    const s = await readyReceiver('github', { type: 'github', events: ['push'] });
    const path = `/hook/${createHash('sha256').update(`${token}github${namespace}`).digest('hex')}`;
    expect(s.webhookPath).toBe(path);
    expect(findCondition(s.conditions, 'Ready')).toMatchObject({ reason: 'Succeeded', message: `Receiver initialized for path: ${path}` });
    expect(findCondition(s.conditions, 'Reconciling')).toBeUndefined();
    expect((await events()).some((e) => e.involvedObject.name === 'github' && e.reason === 'Succeeded' && e.message === 'Reconciliation finished, next run in 10m0s')).toBe(true);
    // Its reconcile is a step of its own in the Web UI; the token is in no history, only its hash.
    const history = JSON.stringify(await fetchHistoryJson(`receiver/${namespace}/github`, 'receiver.json', { containing: 'Receiver.reconcile' }));
    expect(history).toContain('Receiver.reconcile');
    expect(history).not.toContain(token);
    // The path is a credential too (a generic Receiver checks nothing else): in the status only.
    expect(history).not.toContain(path.slice('/hook/'.length));

    const before = await revisionOf('fleet');
    const requestedBefore = (await sourceOf('fleet'))!.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    const head = repository.commit({ 'apps/more.yaml': 'kind: ConfigMap\n' }, 'second');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: head });
    const signature = `sha256=${createHmac('sha256', token).update(body).digest('hex')}`;
    // Refused: a bad signature, an event the Receiver does not take, a path nobody has.
    expect(await call(path, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': 'sha256=00' })).toBe(400);
    expect(await call(path, body, { 'X-GitHub-Event': 'issues', 'X-Hub-Signature-256': signature })).toBe(400);
    expect(await call(`/hook/${'0'.repeat(64)}`, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signature })).toBe(404);
    const huge = JSON.stringify({ padding: 'x'.repeat(3 * 1024 * 1024) });
    expect(await call(path, huge, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', token).update(huge).digest('hex')}` })).toBe(400);
    // Written before any answer: none of those asked for a reconcile.
    expect((await sourceOf('fleet'))!.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(requestedBefore);
    expect(await revisionOf('fleet')).toBe(before);

    expect(await call(path, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signature })).toBe(200);
    await eventually(() => revisionOf('fleet'), (revision) => revision === `main@sha1:${head}`, { what: 'the pushed commit fetched', timeoutMs: 60_000 });
    const requestedAt = (await sourceOf('fleet'))!.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    expect(requestedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
    const handled = await eventually(async () => (await sourceOf('fleet'))?.status as { lastHandledReconcileAt?: string }, (x) => x?.lastHandledReconcileAt === requestedAt, { what: 'lastHandledReconcileAt', timeoutMs: 30_000 });
    expect(handled.lastHandledReconcileAt).toBe(requestedAt);
  });

  it('reconciles only the labelled resources its resourceFilter lets through, for a generic-hmac call', async () => {
    const s = await readyReceiver('filtered', {
      type: 'generic-hmac',
      resources: [{ kind: 'GitRepository', name: '*', matchLabels: { team: 'apps' } }],
      resourceFilter: 'req.tag == res.metadata.name',
    });
    const body = JSON.stringify({ tag: 'other' });
    const annotated = async (name: string) => (await sourceOf(name))!.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    const fleetBefore = await annotated('fleet');
    expect(await call(s.webhookPath!, body, { 'X-Signature': `sha1=${createHmac('sha1', 'not-the-token').update(body).digest('hex')}` })).toBe(400);
    expect(await call(s.webhookPath!, body, { 'X-Signature': `sha512=${createHmac('sha512', token).update(body).digest('hex')}` })).toBe(200);
    await eventually(() => annotated('other'), (value) => value !== undefined, { what: 'the filtered resource annotated', timeoutMs: 10_000 });
    expect(await annotated('fleet')).toBe(fleetBefore);
    expect(await annotated('unlabelled')).toBeUndefined();
  });

  it('is not ready without its token, says why, and is once the Secret exists; a filter that does not compile stalls it', async () => {
    await apply(receiver('tokenless', { type: 'generic', secretRef: { name: 'later' } }));
    await reconcileObject(workers.client, receiverRef('tokenless'), { taskQueuePrefix });
    const s = await eventually(() => status('tokenless'), (x) => findCondition(x.conditions, 'Ready')?.status === 'False', { what: 'TokenNotFound', timeoutMs: 60_000 });
    expect(findCondition(s.conditions, 'Ready')).toMatchObject({ reason: 'TokenNotFound', message: `unable to read token from secret '${namespace}/later' error: secrets "later" not found` });
    expect(findCondition(s.conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(s.webhookPath).toBeUndefined();
    expect((await events()).some((e) => e.involvedObject.name === 'tokenless' && e.type === 'Warning' && e.reason === 'Failed')).toBe(true);
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'later', namespace }, stringData: { token: 'late' } } as KubernetesObject);
    // The loop backs off and tries again: Ready without being asked.
    const ready = await eventually(() => status('tokenless'), (x) => findCondition(x.conditions, 'Ready')?.status === 'True', { what: 'Ready once the Secret exists', timeoutMs: 60_000 });
    expect(ready.webhookPath).toBe(`/hook/${createHash('sha256').update(`latetokenless${namespace}`).digest('hex')}`);

    await apply(receiver('bad-filter', { type: 'generic', resourceFilter: 'req.tag ==' }));
    await reconcileObject(workers.client, receiverRef('bad-filter'), { taskQueuePrefix });
    const stalled = await eventually(() => status('bad-filter'), (x) => findCondition(x.conditions, 'Stalled')?.status === 'True', { what: 'Stalled', timeoutMs: 60_000 });
    expect(findCondition(stalled.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidCELExpression', message: expect.stringMatching(/^Reconciliation failed terminally due to configuration error: failed to parse expression req\.tag ==/) });
  });

  it('answers 503 while its Receiver is suspended', async () => {
    const s = await readyReceiver('paused', { type: 'generic' });
    expect(await call(s.webhookPath!, '{}', {})).toBe(200);
    await apply(receiver('paused', { type: 'generic', suspend: true }));
    expect(await call(s.webhookPath!, '{}', {})).toBe(503);
  });
});
