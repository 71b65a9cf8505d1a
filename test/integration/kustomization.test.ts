// Kustomizations reconciling a layered repository like our users keep (overlays/base,
// overlays/<env>/<layer>, layers chained with dependsOn) into the real API server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { requireBinary } from '../../tools/paths.js';

describe('Kustomization', () => {
  let workers: TestWorkers;
  let repository: TestRepository;
  let taskQueuePrefix: string;
  const suffix = uniqueSuffix();
  const flux = `flux-${suffix}`; // where the Flux objects live
  const apps = `apps-${suffix}`; // the namespace the repository creates
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const source = { kind: 'GitRepository' as const, namespace: flux, name: 'fleet' };
  const status = async (name: string) => ((await workers.objects.get(ks(name)))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const get = (kind: string, name: string, apiVersion = 'v1') => workers.kube.get({ apiVersion, kind, namespace: apps, name });

  const deployment = (image = 'registry.local/podinfo:1.0') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 1
  selector:
    matchLabels: { app: podinfo }
  template:
    metadata:
      labels: { app: podinfo }
    spec:
      containers:
        - name: podinfo
          image: ${image}
`;

  const kustomization = (name: string, spec: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: flux },
    spec: { interval: '1h', retryInterval: '5s', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' }, ...spec },
  });

  beforeAll(async () => {
    workers = await startTestWorkers('kustomization', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({
      'overlays/base/podinfo/kustomization.yaml': 'resources: [deployment.yaml, service.yaml]\n',
      'overlays/base/podinfo/deployment.yaml': deployment(),
      'overlays/base/podinfo/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\nspec:\n  selector: { app: podinfo }\n  ports: [{ port: 80 }]\n',
      // No kustomization.yaml here: one is generated, as Flux does.
      'overlays/dev/infrastructure/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${apps}\n`,
      'overlays/dev/infrastructure/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${apps}\ndata:\n  cluster: \${cluster_name}\n  region: \${region:=eu-west-1}\n`,
      'overlays/dev/applications/kustomization.yaml': `namespace: ${apps}\nresources: [../../base/podinfo]\npatches:\n  - target: { kind: Deployment, name: podinfo }\n    patch: |\n      - op: replace\n        path: /spec/replicas\n        value: 2\n`,
    });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'test' });
    await workers.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'test' },
    );
    await workers.kube.apply(kustomization('infrastructure', { path: './overlays/dev/infrastructure', postBuild: { substitute: { cluster_name: 'dev' } } }), { fieldManager: 'test' });
    await workers.kube.apply(kustomization('applications', { path: './overlays/dev/applications', dependsOn: [{ name: 'infrastructure' }], wait: true, timeout: '2m' }), { fieldManager: 'test' });
  });

  afterAll(async () => {
    for (const namespace of [apps, flux]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('applies the layers in dependency order and waits for health', async () => {
    // The dependent layer first: it must wait for the one it depends on.
    await reconcileObject(workers.client, ks('applications'), { taskQueuePrefix });
    const waiting = await eventually(() => status('applications'), (s) => ready(s)?.status === 'False', { what: 'DependencyNotReady' });
    expect(ready(waiting)?.reason).toMatch(/^(DependencyNotReady|ArtifactFailed)$/);

    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await reconcileObject(workers.client, ks('infrastructure'), { taskQueuePrefix });
    const infra = await eventually(() => status('infrastructure'), (s) => ready(s)?.status === 'True', { what: 'infrastructure Ready', timeoutMs: 90_000 });
    expect(ready(infra)?.message).toMatch(/^Applied revision: main@sha1:[0-9a-f]{40}$/);
    expect(infra.inventory?.entries.map((e) => e.id).sort()).toEqual([`${apps}_settings__ConfigMap`, `_${apps}__Namespace`].sort());
    expect((await get('ConfigMap', 'settings'))?.data).toEqual({ cluster: 'dev', region: 'eu-west-1' });

    const app = await eventually(() => status('applications'), (s) => ready(s)?.status === 'True', { what: 'applications Ready', timeoutMs: 120_000 });
    expect(findCondition(app.conditions, 'Healthy')?.status).toBe('True');
    expect(app.lastAppliedRevision).toBe(infra.lastAppliedRevision);
    const live = (await get('Deployment', 'podinfo', 'apps/v1')) as KubernetesObject & { spec: { replicas: number }; status: { availableReplicas?: number } };
    expect(live.spec.replicas).toBe(2);
    expect(live.status.availableReplicas).toBe(2);
    expect(live.metadata.labels).toMatchObject({ 'kustomize.toolkit.fluxcd.io/name': 'applications', 'kustomize.toolkit.fluxcd.io/namespace': flux });
    // status.history, as Flux keeps it: the reconcile that applied, by the digest of what it built.
    expect(app.history?.[0]).toMatchObject({
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      lastReconciledStatus: 'ReconciliationSucceeded',
      lastReconciledDuration: expect.stringMatching(/^[0-9hm.]+s$|ms$/),
      metadata: { revision: app.lastAppliedRevision },
    });
    expect(app.history?.[0]?.totalReconciliations).toBeGreaterThanOrEqual(1);
  });

  it('reverts manual edits and recreates deleted objects', async () => {
    await workers.kube.apply(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo', namespace: apps }, spec: { replicas: 5 } },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await workers.kube.delete({ apiVersion: 'v1', kind: 'Service', namespace: apps, name: 'podinfo' });
    await reconcileObject(workers.client, ks('applications'), { taskQueuePrefix });
    await eventually(async () => ((await get('Deployment', 'podinfo', 'apps/v1'))?.spec as { replicas: number }).replicas, (r) => r === 2, { what: 'replicas reverted' });
    await eventually(() => get('Service', 'podinfo'), (svc) => svc !== undefined, { what: 'Service recreated' });
  });

  it('reconciles an unchanged revision without building it again, and builds again when a substituteFrom value changes', async () => {
    const greetings = (greeting: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greetings', namespace: flux }, data: { greeting } });
    repository.commit({ 'overlays/dev/greeting/greeting.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\n  namespace: ${apps}\ndata:\n  text: \${greeting}\n` }, 'a greeting');
    await workers.kube.apply(greetings('hello'), { fieldManager: 'test' });
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await workers.kube.apply(kustomization('greeting', { path: './overlays/dev/greeting', postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'greetings' }] } }), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('greeting'), { taskQueuePrefix });
    const text = async () => ((await get('ConfigMap', 'greeting'))?.data as { text?: string } | undefined)?.text;
    await eventually(text, (t) => t === 'hello', { what: 'the greeting applied' });

    // What each build step of the loop answered, run after run.
    const builds = async () => {
      const answers: { objects?: number; cached?: boolean }[] = [];
      for await (const run of workers.client.workflow.list({ query: `WorkflowId = 'kustomization/${flux}/greeting'` })) {
        const history = await workers.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        const events = history.events ?? [];
        const buildIds = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'Kustomization.build').map((e) => String(e.eventId)));
        for (const event of events) {
          const completed = event.activityTaskCompletedEventAttributes;
          if (completed && buildIds.has(String(completed.scheduledEventId))) answers.push(JSON.parse(Buffer.from(completed.result!.payloads![0]!.data!).toString()));
        }
      }
      return answers;
    };
    await reconcileObject(workers.client, ks('greeting'), { taskQueuePrefix });
    await eventually(builds, (b) => b.some((answer) => answer.cached === true), { what: 'a reconcile served from the kept build' });
    // The drift a kept build must still correct.
    await workers.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', namespace: apps }, data: { text: 'edited' } }, { fieldManager: 'kubectl-edit', force: true });
    await reconcileObject(workers.client, ks('greeting'), { taskQueuePrefix });
    await eventually(text, (t) => t === 'hello', { what: 'the edit reverted' });

    await workers.kube.apply(greetings('bonjour'), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('greeting'), { taskQueuePrefix });
    await eventually(text, (t) => t === 'bonjour', { what: 'the new value built and applied' });
    expect((await builds()).filter((answer) => answer.objects !== undefined && !answer.cached)).toHaveLength(2);
    await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name: 'greeting' });
  });

  it('prunes what was removed from Git, and only that', async () => {
    repository.commit({ 'overlays/dev/infrastructure/settings.yaml': null }, 'drop the settings');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await eventually(() => get('ConfigMap', 'settings'), (cm) => cm === undefined, { what: 'ConfigMap pruned', timeoutMs: 90_000 });
    // The inventory is written when the reconcile finishes, just after its prune step.
    const revision = ((await workers.objects.get(source))?.status as { artifact?: { revision: string } }).artifact?.revision;
    const infra = await eventually(() => status('infrastructure'), (s) => s.lastAppliedRevision === revision, { what: 'the reconcile finished' });
    expect(infra.inventory?.entries.map((e) => e.id)).toEqual([`_${apps}__Namespace`]);
    expect(await get('Deployment', 'podinfo', 'apps/v1')).toBeDefined();
  });

  it('reports a broken commit as BuildFailed and deletes nothing', async () => {
    // Settled on the current revision first (the previous commit also reached this layer).
    const current = ((await workers.objects.get(source))?.status as { artifact: { revision: string } }).artifact.revision;
    const before = await eventually(() => status('applications'), (s) => s.lastAppliedRevision === current && ready(s)?.status === 'True', { what: 'applications settled' });
    repository.commit({ 'overlays/base/podinfo/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: [broken\n' }, 'break the yaml');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    const failed = await eventually(() => status('applications'), (s) => ready(s)?.reason === 'BuildFailed', { what: 'BuildFailed', timeoutMs: 90_000 });
    expect(ready(failed)?.message).toContain('kustomize build failed');
    expect(failed.lastAppliedRevision).toBe(before.lastAppliedRevision);
    expect(failed.lastAttemptedRevision).not.toBe(before.lastAppliedRevision);
    expect(failed.inventory).toEqual(before.inventory);
    expect(await get('Service', 'podinfo')).toBeDefined();
    expect(await get('Deployment', 'podinfo', 'apps/v1')).toBeDefined();
  });

  it('reports a missing path as ArtifactFailed, in Flux\'s words, without counting the revision as attempted', async () => {
    await workers.kube.apply(kustomization('nowhere', { path: './overlays/none' }), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('nowhere'), { taskQueuePrefix });
    const failed = await eventually(() => status('nowhere'), (s) => ready(s)?.status === 'False', { what: 'the missing path on the status', timeoutMs: 60_000 });
    expect(ready(failed)).toMatchObject({ reason: 'ArtifactFailed', message: 'kustomization path not found: stat ./overlays/none: no such file or directory' });
    expect(failed.lastAttemptedRevision).toBeUndefined();
    await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name: 'nowhere' });
  });

  it('reports a dependency cycle on every object in it', async () => {
    await workers.kube.apply(kustomization('cycle-a', { path: './overlays/dev/infrastructure', dependsOn: [{ name: 'cycle-b' }] }), { fieldManager: 'test' });
    await workers.kube.apply(kustomization('cycle-b', { path: './overlays/dev/infrastructure', dependsOn: [{ name: 'cycle-a' }] }), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('cycle-a'), { taskQueuePrefix });
    await reconcileObject(workers.client, ks('cycle-b'), { taskQueuePrefix });
    const a = await eventually(() => status('cycle-a'), (s) => ready(s)?.message?.startsWith('dependency cycle') === true, { what: 'cycle on a' });
    const b = await eventually(() => status('cycle-b'), (s) => ready(s)?.message?.startsWith('dependency cycle') === true, { what: 'cycle on b' });
    expect(ready(a)?.message).toBe(`dependency cycle: ${flux}/cycle-a -> ${flux}/cycle-b -> ${flux}/cycle-a`);
    expect(ready(b)?.reason).toBe('DependencyNotReady');
  });

  it('prunes its objects when deleted, keeping them when its deletionPolicy says Orphan', async () => {
    await workers.kube.apply(kustomization('orphaning', { path: './overlays/base/podinfo', targetNamespace: apps, namePrefix: 'kept-', deletionPolicy: 'Orphan' }), { fieldManager: 'test' });
    await workers.kube.apply(kustomization('pruning', { path: './overlays/base/podinfo', targetNamespace: apps, namePrefix: 'gone-' }), { fieldManager: 'test' });
    repository.commit({ 'overlays/base/podinfo/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\nspec:\n  selector: { app: podinfo }\n  ports: [{ port: 80 }]\n' }, 'fix the yaml');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    for (const name of ['orphaning', 'pruning']) {
      await reconcileObject(workers.client, ks(name), { taskQueuePrefix });
      await eventually(() => status(name), (s) => ready(s)?.status === 'True', { what: `${name} Ready`, timeoutMs: 90_000 });
    }
    expect(await get('Service', 'kept-podinfo')).toBeDefined();
    expect(await get('Service', 'gone-podinfo')).toBeDefined();

    for (const name of ['orphaning', 'pruning']) {
      await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name });
      await reconcileObject(workers.client, ks(name), { taskQueuePrefix });
      await eventually(() => workers.objects.get(ks(name)), (object) => object === undefined, { what: `${name} gone after its finalizer` });
    }
    expect(await get('Service', 'gone-podinfo')).toBeUndefined();
    expect(await get('Deployment', 'gone-podinfo', 'apps/v1')).toBeUndefined();
    expect(await get('Service', 'kept-podinfo')).toBeDefined();
    expect(await get('Deployment', 'kept-podinfo', 'apps/v1')).toBeDefined();
  });

  it('with deletionPolicy WaitForTermination, goes only once what it deleted is gone', async () => {
    // A ConfigMap that a finalizer keeps terminating until the test lets it go.
    const held = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: ${apps}\n  finalizers: [kimbernetes.test/hold]\ndata: { a: b }\n`;
    repository.commit({ 'overlays/dev/held/held.yaml': held }, 'a ConfigMap held by a finalizer');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await workers.kube.apply(kustomization('waiting', { path: './overlays/dev/held', deletionPolicy: 'WaitForTermination' }), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('waiting'), { taskQueuePrefix });
    await eventually(() => status('waiting'), (s) => ready(s)?.status === 'True', { what: 'waiting Ready', timeoutMs: 90_000 });

    await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name: 'waiting' });
    await reconcileObject(workers.client, ks('waiting'), { taskQueuePrefix });
    await eventually(() => get('ConfigMap', 'held'), (object) => object?.metadata.deletionTimestamp !== undefined, { what: 'the ConfigMap terminating' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await workers.objects.get(ks('waiting'))).toBeDefined();

    const kubectl = promisify(execFile);
    await kubectl(requireBinary('kubectl'), ['--kubeconfig', sharedEnvironment().kubeconfigPath, '-n', apps, 'patch', 'configmap', 'held', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(() => workers.objects.get(ks('waiting')), (object) => object === undefined, { what: 'waiting gone after the ConfigMap', timeoutMs: 30_000 });
  });

  it('reports HealthCheckFailed after the timeout and recovers on a fixing commit', async () => {
    // A GitRepository in the repository itself, pointing nowhere: never Ready, so never healthy.
    const broken = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: upstream\n  namespace: ${flux}\nspec:\n  url: http://127.0.0.1:9/upstream.git\n  interval: 1h\n  ref:\n    branch: main\n`;
    repository.commit({ 'overlays/dev/sources/upstream.yaml': broken }, 'add a source that cannot work');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await workers.kube.apply(kustomization('sources', { path: './overlays/dev/sources', wait: true, timeout: '8s' }), { fieldManager: 'test' });
    await reconcileObject(workers.client, ks('sources'), { taskQueuePrefix });
    // The source-controller pool of this file reconciles the new GitRepository, which fails.
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace: flux, name: 'upstream' }, { taskQueuePrefix });
    // While it waits: Healthy=Unknown and Reconciling say what for, as Flux writes them.
    const checking = await eventually(() => status('sources'), (s) => findCondition(s.conditions, 'Healthy')?.status === 'Unknown', { what: 'the health checks under way', timeoutMs: 60_000 });
    expect(findCondition(checking.conditions, 'Healthy')?.message).toMatch(/^Running health checks for revision main@sha1:[0-9a-f]{40} with a timeout of 30s$/);
    expect(findCondition(checking.conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Progressing' });
    expect(ready(checking)).toMatchObject({ status: 'Unknown', message: 'Reconciliation in progress' });
    const failed = await eventually(() => status('sources'), (s) => ready(s)?.reason === 'HealthCheckFailed', { what: 'HealthCheckFailed', timeoutMs: 60_000 });
    expect(ready(failed)?.message).toMatch(/GitRepository\/.*\/upstream/);
    expect(findCondition(failed.conditions, 'Healthy')?.status).toBe('False');

    repository.commit({ 'overlays/dev/sources/upstream.yaml': broken.replace('http://127.0.0.1:9/upstream.git', repository.fileUrl) }, 'point the source at a real repository');
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    // Once the Kustomization applied the fixed spec, the GitRepository's loop is woken (the watcher would do this).
    const upstream = { kind: 'GitRepository' as const, namespace: flux, name: 'upstream' };
    await eventually(async () => (await workers.objects.get(upstream))?.metadata.generation, (generation) => generation === 2, { what: 'fixed spec applied', timeoutMs: 60_000 });
    await reconcileObject(workers.client, upstream, { taskQueuePrefix });
    const fixed = await eventually(() => status('sources'), (s) => ready(s)?.status === 'True', { what: 'recovered', timeoutMs: 90_000 });
    expect(findCondition(fixed.conditions, 'Healthy')?.status).toBe('True');
  });
});
