// A source-controller worker process killed in the middle of a fetch: another worker
// takes the reconcile over once the dead one stops heartbeating, and the object
// converges, with one artifact and no error left on it. The same for a kustomize-controller
// worker killed mid-apply, and a helm-controller worker (with its helm) killed mid-upgrade.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskQueue } from '../../common/task-queues.js';
import type { GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import type { Service } from '../../local/process.js';
import { startWorkerService } from '../harness/worker-processes.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, startHttpGitServer, TestRepository, type HttpGitServer } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { helmHistory, helmRunner } from '../harness/helm.js';

describe('a worker killed during a fetch', () => {
  let http: HttpGitServer;
  let repository: TestRepository;
  let doomed: Service | undefined;
  let survivor: TestWorkers | undefined;
  let setupWorkers: TestWorkers;
  const namespace = `crash-${uniqueSuffix()}`;
  const taskQueuePrefix = `crash-${uniqueSuffix()}/`;
  const ref = { kind: 'GitRepository' as const, namespace, name: 'fleet' };
  const credentials = { username: 'flux', password: 'crash-test-password' };

  beforeAll(async () => {
    const root = newGitRoot();
    repository = new TestRepository(root, 'fleet');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' });
    http = await startHttpGitServer(root, credentials);
    // A client of the cluster and of Temporal for the test itself, polling no queue of this file.
    setupWorkers = await startTestWorkers('crash-setup', []);
    await setupWorkers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
    await setupWorkers.kube.apply(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth', namespace }, stringData: credentials },
      { fieldManager: 'test' },
    );
  });

  afterAll(async () => {
    await doomed?.stop();
    await setupWorkers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await survivor?.stop();
    await setupWorkers?.stop();
    await http?.stop();
  });

  const state = mkdtempSync(join(tmpdir(), 'kimbernetes-doomed-'));

  it('converges on another worker', async () => {
    doomed = startWorkerService(TaskQueue.Source, {
      taskQueuePrefix,
      watchNamespace: namespace,
      logFile: join(state, 'worker.log'),
      args: ['--storage-path', join(state, 'artifacts'), '--storage-addr', '127.0.0.1:0'],
    });
    // The remote answers slowly, so the worker is surely in the middle of the fetch when it dies.
    http.delayMs = 60_000;
    await setupWorkers.kube.apply(
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: ref.name, namespace },
        spec: { url: http.url(repository), interval: '1h', ref: { branch: 'main' }, secretRef: { name: 'auth' } },
      },
      { fieldManager: 'test' },
    );
    await eventually(async () => http.uploadPackRequests, (count) => count > 0, { timeoutMs: 90_000, what: 'the worker to start fetching' });
    process.kill(-doomed.pid, 'SIGKILL');
    await doomed.stop();
    http.delayMs = 0;

    survivor = await startTestWorkers('crash-survivor', [TaskQueue.Source], { namespace, taskQueuePrefix });
    const status = await eventually(
      async () => ((await survivor!.objects.get(ref))?.status ?? {}) as GitRepositoryStatus,
      (s) => findCondition(s.conditions, 'Ready')?.status === 'True',
      { timeoutMs: 120_000, what: 'Ready after the takeover' },
    );
    expect(status.artifact?.revision).toMatch(/^main@sha1:[0-9a-f]{40}$/);
    expect(status.conditions?.map((c) => c.type).sort()).toEqual(['ArtifactInStorage', 'Ready']);
    expect((await fetch(status.artifact!.url)).status).toBe(200);
  });

  it('logged no secret', () => {
    const log = readFileSync(join(state, 'worker.log'), 'utf8');
    expect(log).toContain('"taskQueue"'); // the worker did log, as JSON lines
    expect(log).not.toContain(credentials.password);
    expect(log).not.toContain(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'));
  });
});

