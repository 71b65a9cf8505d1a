// Alerts and Providers (notification.toolkit.fluxcd.io/v1beta3) on the real stack: a
// source-controller records its events, the notification-controller dispatches them to
// the Alerts they reach, and each Provider's endpoint (served here) receives what Flux's
// notifiers send. Each dispatch is a workflow of its own steps in the Web UI.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { eventually } from '../harness/eventually.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The Providers' endpoints: every POST is kept; /refuse answers 403 and quotes the token it was given. */
async function startEndpoints(): Promise<{ url: string; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (request.url === '/refuse') {
        response.writeHead(403).end(`bad token ${(request.headers.authorization ?? '').replace('Bearer ', '')}`);
        return;
      }
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('notifications', () => {
  let workers: TestWorkers;
  let endpoints: Awaited<ReturnType<typeof startEndpoints>>;
  let repository: TestRepository;
  let head: string;
  let taskQueuePrefix: string;
  const namespace = `notify-${uniqueSuffix()}`;
  const hmacToken = `hmac-${uniqueSuffix()}`;
  const slackToken = `xoxb-${uniqueSuffix()}`;
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const at = (path: string) => endpoints.received.filter((r) => r.path === path);
  const about = (name: string) => (r: Received) => (JSON.parse(r.body) as { involvedObject?: { name?: string } }).involvedObject?.name === name || r.body.includes(`gitrepository/${name}.`);
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
  const alertEvents = (alert: string) => async () => (await events()).filter((e: CoreV1Event) => e.involvedObject.kind === 'Alert' && e.involvedObject.name === alert);

  const secret = (name: string, stringData: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData });
  const provider = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Provider', metadata: { name, namespace }, spec });
  const alert = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert', metadata: { name, namespace }, spec });
  const gitRepository = (name: string, branch = 'main') => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace },
    spec: { url: repository.fileUrl, interval: '1h', ref: { branch } },
  });
  const reconcile = (name: string) => reconcileObject(workers.client, { kind: 'GitRepository', namespace, name }, { taskQueuePrefix });

  beforeAll(async () => {
    workers = await startTestWorkers('notify', [TaskQueue.Source, TaskQueue.Notification], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    endpoints = await startEndpoints();
    repository = new TestRepository(newGitRoot(), 'fleet');
    head = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' }, 'first');
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const object of [
      secret('hook-token', { token: hmacToken, headers: 'X-Team: platform\n' }),
      secret('slack-token', { token: slackToken }),
      provider('hooks', { type: 'generic-hmac', address: `${endpoints.url}/generic`, secretRef: { name: 'hook-token' } }),
      provider('chat', { type: 'slack', address: `${endpoints.url}/slack`, channel: '#ops' }),
      provider('quiet', { type: 'generic', address: `${endpoints.url}/quiet` }),
      provider('refusing', { type: 'slack', address: `${endpoints.url}/refuse`, secretRef: { name: 'slack-token' } }),
      alert('everything', { providerRef: { name: 'hooks' }, eventSources: [{ kind: 'GitRepository', name: '*' }], eventMetadata: { cluster: 'test' } }),
      alert('errors', { providerRef: { name: 'chat' }, eventSeverity: 'error', eventSources: [{ kind: 'GitRepository', name: '*' }] }),
      alert('suspended', { providerRef: { name: 'quiet' }, suspend: true, eventSources: [{ kind: 'GitRepository', name: '*' }] }),
      alert('excluding', { providerRef: { name: 'quiet' }, exclusionList: ['^stored artifact', 'failed'], eventSources: [{ kind: 'GitRepository', name: '*' }] }),
      alert('refused', { providerRef: { name: 'refusing' }, eventSources: [{ kind: 'GitRepository', name: 'refused' }] }),
      alert('nowhere', { providerRef: { name: 'missing' }, eventSources: [{ kind: 'GitRepository', name: 'refused' }] }),
    ]) {
      await apply(object as KubernetesObject);
    }
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await endpoints?.stop();
  });

  it('sends a new artifact to a generic-hmac Provider as Flux’s event, signed with its token, with the Alert’s metadata', async () => {
    await apply(gitRepository('fleet'));
    await reconcile('fleet');
    const [delivery] = await eventually(async () => at('/generic').filter(about('fleet')), (found) => found.length > 0, { what: 'the event at the generic-hmac endpoint', timeoutMs: 60_000 });
    const body = JSON.parse(delivery!.body);
    expect(body).toEqual({
      involvedObject: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', namespace, name: 'fleet', uid: expect.any(String), resourceVersion: expect.any(String) },
      severity: 'info',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      message: "stored artifact for commit 'first'",
      reason: 'NewArtifact',
      // The digest is dropped, the revision unprefixed, the Alert's eventMetadata added.
      metadata: { revision: `main@sha1:${head}`, cluster: 'test' },
      reportingController: 'source-controller',
      reportingInstance: expect.any(String),
    });
    expect(delivery!.headers['gotk-component']).toBe('source-controller');
    expect(delivery!.headers['x-team']).toBe('platform');
    expect(delivery!.headers['x-signature']).toBe(`sha256=${createHmac('sha256', hmacToken).update(delivery!.body).digest('hex')}`);
    // An info event reaches neither the error Alert, a suspended one, nor one that excludes its message.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(at('/slack').filter(about('fleet'))).toEqual([]);
    expect(at('/quiet')).toEqual([]);
  });

  it('sends a failure to the error Alert’s Slack as a danger attachment, and drops the same event again within the rate-limit window', async () => {
    await apply(gitRepository('broken', 'no-such-branch'));
    await reconcile('broken');
    const [delivery] = await eventually(async () => at('/slack').filter(about('broken')), (found) => found.length > 0, { what: 'the failure at the Slack endpoint', timeoutMs: 60_000 });
    const payload = JSON.parse(delivery!.body);
    expect(payload).toMatchObject({ channel: '#ops', username: 'source-controller', attachments: [{ color: 'danger', author_name: `gitrepository/broken.${namespace}`, mrkdwn_in: ['text'] }] });
    expect(payload.attachments[0].text).toContain('no-such-branch');
    // An info Alert hears errors too.
    await eventually(async () => at('/generic').filter(about('broken')), (found) => found.length > 0, { what: 'the failure at the info Alert', timeoutMs: 30_000 });

    // The same failure again: its Kubernetes Event is recorded, the notification is not sent twice.
    const warningsBefore = (await events()).filter((e) => e.involvedObject.name === 'broken' && e.type === 'Warning').length;
    await reconcile('broken');
    await eventually(async () => (await events()).filter((e) => e.involvedObject.name === 'broken' && e.type === 'Warning'), (found) => found.length > warningsBefore, { what: 'the second Warning', timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(at('/slack').filter(about('broken'))).toHaveLength(1);
  });

  it('says on the Alert why a notification was not sent, the token masked and kept out of every history', async () => {
    await apply(gitRepository('refused'));
    await reconcile('refused');
    const [refused] = await eventually(alertEvents('refused'), (found) => found.length > 0, { what: 'the Warning on the refused Alert', timeoutMs: 60_000 });
    expect(refused).toMatchObject({
      type: 'Warning',
      reason: 'NotificationDispatchFailed',
      message: `failed to send notification for GitRepository/${namespace}/refused: postMessage failed: request failed: request failed with status code 403: bad token *****`,
      source: { component: 'notification-controller' },
    });
    // The endpoint refused it once: a 403 is not retried.
    expect(at('/refuse')).toHaveLength(1);
    const [missing] = await eventually(alertEvents('nowhere'), (found) => found.length > 0, { what: 'the Warning on the Alert without a Provider', timeoutMs: 30_000 });
    expect(missing).toMatchObject({
      reason: 'NotificationDispatchFailed',
      message: `failed to dispatch notification for GitRepository/${namespace}/refused: failed to read provider: providers.notification.toolkit.fluxcd.io "missing" not found`,
    });

    // Each dispatch is a workflow of its own, its steps in the Web UI; no token in any.
    const dispatches = workers.client.workflow.list({ query: `WorkflowType="notificationDispatch" AND ObjectNamespace="${namespace}"` });
    const histories = new Map<string, string>();
    for await (const dispatch of dispatches) histories.set(dispatch.workflowId, JSON.stringify(await fetchHistoryJson(dispatch.workflowId, 'notification-dispatch.json')));
    expect(histories.size).toBeGreaterThanOrEqual(3);
    const sent = [...histories].find(([, history]) => history.includes('Notification.matchAlerts') && history.includes('Notification.send') && !history.includes('Notification.reportFailure'));
    const reported = [...histories].find(([, history]) => history.includes('Notification.reportFailure'));
    expect(sent).toBeDefined();
    expect(reported).toBeDefined();
    // Kept for the replay test: a dispatch that was sent, and one whose failure was reported.
    await fetchHistoryJson(sent![0], 'notification-dispatch.json');
    await fetchHistoryJson(reported![0], 'notification-dispatch-failed.json');
    for (const history of histories.values()) {
      expect(history).not.toContain(hmacToken);
      expect(history).not.toContain(slackToken);
    }
  });
});
