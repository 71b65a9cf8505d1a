// A fleet repository in our users' layout, reconciled end to end on the local cluster:
// `cluster/dev` holds the Kustomizations, `overlays/base/cache` a HelmRelease on a
// HelmRepository (a chart repository with basic auth, served by the test), and
// `overlays/dev` patches the release's values for the environment with kustomize and adds
// a site layer that dependsOn the HelmRelease (a Kustomization waiting on a HelmRelease,
// beyond Flux), then HelmReleases that dependOn Kustomizations and a cycle across the two
// kinds. The release is asked of `helm` itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '../../cli/main.js';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { deploymentTemplate } from '../harness/chart-templates.js';
import { eventually } from '../harness/eventually.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { helmRunner } from '../harness/helm.js';
import { loadKubeConfig } from '../../kube/client.js';
import { startDiscovery } from '../../workers/discovery.js';
import type { Watcher } from '../../workers/watcher.js';

describe('a fleet with a HelmRelease patched per environment', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  let watcher: Watcher | undefined;
  const namespace = `helm-fleet-${uniqueSuffix()}`;
  const credentials = { username: 'fleet', password: 'fleet-charts-pa55' };

  type Status = { conditions?: Condition[]; observedGeneration?: number };
  const status = async (kind: 'Kustomization' | 'HelmRelease', name: string) => ((await workers.objects.get({ kind, namespace, name }))?.status ?? {}) as Status;
  const ready = (s: Status) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const helm = helmRunner();

  beforeAll(async () => {
    workers = await startTestWorkers('helm-fleet', [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    // The watcher starts the loops of what the layers apply, as a deployed worker's does.
    const shared = sharedEnvironment();
    watcher = await startDiscovery({ address: shared.temporalAddress, namespace: shared.temporalNamespace }, loadKubeConfig(shared.kubeconfigPath), [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm], { namespace, taskQueuePrefix });
    charts = await startChartRepository({ credentials });
    charts.addChart('cache', '1.2.0', {
      'values.yaml': 'maxmemory: 64mb\n',
      'templates/deployment.yaml': deploymentTemplate({ image: 'redis:7', args: '["--maxmemory", {{ .Values.maxmemory | quote }}]' }),
    });
    const repository = new TestRepository(newGitRoot(), 'fleet');
    const kustomization = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace },
      spec: { interval: '1h', retryInterval: '5s', path, prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' }, ...extra },
    });
    const yaml = (...objects: unknown[]) => objects.map((object) => JSON.stringify(object)).join('\n---\n');
    repository.commit({
      'cluster/dev/layers.yaml': yaml(
        kustomization('infrastructure', './overlays/dev/infrastructure', { targetNamespace: namespace }),
        kustomization('site', './overlays/dev/site', { targetNamespace: namespace, dependsOn: [{ kind: 'HelmRelease', name: 'cache' }] }),
      ),
      'overlays/base/cache/kustomization.yaml': 'resources:\n  - repository.yaml\n  - release.yaml\n',
      'overlays/base/cache/repository.yaml': yaml({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts' }, spec: { interval: '1h', url: charts.url, secretRef: { name: 'charts-auth' } } }),
      'overlays/base/cache/release.yaml': yaml({
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'cache' },
        spec: { interval: '1h', chart: { spec: { chart: 'cache', version: '1.x', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, valuesFrom: [{ kind: 'Secret', name: 'cache-settings' }] },
      }),
      'overlays/dev/infrastructure/kustomization.yaml': `resources:
  - ../../base/cache
patches:
  - target: { kind: HelmRelease, name: cache }
    patch: |
      apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: cache
      spec:
        values:
          maxmemory: 32mb
`,
      'overlays/dev/site/site.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site\ndata:\n  env: dev\n',
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'charts-auth', namespace }, stringData: credentials });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } });
    await apply(kustomization('fleet', './cluster/dev'));
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace, name: 'fleet' }, { taskQueuePrefix });
    await reconcileObject(workers.client, { kind: 'Kustomization', namespace, name: 'fleet' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await watcher?.stop();
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
  });

  it('holds the site back until the HelmRelease is Ready, then reconciles all of it; helm shows the release with the environment values', async () => {
    // The release's valuesFrom Secret does not exist yet: the HelmRelease cannot be Ready, and the site waits on it.
    const waiting = await eventually(() => status('Kustomization', 'site'), (s) => ready(s)?.reason === 'DependencyNotReady', { what: 'the site waiting', timeoutMs: 120_000 });
    expect(ready(waiting)?.message).toMatch(new RegExp(`^dependency 'HelmRelease/${namespace}/cache' (is not ready|not found)`));
    await eventually(() => status('HelmRelease', 'cache'), (s) => ready(s)?.reason === 'ValuesError', { what: 'the HelmRelease without its values', timeoutMs: 120_000 });
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'site' })).toBeUndefined();

    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cache-settings', namespace }, stringData: { 'values.yaml': 'maxmemory: 16mb\n' } });
    await reconcileObject(workers.client, { kind: 'HelmRelease', namespace, name: 'cache' }, { taskQueuePrefix });
    const release = await eventually(() => status('HelmRelease', 'cache'), (s) => ready(s)?.status === 'True', { what: 'the HelmRelease Ready', timeoutMs: 120_000 });
    expect(ready(release)?.message).toBe(`Helm install succeeded for release ${namespace}/cache.v1 with chart cache@1.2.0`);
    // The HelmRelease heard of, the site goes on at once, not at its retry.
    const site = await eventually(() => status('Kustomization', 'site'), (s) => ready(s)?.status === 'True', { what: 'the site Ready', timeoutMs: 60_000 });
    expect(ready(site)?.message).toMatch(/^Applied revision: main@sha1:[0-9a-f]{40}$/);
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'site' })).toBeDefined();
    for (const name of ['fleet', 'infrastructure']) expect(ready(await status('Kustomization', name))?.status).toBe('True');

    const releases = JSON.parse(helm('list', '--all-namespaces', '--output', 'json')) as { name: string; namespace: string; status: string; chart: string }[];
    expect(releases).toContainEqual(expect.objectContaining({ name: 'cache', namespace, status: 'deployed', chart: 'cache-1.2.0' }));
    // The environment's patch over the base, the Secret's values under them (spec.values wins).
    expect(JSON.parse(helm('get', 'values', 'cache', '--namespace', namespace, '--output', 'json'))).toEqual({ maxmemory: '32mb' });
    const deployment = (await workers.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'cache' })) as { spec: { template: { spec: { containers: { args: string[] }[] } } } } | undefined;
    expect(deployment?.spec.template.spec.containers[0]?.args).toEqual(['--maxmemory', '32mb']);

    // `tree` draws the layer's HelmRelease with the objects of its release beneath it.
    let out = '';
    const io = { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => undefined }, env: { PATH: process.env.PATH, HOME: process.env.HOME } };
    const shared = sharedEnvironment();
    const code = await main(['--kubeconfig', shared.kubeconfigPath, '--temporal-address', shared.temporalAddress, '--temporal-namespace', shared.temporalNamespace, '-n', namespace, 'tree', 'kustomization', 'infrastructure'], io);
    expect(code).toBe(0);
    expect(out).toBe(
      [`Kustomization/${namespace}/infrastructure`, `├── HelmRelease/${namespace}/cache`, `│   ├── ConfigMap/${namespace}/cache`, `│   └── Deployment/${namespace}/cache`, `└── HelmRepository/${namespace}/charts`, ''].join('\n'),
    );
  });

  it('holds a HelmRelease back until the Kustomization it dependsOn is Ready, and names a cycle across the two kinds', async () => {
    const release = (name: string, dependsOn: Record<string, unknown>[]) => ({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name, namespace },
      spec: { interval: '1h', chart: { spec: { chart: 'cache', version: '1.x', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, dependsOn },
    });
    await apply(release('waits', [{ kind: 'Kustomization', name: 'nowhere' }]));
    const waiting = await eventually(() => status('HelmRelease', 'waits'), (s) => ready(s)?.reason === 'DependencyNotReady', { what: 'waiting on a missing Kustomization', timeoutMs: 60_000 });
    expect(ready(waiting)?.message).toBe(`unable to get 'Kustomization/${namespace}/nowhere' dependency: kustomizations.kustomize.toolkit.fluxcd.io "nowhere" not found`);

    await apply(release('after-site', [{ kind: 'Kustomization', name: 'site' }]));
    const installed = await eventually(() => status('HelmRelease', 'after-site'), (s) => ready(s)?.status === 'True', { what: 'installed after the site', timeoutMs: 120_000 });
    expect(ready(installed)?.message).toBe(`Helm install succeeded for release ${namespace}/after-site.v1 with chart cache@1.2.0`);

    await apply({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'ring', namespace },
      spec: { interval: '1h', path: './overlays/dev/site', prune: true, targetNamespace: namespace, sourceRef: { kind: 'GitRepository', name: 'fleet' }, dependsOn: [{ kind: 'HelmRelease', name: 'ring-release' }] },
    });
    await apply(release('ring-release', [{ kind: 'Kustomization', name: 'ring' }]));
    const cycle = await eventually(() => status('HelmRelease', 'ring-release'), (s) => /cycle/.test(ready(s)?.message ?? ''), { what: 'the cycle named', timeoutMs: 60_000 });
    expect(ready(cycle)).toMatchObject({ status: 'False', reason: 'DependencyNotReady', message: `dependency cycle: ${namespace}/ring-release -> Kustomization/${namespace}/ring -> ${namespace}/ring-release` });
    const other = await eventually(() => status('Kustomization', 'ring'), (s) => /cycle/.test(ready(s)?.message ?? ''), { what: 'the cycle named on the Kustomization', timeoutMs: 60_000 });
    expect(ready(other)?.message).toBe(`dependency cycle: ${namespace}/ring -> HelmRelease/${namespace}/ring-release -> ${namespace}/ring`);
  });
});
