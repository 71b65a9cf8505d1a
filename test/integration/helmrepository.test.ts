// A HelmRepository reconciled by its loop on the source-controller queue against a chart
// repository of charts packaged by the real helm, served over HTTP with basic auth and
// over HTTPS with a client certificate, and the real API server. Expected revisions are
// the sha256 of the index as served; messages are Flux's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { statusQuery } from '../../common/object-workflow.js';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmRepositoryStatus } from '../../domain/helmrepository-status.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { testAuthority, type TestAuthority } from '../harness/certificates.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

describe('HelmRepository', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  let secured: ChartRepository;
  let authority: TestAuthority;
  const namespace = `helmrepo-${uniqueSuffix()}`;
  const credentials = { username: 'charts', password: 'chart-pa55-never-logged' };

  const refOf = (name: string) => ({ kind: 'HelmRepository' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(refOf(name)))?.status ?? {}) as HelmRepositoryStatus;
  const ready = (s: HelmRepositoryStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const secret = (name: string, stringData: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData });
  const servedRevision = (repository: ChartRepository) => `sha256:${createHash('sha256').update(readFileSync(join(repository.dir, 'index.yaml'))).digest('hex')}`;
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;

  async function reconcile(name: string, spec: Record<string, unknown>, done: (s: HelmRepositoryStatus) => boolean, what: string) {
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name, namespace }, spec: { interval: '1h', ...spec } });
    await reconcileObject(workers.client, refOf(name), { taskQueuePrefix });
    return eventually(() => status(name), done, { what, timeoutMs: 60_000 });
  }

  beforeAll(async () => {
    workers = await startTestWorkers('helmrepository', [TaskQueue.Source]);
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository({ credentials });
    charts.addChart('podinfo', '6.5.0');
    charts.addChart('podinfo', '6.10.1');
    charts.addChart('redis', '1.0.0');
    authority = testAuthority();
    secured = await startChartRepository({ tls: { ...authority.server, ca: authority.ca } });
    secured.addChart('secure', '0.1.0');
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply(secret('charts-auth', credentials));
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
    await secured?.stop();
  });

  it('stores the index as an artifact whose revision is the digest of the index served, and reports Ready', async () => {
    const revision = servedRevision(charts);
    const s = await reconcile('charts', { url: charts.url, secretRef: { name: 'charts-auth' } }, (x) => ready(x)?.status === 'True', 'Ready');
    expect(s.artifact?.revision).toBe(revision);
    expect(ready(s)).toMatchObject({ reason: 'Succeeded', message: `stored artifact: revision '${revision}'` });
    expect(findCondition(s.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True', message: `stored artifact: revision '${revision}'` });
    expect(s.observedGeneration).toBe(1);
    expect(s.artifact?.path).toBe(`helmrepository/${namespace}/charts/index-${revision.slice('sha256:'.length)}.yaml`);

    // status.url serves the stored index: JSON, each chart's versions newest first, digest as recorded.
    expect(s.url).toMatch(/\/index\.yaml$/);
    const stored = Buffer.from(await (await fetch(s.url!)).arrayBuffer());
    expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(s.artifact?.digest);
    const index = JSON.parse(stored.toString('utf8')) as { entries: Record<string, { version: string }[]> };
    expect(index.entries.podinfo!.map((entry) => entry.version)).toEqual(['6.10.1', '6.5.0']);
    expect(index.entries.redis!.map((entry) => entry.version)).toEqual(['1.0.0']);
    expect(s.artifact?.size).toBe(stored.length);

    const created = (await events()).find((event) => event.reason === 'NewArtifact');
    expect(created?.message).toMatch(new RegExp(`^stored fetched index of size [0-9.]+(B|kB) from '${charts.url}'$`));
    const history = JSON.stringify(await fetchHistoryJson(`helmrepository/${namespace}/charts`, 'helmrepository.json', { containing: 'HelmRepository.storeArtifact' }));
    expect(history).toContain('HelmRepository.fetchIndex');
    expect(history).toContain('HelmRepository.storeArtifact');
    expect(history).not.toContain(credentials.password);
  });

  it('downloads the index at each reconcile and stores nothing new while it is the same, then a new revision when it changes', async () => {
    const before = await status('charts');
    const requests = charts.indexRequests;
    await reconcileObject(workers.client, refOf('charts'), { taskQueuePrefix, requestedAt: 'same-index' });
    await eventually(async () => charts.indexRequests, (count) => count > requests, { what: 'the index downloaded again' });
    await eventually(() => status('charts'), (x) => findCondition(x.conditions, 'Reconciling') === undefined, { what: 'the reconcile finished' });
    expect((await status('charts')).artifact).toEqual(before.artifact);

    charts.addChart('podinfo', '6.11.0');
    const revision = servedRevision(charts);
    const s = await reconcile('charts', { url: charts.url, secretRef: { name: 'charts-auth' } }, (x) => x.artifact?.revision === revision, 'new revision');
    expect(ready(s)?.message).toBe(`stored artifact: revision '${revision}'`);
  });

  it('reports a refused download and an index that does not load, keeping the last artifact', async () => {
    const before = (await status('charts')).artifact;
    await apply(secret('charts-auth', { ...credentials, password: 'wrong-password' }));
    let s = await reconcile('charts', { url: charts.url, secretRef: { name: 'charts-auth' } }, (x) => ready(x)?.status === 'False', 'refused download');
    expect(ready(s)).toMatchObject({
      reason: 'Failed',
      message: `failed to fetch Helm repository index: failed to cache index to temporary file: failed to fetch ${charts.url}/index.yaml : 401 Unauthorized`,
    });
    expect(findCondition(s.conditions, 'FetchFailed')?.status).toBe('True');
    expect(s.artifact).toEqual(before);
    // The event is recorded just after the status is written.
    await eventually(events, (list) => list.some((event) => event.type === 'Warning' && event.reason === 'Failed'), { what: 'a Warning Failed event', timeoutMs: 10_000 });
    expect(JSON.stringify(await events())).not.toContain('wrong-password');

    await apply(secret('charts-auth', credentials));
    const good = readFileSync(join(charts.dir, 'index.yaml'), 'utf8');
    charts.writeIndex('');
    s = await reconcile('charts', { url: charts.url, secretRef: { name: 'charts-auth' } }, (x) => ready(x)?.reason === 'IndexationFailed', 'empty index');
    expect(ready(s)?.message).toBe('failed to load Helm repository from index YAML: failed to load index: empty index.yaml file');
    expect(s.artifact).toEqual(before);

    charts.writeIndex(good);
    await reconcileObject(workers.client, refOf('charts'), { taskQueuePrefix, requestedAt: 'recovered' });
    s = await eventually(() => status('charts'), (x) => ready(x)?.status === 'True', { what: 'recovery' });
    expect(findCondition(s.conditions, 'FetchFailed')).toBeUndefined();
    expect((await events()).some((event) => event.reason === 'Succeeded' && event.message?.startsWith('stored fetched index of size'))).toBe(true);
  });

  it('names an unreachable repository, one that answers too slowly and an index that is not YAML, and keeps the last artifact', async () => {
    // A port nothing listens on, and a server that takes connections and never answers.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      // A failure leaves status.observedGeneration where the last success put it, as Flux: the Ready condition says which generation failed.
      const good = await reconcile('flaky', { url: charts.url, secretRef: { name: 'charts-auth' } }, (x) => ready(x)?.status === 'True', 'first artifact');

      let s = await reconcile('flaky', { url: `http://127.0.0.1:${closedPort}` }, (x) => ready(x)?.observedGeneration === 2 && ready(x)?.status === 'False', 'unreachable');
      expect(ready(s)).toMatchObject({
        reason: 'Failed',
        message: `failed to fetch Helm repository index: failed to cache index to temporary file: Get "http://127.0.0.1:${closedPort}/index.yaml": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
      });
      expect(findCondition(s.conditions, 'Stalled')).toBeUndefined();
      expect(s.artifact).toEqual(good.artifact);

      s = await reconcile('flaky', { url: silentUrl, timeout: '1s' }, (x) => ready(x)?.observedGeneration === 3 && ready(x)?.status === 'False', 'timed out');
      expect(ready(s)?.message).toBe(`failed to fetch Helm repository index: failed to cache index to temporary file: Get "${silentUrl}/index.yaml": context deadline exceeded (Client.Timeout of 1s exceeded)`);
      expect(s.artifact).toEqual(good.artifact);

      const notYaml = await startChartRepository();
      try {
        notYaml.writeIndex('{ this is: [not yaml\n');
        s = await reconcile('flaky', { url: notYaml.url }, (x) => ready(x)?.observedGeneration === 4 && ready(x)?.status === 'False', 'not YAML');
        expect(ready(s)?.reason).toBe('IndexationFailed');
        expect(ready(s)?.message).toMatch(/^failed to load Helm repository from index YAML: failed to load index: \S/);
        expect(s.artifact).toEqual(good.artifact);
      } finally {
        await notYaml.stop();
      }
      // Each failure is a Warning event too, recorded just after the status is written.
      const warned = async () => (await events()).filter((event) => event.involvedObject.name === 'flaky' && event.type === 'Warning').map((event) => event.reason);
      await eventually(warned, (reasons) => reasons.includes('Failed') && reasons.includes('IndexationFailed'), { what: 'Warning events', timeoutMs: 10_000 });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('names a missing Secret, and stalls on an oci:// URL for a default repository', async () => {
    let s = await reconcile('no-secret', { url: charts.url, secretRef: { name: 'nowhere' } }, (x) => ready(x)?.status === 'False', 'missing secret');
    expect(ready(s)).toMatchObject({ reason: 'AuthenticationFailed', message: `failed to get authentication secret '${namespace}/nowhere': secrets "nowhere" not found` });

    s = await reconcile('wrong-scheme', { url: 'oci://ghcr.io/stefanprodan/charts' }, (x) => ready(x)?.status === 'False', 'oci URL');
    expect(ready(s)).toMatchObject({ reason: 'URLInvalid', message: "invalid Helm repository URL: 'oci' URL scheme cannot be used with 'default' HelmRepository type" });
    expect(findCondition(s.conditions, 'Stalled')?.status).toBe('True');
  });

  it('keeps no status for an OCI repository, as Flux', async () => {
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'oci', namespace }, spec: { interval: '1h', type: 'oci', url: 'oci://ghcr.io/stefanprodan/charts' } });
    const handle = await reconcileObject(workers.client, refOf('oci'), { taskQueuePrefix });
    // Its loop holds still, as for a suspended object: Flux ignores an OCI repository's interval.
    await eventually(() => handle.query(statusQuery), (q) => q.phase === 'Suspended', { what: 'the OCI repository loop waiting' });
    const s = await status('oci');
    expect(s.conditions ?? []).toEqual([]);
    expect(s.artifact).toBeUndefined();
  });

  it('fetches nothing while suspended, and fetches once resumed', async () => {
    const spec = { interval: '1h', url: charts.url, secretRef: { name: 'charts-auth' } };
    const before = charts.indexRequests;
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'paused', namespace }, spec: { ...spec, suspend: true } });
    const handle = await reconcileObject(workers.client, refOf('paused'), { taskQueuePrefix });
    await eventually(() => handle.query(statusQuery), (q) => q.phase === 'Suspended', { what: 'the suspended loop waiting' });
    expect((await status('paused')).artifact).toBeUndefined();
    expect(charts.indexRequests).toBe(before);

    const resumed = await reconcile('paused', { ...spec, suspend: false }, (x) => ready(x)?.status === 'True', 'resumed');
    expect(resumed.artifact?.revision).toBe(servedRevision(charts));
  });

  it('reads a repository over HTTPS with the client certificate and CA of certSecretRef', async () => {
    await apply(secret('client-cert', { 'tls.crt': authority.client.cert, 'tls.key': authority.client.key, 'ca.crt': authority.ca }));
    const revision = servedRevision(secured);
    const s = await reconcile('secured', { url: secured.url, certSecretRef: { name: 'client-cert' } }, (x) => x.artifact?.revision === revision, 'artifact over HTTPS');
    expect(ready(s)?.status).toBe('True');

    await apply(secret('half-cert', { 'tls.crt': authority.client.cert }));
    const half = await reconcile('half', { url: secured.url, certSecretRef: { name: 'half-cert' } }, (x) => ready(x)?.status === 'False', 'incomplete certificate');
    expect(ready(half)).toMatchObject({
      reason: 'AuthenticationFailed',
      message: `failed to construct Helm client's TLS config: secret '${namespace}/half-cert' contains 'tls.crt' but missing 'tls.key'`,
    });
  });
});
