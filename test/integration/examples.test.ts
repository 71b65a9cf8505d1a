// The example repository (examples/), bootstrapped as a user does it: the repository
// pushed to Git, the objects `kimbernetes bootstrap git` makes (the same as the
// repository's gotk-sync.yaml) applied, and the rest left to the engine: the root
// Kustomization applies the layer Kustomizations, the watcher starts their loops, the
// layers become Ready in dependsOn order, a commit that removes an application prunes
// it, and deleting the root removes everything.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { syncManifests } from '../../cli/sync-manifests.js';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import { referenceOfEntry } from '../../domain/inventory.js';
import { readKustomizationSpec } from '../../domain/kustomization-spec.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { renderKustomization, type BuildInputs } from '../../kustomize/render.js';
import { startDiscovery } from '../../workers/discovery.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import type { Watcher } from '../../workers/watcher.js';
import { loadKubeConfig } from '../../kube/client.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
/** The URL the example's gotk-sync.yaml carries until bootstrap writes the real one. */
const placeholderUrl = 'https://git.example.com/fleet.git';
const layers = ['loadbalancer', 'infrastructure', 'applications', 'site'] as const;

/** Every file below `dir`, by its path relative to `dir`. */
function filesBelow(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = readFileSync(path, 'utf8');
  }
  return files;
}

type DeploymentObject = KubernetesObject & {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
};

