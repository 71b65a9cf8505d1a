// Taking over a cluster Flux reconciled, the way docs/migrating-from-flux.md describes:
// Flux's objects and status are left as Flux left them (applied by the field manager
// kustomize-controller, inventories, artifacts on Flux's source-controller), the Flux
// Namespace and CRDs are marked `prune: disabled`, gotk-components.yaml leaves Git, and
// the worker pools start (kustomize-controller first, as separate Deployments may).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import { inventoryOf } from '../../domain/inventory.js';
import { readKustomizationSpec } from '../../domain/kustomization-spec.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { stagedApply } from '../../apply/staged-apply.js';
import { loadKubeConfig } from '../../kube/client.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { renderKustomization } from '../../kustomize/render.js';
import { requireBinary } from '../../tools/paths.js';
import { startDiscovery } from '../../workers/discovery.js';
import { kubernetesDependencies } from '../../workers/pools.js';
import type { Watcher } from '../../workers/watcher.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

const run = promisify(execFile);

describe('taking over from Flux', () => {
  const suffix = uniqueSuffix();
  const flux = `flux-system-${suffix}`;
  const apps = `apps-${suffix}`;
  // Stands in for Flux's own CRDs, which the other test files need.
  const crd = `widgets.flux-${suffix}.example.com`;
  const fluxLabels = { 'app.kubernetes.io/instance': flux, 'app.kubernetes.io/part-of': 'flux' };
  const kubeconfig = sharedEnvironment().kubeconfigPath;
  const { kube, objects } = kubernetesDependencies(loadKubeConfig(kubeconfig));
  const kubectl = (...args: string[]) => run(requireBinary('kubectl'), ['--kubeconfig', kubeconfig, ...args]);
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const status = async (name: string) => ((await objects.get(ks(name)))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const get = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => kube.get({ apiVersion, kind, namespace, name });
  let fleet: TestRepository;
  let podinfo: TestRepository;
  const started: { workers: TestWorkers; watcher: Watcher }[] = [];

  const yaml = (...objects: object[]) => objects.map((object) => stringify(object)).join('---\n');
  const kustomization = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: flux },
    spec: { interval: '10m0s', prune: true, ...spec },
  });
  const gitRepository = (name: string, url: string) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace: flux },
    spec: { interval: '1m0s', ref: { branch: 'main' }, url },
  });
  const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: apps }, data: { name } });

  /** What `flux bootstrap` committed: the controllers (a stand-in), the sync objects. */
  const gotkComponents = () =>
    yaml(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux, labels: fluxLabels } },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd, labels: fluxLabels },
        spec: {
          group: `flux-${suffix}.example.com`,
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
          scope: 'Namespaced',
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'source-controller', namespace: flux, labels: fluxLabels },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'source-controller' } },
          template: { metadata: { labels: { app: 'source-controller' } }, spec: { containers: [{ name: 'manager', image: 'ghcr.io/fluxcd/source-controller:v1.7.2' }] } },
        },
      },
    );

  /** Flux's state after reconciling `name` at `revision`: what it applied, and its status. */
  async function asFluxLeftIt(name: string, repository: TestRepository, revision: string): Promise<void> {
    const object = (await objects.get(ks(name)))!;
    const reading = readKustomizationSpec(object.spec, specSchemaFor(object.apiVersion, object.kind)!);
    if (!reading.ok) throw new Error(reading.message);
    const work = mkdtempSync(join(tmpdir(), 'kimbernetes-flux-'));
    try {
      cpSync(repository.work, join(work, 'source'), { recursive: true, filter: (path) => !path.endsWith('/.git') });
      const inputs = { readSecret: async () => undefined, readConfigMap: async () => undefined };
      const rendering = await renderKustomization({ root: join(work, 'source'), spec: reading.spec, ref: ks(name), inputs });
      if (!rendering.ok) throw new Error(rendering.message);
      await stagedApply(kube, rendering.objects, { fieldManager: 'kustomize-controller', force: false });
      const generation = object.metadata.generation;
      const readyCondition = { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}`, observedGeneration: generation, lastTransitionTime: new Date().toISOString() };
      await objects.patchStatus(ks(name), { observedGeneration: generation, lastAppliedRevision: revision, lastAttemptedRevision: revision, inventory: inventoryOf(rendering.objects), conditions: [readyCondition] });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** A GitRepository's status as Flux's source-controller left it: its artifact on that controller's Service. */
  async function artifactOnFlux(name: string, revision: string): Promise<void> {
    const ref = { kind: 'GitRepository' as const, namespace: flux, name };
    const path = `gitrepository/${flux}/${name}/${revision.split(':')[1]}.tar.gz`;
    const condition = (type: string) => ({ type, status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${revision}'`, lastTransitionTime: new Date().toISOString() });
    await objects.patchStatus(ref, {
      observedGeneration: (await objects.get(ref))!.metadata.generation,
      artifact: { path, url: `http://source-controller.${flux}.svc.cluster.local./${path}`, revision, digest: `sha256:${'0'.repeat(64)}`, lastUpdateTime: new Date().toISOString(), size: 1024 },
      conditions: [condition('Ready'), condition('ArtifactInStorage')],
    });
  }

  async function startPool(pool: TaskQueue, taskQueuePrefix?: string): Promise<TestWorkers> {
    const pools = await startTestWorkers('flux-takeover', [pool], { namespace: flux, taskQueuePrefix });
    const prefix = pools.taskQueue(pool).slice(0, -pool.length);
    const shared = sharedEnvironment();
    const watcher = await startDiscovery({ address: shared.temporalAddress, namespace: shared.temporalNamespace }, loadKubeConfig(shared.kubeconfigPath), [pool], { namespace: flux, taskQueuePrefix: prefix });
    started.push({ workers: pools, watcher });
    return pools;
  }

  beforeAll(async () => {
    const root = newGitRoot();
    fleet = new TestRepository(root, 'fleet');
    podinfo = new TestRepository(root, 'podinfo');
    const fleetCommit = fleet.commit({
      'cluster/flux-system/gotk-components.yaml': gotkComponents(),
      'cluster/flux-system/gotk-sync.yaml': yaml(gitRepository('flux-system', fleet.fileUrl), kustomization('flux-system', { path: './cluster', sourceRef: { kind: 'GitRepository', name: 'flux-system' } })),
      'cluster/flux-system/kustomization.yaml': 'resources: [gotk-components.yaml, gotk-sync.yaml]\n',
      'cluster/apps.yaml': yaml(kustomization('apps', { path: './apps', sourceRef: { kind: 'GitRepository', name: 'flux-system' } })),
      'cluster/podinfo.yaml': yaml(gitRepository('podinfo', podinfo.fileUrl), kustomization('podinfo', { path: './', sourceRef: { kind: 'GitRepository', name: 'podinfo' } })),
      'apps/namespace.yaml': yaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: apps } }),
      'apps/kept.yaml': yaml(configMap('kept')),
      'apps/retired.yaml': yaml(configMap('retired')),
    });
    const podinfoCommit = podinfo.commit({ 'configmap.yaml': yaml(configMap('podinfo')) });

    // Flux's bootstrap applied the root; Flux's controllers applied everything else.
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'flux' });
    await kube.apply(kustomization('flux-system', { path: './cluster', sourceRef: { kind: 'GitRepository', name: 'flux-system' } }), { fieldManager: 'flux' });
    await asFluxLeftIt('flux-system', fleet, `main@sha1:${fleetCommit}`);
    await asFluxLeftIt('apps', fleet, `main@sha1:${fleetCommit}`);
    await asFluxLeftIt('podinfo', podinfo, `main@sha1:${podinfoCommit}`);
    await artifactOnFlux('flux-system', `main@sha1:${fleetCommit}`);
    await artifactOnFlux('podinfo', `main@sha1:${podinfoCommit}`);
  });

  afterAll(async () => {
    for (const name of [apps, flux]) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    await kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd });
    // The Kustomizations' finalizers need the pools, or the namespace would stay Terminating.
    if (started.length > 0) await eventually(() => objects.get(ks('flux-system')), (object) => object === undefined, { what: 'the root finalized', timeoutMs: 30_000 });
    for (const { watcher } of started) await watcher.stop();
    for (const { workers: pools } of started) await pools.stop();
  });

  it('prunes the Flux controllers and what left Git since Flux last applied, keeping the Namespace and CRDs marked prune: disabled', async () => {
    // The guide's steps, with kubectl as a user runs them.
    await kubectl('annotate', 'namespace', flux, 'kustomize.toolkit.fluxcd.io/prune=disabled');
    await kubectl('annotate', 'crd', '-l', `app.kubernetes.io/instance=${flux}`, 'kustomize.toolkit.fluxcd.io/prune=disabled');
    const commit = fleet.commit(
      { 'cluster/flux-system/gotk-components.yaml': null, 'cluster/flux-system/kustomization.yaml': 'resources: [gotk-sync.yaml]\n', 'apps/retired.yaml': null },
      'Kimbernetes instead of the Flux controllers',
    );
    // The kustomize-controller pool first: its first reconciles cannot fetch from Flux's
    // source-controller and fail. The source pool then stores the new commit and wakes them.
    const kustomizePool = await startPool(TaskQueue.Kustomize);
    for (const name of ['flux-system', 'apps', 'podinfo']) {
      await eventually(() => status(name), (s) => ready(s)?.reason === 'ArtifactFailed', { what: `${name} failing on the artifact Flux stored` });
    }
    await startPool(TaskQueue.Source, kustomizePool.taskQueue(TaskQueue.Kustomize).slice(0, -TaskQueue.Kustomize.length));

    for (const name of ['flux-system', 'apps']) {
      await eventually(() => status(name), (s) => ready(s)?.status === 'True' && s.lastAppliedRevision === `main@sha1:${commit}`, { what: `${name} Ready at the new commit`, timeoutMs: 90_000 });
    }
    expect(await get('apps/v1', 'Deployment', flux, 'source-controller')).toBeUndefined();
    expect(await get('v1', 'ConfigMap', apps, 'retired')).toBeUndefined();
    expect(await get('v1', 'ConfigMap', apps, 'kept')).toBeDefined();
    const namespace = await get('v1', 'Namespace', undefined, flux);
    expect(namespace?.metadata.deletionTimestamp).toBeUndefined();
    expect(await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, crd)).toBeDefined();
    // Flux and Kimbernetes apply as the same field manager: nothing to take over, no conflict.
    const kept = await get('v1', 'ConfigMap', apps, 'kept');
    expect([...new Set((kept?.metadata.managedFields as { manager: string }[]).map((entry) => entry.manager))]).toEqual(['kustomize-controller']);
  });

  // The source re-stores the revision Flux had stored, at a new URL: that wakes its
  // Kustomizations too, instead of leaving them to their retryInterval.
  it('recovers a Kustomization whose source revision did not change, without waiting for its retryInterval', async () => {
    await eventually(() => status('podinfo'), (s) => ready(s)?.status === 'True', { what: 'podinfo Ready after the takeover', timeoutMs: 30_000 });
  });
});