describe('a worker killed in the middle of an apply', () => {
  let repository: TestRepository;
  let doomed: Service | undefined;
  let sources: TestWorkers;
  let survivor: TestWorkers | undefined;
  const suffix = uniqueSuffix();
  const flux = `crash-flux-${suffix}`;
  const apps = `crash-apps-${suffix}`;
  const taskQueuePrefix = `crash-apply-${suffix}/`;
  const count = 150;
  const state = mkdtempSync(join(tmpdir(), 'kimbernetes-doomed-'));
  const configMaps = async () =>
    (await Promise.all(Array.from({ length: count }, (_, i) => sources.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: `settings-${i}` })))).filter(Boolean).length;

  beforeAll(async () => {
    repository = new TestRepository(newGitRoot(), 'fleet');
    const files: Record<string, string> = { 'apps/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n` };
    for (let i = 0; i < count; i++) files[`apps/settings-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-${i}\n  namespace: ${apps}\ndata:\n  index: "${i}"\n`;
    repository.commit(files);
    sources = await startTestWorkers('crash-apply-sources', [TaskQueue.Source], { namespace: flux, taskQueuePrefix });
    await sources.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'test' });
    await sources.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'test' },
    );
    await reconcileObject(sources.client, { kind: 'GitRepository', namespace: flux, name: 'fleet' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await doomed?.stop();
    await survivor?.stop();
    for (const namespace of [apps, flux]) await sources?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await sources?.stop();
  });

  it('converges on another worker with every object, once', async () => {
    // A slow client-side limit keeps the apply under way for seconds, so the kill lands in
    // its middle however loaded the machine is (with Flux's burst of 300 it can end
    // between two looks).
    const slowApply = ['--kube-api-qps', '20', '--kube-api-burst', '10'];
    doomed = startWorkerService(TaskQueue.Kustomize, { taskQueuePrefix, watchNamespace: flux, logFile: join(state, 'worker.log'), args: slowApply });
    await sources.kube.apply(
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: flux },
        spec: { interval: '1h', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
      },
      { fieldManager: 'test' },
    );
    const atKill = await eventually(configMaps, (n) => n >= 10, { timeoutMs: 90_000, intervalMs: 50, what: 'the apply to be under way' });
    process.kill(-doomed.pid, 'SIGKILL');
    await doomed.stop();
    expect(atKill).toBeLessThan(count); // killed mid-apply, not after it

    survivor = await startTestWorkers('crash-apply-survivor', [TaskQueue.Kustomize], { namespace: flux, taskQueuePrefix });
    const ks = { kind: 'Kustomization' as const, namespace: flux, name: 'apps' };
    const status = await eventually(
      async () => ((await survivor!.objects.get(ks))?.status ?? {}) as { conditions?: Condition[]; inventory?: { entries: unknown[] } },
      (s) => findCondition(s.conditions, 'Ready')?.status === 'True',
      { timeoutMs: 120_000, what: 'Ready after the takeover' },
    );
    expect(status.inventory?.entries).toHaveLength(count + 1);
    expect(await configMaps()).toBe(count);
  });
});

describe('a helm-controller worker killed in the middle of an upgrade', () => {
  let charts: ChartRepository;
  let doomed: Service | undefined;
  let sources: TestWorkers;
  let survivor: TestWorkers | undefined;
  const suffix = uniqueSuffix();
  const namespace = `crash-helm-${suffix}`;
  const taskQueuePrefix = `crash-helm-${suffix}/`;
  const state = mkdtempSync(join(tmpdir(), 'kimbernetes-doomed-'));
  const ref = { kind: 'HelmRelease' as const, namespace, name: 'app' };
  const helm = helmRunner({ home: join(state, 'helm') });
  const history = () => helmHistory(helm, 'app', namespace);
  const release = (values: Record<string, unknown>) => ({
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: 'app', namespace },
    spec: { interval: '1h', chart: { spec: { chart: 'app', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, values },
  });
  const readyStatus = () =>
    eventually(
      async () => ((await sources.objects.get(ref))?.status ?? {}) as { conditions?: Condition[]; history?: { version: number }[] },
      (s) => findCondition(s.conditions, 'Ready')?.status === 'True',
      { timeoutMs: 150_000, what: 'the HelmRelease Ready' },
    );

  beforeAll(async () => {
    charts = await startChartRepository();
    // A pre-upgrade hook whose Job is never scheduled: helm waits on it until it is killed.
    charts.addChart('app', '1.0.0', {
      'templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  message: {{ .Values.message | quote }}\n',
      'templates/hook.yaml':
        '{{- if .Values.hook }}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: app-migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      nodeSelector:\n        kimbernetes.test/no-such-node: "true"\n      containers:\n        - name: migrate\n          image: busybox\n{{- end }}\n',
    });
    sources = await startTestWorkers('crash-helm-sources', [TaskQueue.Source], { namespace, taskQueuePrefix });
    await sources.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
    await sources.kube.apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } }, { fieldManager: 'test' });
    await reconcileObject(sources.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await doomed?.stop();
    await survivor?.stop();
    await sources?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await sources?.stop();
    await charts?.stop();
  });

  it('leaves a pending upgrade that the next worker unlocks, as its own, and upgrades', async () => {
    doomed = startWorkerService(TaskQueue.Helm, { taskQueuePrefix, watchNamespace: namespace, logFile: join(state, 'worker.log') });
    await sources.kube.apply(release({ message: 'first' }), { fieldManager: 'test' });
    await readyStatus();
    await sources.kube.apply(release({ message: 'stuck', hook: true }), { fieldManager: 'test' });
    await eventually(async () => history().at(-1)?.status, (s) => s === 'pending-upgrade', { timeoutMs: 90_000, what: 'the upgrade under way' });
    // The worker and the helm it runs die together, as a pod would.
    process.kill(-doomed.pid, 'SIGKILL');
    await doomed.stop();
    expect(history().at(-1)).toMatchObject({ revision: 2, status: 'pending-upgrade' });

    await sources.kube.apply(release({ message: 'after the crash' }), { fieldManager: 'test' });
    survivor = await startTestWorkers('crash-helm-survivor', [TaskQueue.Helm], { namespace, taskQueuePrefix });
    const s = await readyStatus();
    expect(s.history?.[0]?.version).toBe(3);
    expect(history().map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'failed'],
      [3, 'deployed'],
    ]);
    expect(history()[1]?.description).toBe("Release unlocked from stale 'pending-upgrade' state");
    const configMap = (await sources.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'app' })) as { data?: Record<string, string> } | undefined;
    expect(configMap?.data).toEqual({ message: 'after the crash' });
  });
});