describe('the example repository', () => {
  let workers: TestWorkers;
  let watcher: Watcher;
  let appsWatcher: Watcher;
  let repository: TestRepository;
  let taskQueuePrefix: string;
  // Bootstrapping writes to flux-system, and other test files bootstrap too: this file's
  // Flux objects live in a namespace of their own, as `bootstrap --namespace` would put them.
  const flux = `flux-system-${uniqueSuffix()}`;
  const kustomizations = ['flux-system', ...layers];
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const source = { kind: 'GitRepository' as const, namespace: flux, name: 'flux-system' };
  const status = async (name: string) => ((await workers.objects.get(ks(name)))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const sourceRevision = async () => ((await workers.objects.get(source))?.status as { artifact?: { revision: string } } | undefined)?.artifact?.revision;
  const get = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => workers.kube.get({ apiVersion, kind, namespace, name });

  /** The example as bootstrap leaves it in the user's repository: its URL and namespace in the sync objects. */
  function bootstrapped(files: Record<string, string>): Record<string, string> {
    const sync = files['cluster/dev/flux-system/gotk-sync.yaml'];
    expect(sync).toContain(`url: ${placeholderUrl}`);
    return Object.fromEntries(
      Object.entries(files).map(([path, text]) => [
        path,
        // The sync objects, and the HelmRelease whose chart is in the repository (its sourceRef names the namespace).
        path.startsWith('cluster/') || path.endsWith('helmrelease.yaml') ? text.replaceAll(placeholderUrl, repository.fileUrl).replaceAll('namespace: flux-system', `namespace: ${flux}`) : text,
      ]),
    );
  }

  /** Waits until every Kustomization applied `revision`; returns the order in which they became Ready on it. */
  async function allReadyAt(revision: string, timeoutMs: number): Promise<string[]> {
    const order: string[] = [];
    await eventually(
      async () => {
        for (const name of kustomizations) {
          const s = await status(name);
          if (!order.includes(name) && ready(s)?.status === 'True' && s.lastAppliedRevision === revision) order.push(name);
        }
        return order;
      },
      (seen) => seen.length === kustomizations.length,
      { what: `every Kustomization Ready at ${revision}`, timeoutMs },
    );
    return order;
  }

  /** Every object of a kind that the layers applied, from their inventories. */
  async function inventoried(kind: string): Promise<{ apiVersion: string; kind: string; namespace?: string; name: string }[]> {
    const refs = [];
    for (const layer of layers) {
      for (const entry of (await status(layer)).inventory?.entries ?? []) {
        const ref = referenceOfEntry(entry);
        if (ref.kind === kind) refs.push(ref);
      }
    }
    return refs;
  }

  /** Checks every Kustomization of every cluster against the CRD and renders each layer, as the controller would. */
  async function renderEveryLayer(root: string): Promise<void> {
    const inputs: BuildInputs = { readSecret: async () => undefined, readConfigMap: async () => undefined };
    for (const cluster of ['dev', 'prod']) {
      // The sync objects are the ones `kimbernetes bootstrap git --path ./cluster/<env>` applies.
      const sync = parseAllDocuments(readFileSync(join(root, 'cluster', cluster, 'flux-system', 'gotk-sync.yaml'), 'utf8')).map((document) => document.toJS() as KubernetesObject);
      const bootstrap = syncManifests({ name: 'flux-system', namespace: 'flux-system', url: placeholderUrl, branch: 'main', path: `./cluster/${cluster}`, interval: '1m0s' });
      expect(sync).toEqual(bootstrap.filter((object) => object.kind !== 'Namespace'));
      const objects = Object.entries(filesBelow(join(root, 'cluster', cluster)))
        .filter(([path]) => path.endsWith('.yaml') && !path.endsWith('kustomization.yaml'))
        .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as KubernetesObject));
      const layerObjects = objects.filter((object) => object.kind === 'Kustomization');
      expect(layerObjects.map((object) => object.metadata.name).sort()).toEqual([...kustomizations].sort());
      for (const object of layerObjects) {
        const reading = readKustomizationSpec(object.spec, specSchemaFor(object.apiVersion, object.kind)!);
        if (!reading.ok) throw new Error(`cluster/${cluster} Kustomization ${object.metadata.name}: ${reading.message}`);
        if (object.metadata.name !== 'flux-system') expect(reading.spec.path).toBe(`./overlays/${cluster}/${object.metadata.name}`);
        const rendering = await renderKustomization({ root, spec: reading.spec, ref: ks(object.metadata.name), inputs });
        if (!rendering.ok) throw new Error(`cluster/${cluster} Kustomization ${object.metadata.name}: ${rendering.message}`);
        expect(rendering.objects.length).toBeGreaterThan(0);
      }
    }
  }

  beforeAll(async () => {
    workers = await startTestWorkers('examples', [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm], { namespace: flux });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const shared = sharedEnvironment();
    watcher = await startDiscovery(
      { address: shared.temporalAddress, namespace: shared.temporalNamespace },
      loadKubeConfig(shared.kubeconfigPath),
      [TaskQueue.Source, TaskQueue.Kustomize, TaskQueue.Helm],
      { namespace: flux, taskQueuePrefix },
    );
    // The applications' HelmRelease lives in their namespace: a worker watching every
    // namespace would see it; this file's watchers stay off other files' objects.
    appsWatcher = await startDiscovery(
      { address: shared.temporalAddress, namespace: shared.temporalNamespace },
      loadKubeConfig(shared.kubeconfigPath),
      [TaskQueue.Helm],
      { namespace: 'apps', taskQueuePrefix },
    );
    repository = new TestRepository(newGitRoot(), 'fleet');
  });

  afterAll(async () => {
    // Whatever the root's deletion left behind (a test that failed before it).
    for (const name of ['apps', 'website', 'monitoring', 'loadbalancer', flux]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    await workers?.kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'addresspools.loadbalancer.example.com' });
    await workers?.kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'prometheus' });
    await workers?.kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'prometheus' });
    await watcher?.stop();
    await appsWatcher?.stop();
    await workers?.stop();
  });

  it('has the sync objects bootstrap writes and valid Kustomizations in every cluster, each layer building with its variables', async () => {
    const work = mkdtempSync(join(tmpdir(), 'kimbernetes-examples-'));
    const root = join(work, 'source');
    cpSync(examplesDir, root, { recursive: true });
    try {
      await renderEveryLayer(root);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('bootstraps: every layer Ready in dependsOn order, every Deployment Available', async () => {
    const files = bootstrapped(filesBelow(examplesDir));
    const commit = repository.commit(files, 'the example repository');
    // What `kimbernetes bootstrap git --url <fleet> --path ./cluster/dev` applies: the namespace and the sync objects.
    for (const object of syncManifests({ name: 'flux-system', namespace: flux, url: repository.fileUrl, branch: 'main', path: './cluster/dev', interval: '1m0s' })) {
      await workers.kube.apply(object, { fieldManager: 'kimbernetes' });
    }

    const revision = `main@sha1:${commit}`;
    const order = await allReadyAt(revision, 150_000);
    expect(order).toEqual(kustomizations);
    expect(await sourceRevision()).toBe(revision);
    // Ready lastTransitionTimes (second resolution) follow the chain too.
    const readySince = await Promise.all(layers.map(async (layer) => Date.parse(ready(await status(layer))!.lastTransitionTime!)));
    expect([...readySince].sort((a, b) => a - b)).toEqual(readySince);
    for (const layer of layers) expect(findCondition((await status(layer)).conditions, 'Healthy')?.status).toBe('True');

    // The root applied the sync objects and the layers, nothing else.
    const root = await status('flux-system');
    expect(root.inventory?.entries.map((entry) => entry.id).sort()).toEqual(
      [`${flux}_flux-system_source.toolkit.fluxcd.io_GitRepository`, ...kustomizations.map((name) => `${flux}_${name}_kustomize.toolkit.fluxcd.io_Kustomization`)].sort(),
    );

    const deployments = await inventoried('Deployment');
    expect(deployments.map((d) => `${d.namespace}/${d.name}`).sort()).toEqual(['apps/podinfo', 'monitoring/prometheus', 'website/website']);
    // The cache is a HelmRelease of the repository's own chart, its values patched for dev;
    // the applications layer waited for it to be Ready.
    const release = await workers.objects.get({ kind: 'HelmRelease', namespace: 'apps', name: 'cache' });
    expect(findCondition((release?.status as { conditions?: [] } | undefined)?.conditions, 'Ready')).toMatchObject({ status: 'True', reason: 'InstallSucceeded' });
    expect((await inventoried('HelmRelease')).map((r) => `${r.namespace}/${r.name}`)).toEqual(['apps/cache']);
    const cache = (await get('apps/v1', 'Deployment', 'apps', 'cache')) as DeploymentObject;
    expect(cache.spec.template.spec.containers[0]).toMatchObject({ image: 'redis:7.4-alpine', args: ['--maxmemory', '32mb', '--maxmemory-policy', 'allkeys-lru'] });
    expect(cache.metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'cache', 'meta.helm.sh/release-namespace': 'apps' });
    for (const ref of [...deployments, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'cache' }]) {
      const live = (await workers.kube.get(ref)) as DeploymentObject;
      expect(live.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
      expect(live.status?.availableReplicas).toBe(live.spec.replicas);
    }

    // The dev overlays' patches, images and labels, and the postBuild variables.
    const podinfo = (await get('apps/v1', 'Deployment', 'apps', 'podinfo')) as DeploymentObject;
    expect(podinfo.spec.replicas).toBe(2);
    expect(podinfo.spec.template.spec.containers[0]!.image).toBe('ghcr.io/stefanprodan/podinfo:6.7.1');
    expect(podinfo.metadata.labels).toMatchObject({ environment: 'dev', 'kustomize.toolkit.fluxcd.io/name': 'applications', 'kustomize.toolkit.fluxcd.io/namespace': flux });
    expect(((await get('v1', 'ConfigMap', 'apps', 'podinfo')) as KubernetesObject & { data: Record<string, string> }).data.PODINFO_UI_MESSAGE).toBe('Hello from the dev cluster');
    const ingress = (await get('networking.k8s.io/v1', 'Ingress', 'website', 'website')) as KubernetesObject & { spec: { rules: { host: string }[] } };
    expect(ingress.spec.rules[0]!.host).toBe('www.dev.example.com');
    // The AddressPool CRD of the first layer, a pool of its own and one of a later layer.
    expect(await get('loadbalancer.example.com/v1', 'AddressPool', 'loadbalancer', 'default')).toBeDefined();
    expect(await get('loadbalancer.example.com/v1', 'AddressPool', 'website', 'website')).toBeDefined();
  });

  it('prunes an application removed from Git, and every layer moves to the new revision', async () => {
    const path = 'overlays/dev/applications/kustomization.yaml';
    // The base and the environment's patch of its HelmRelease go together.
    const without = readFileSync(join(examplesDir, path), 'utf8').replace('  - ../../base/cache\n', '').replace('  - path: cache.yaml\n', '');
    expect(without).not.toContain('cache');
    const commit = repository.commit({ [path]: without }, 'retire the cache');
    // As `flux reconcile source git flux-system` would; the layers follow the new revision on their own.
    await reconcileObject(workers.client, source, { taskQueuePrefix });
    await allReadyAt(`main@sha1:${commit}`, 90_000);

    // The pruned HelmRelease's finalizer uninstalls its release.
    await eventually(() => workers.objects.get({ kind: 'HelmRelease', namespace: 'apps', name: 'cache' }), (x) => x === undefined, { what: 'the HelmRelease finalized', timeoutMs: 60_000 });
    expect(await get('apps/v1', 'Deployment', 'apps', 'cache')).toBeUndefined();
    expect(await get('v1', 'Service', 'apps', 'cache')).toBeUndefined();
    expect((await status('applications')).inventory?.entries.some((entry) => entry.id.includes('_cache_'))).toBe(false);
    expect(await get('apps/v1', 'Deployment', 'apps', 'podinfo')).toBeDefined();
    expect(await get('v1', 'Namespace', undefined, 'apps')).toBeDefined();
  });

  it('removes every layer and what it applied when the root Kustomization is deleted', async () => {
    await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name: 'flux-system' });
    for (const name of kustomizations) {
      await eventually(() => workers.objects.get(ks(name)), (object) => object === undefined, { what: `Kustomization ${name} finalized`, timeoutMs: 60_000 });
    }
    expect(await workers.objects.get(source)).toBeUndefined();
    for (const [namespace, name] of [['apps', 'podinfo'], ['monitoring', 'prometheus'], ['website', 'website']] as const) {
      const left = await get('apps/v1', 'Deployment', namespace, name);
      // Pruned, or going with its namespace.
      expect(left === undefined || left.metadata.deletionTimestamp !== undefined).toBe(true);
    }
    const crd = await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'addresspools.loadbalancer.example.com');
    expect(crd === undefined || crd.metadata.deletionTimestamp !== undefined).toBe(true);
  });
});
