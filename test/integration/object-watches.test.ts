// Health checks read live objects from one watch per kind and cluster target: against
// the real API server, a wait is woken by the change it waits for, looks cost no
// requests once the kind is watched, and a kind the identity may not list is read by
// GETs instead of failing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadKubeConfig } from '../../kube/client.js';
import { createClusterTargets, type ClusterTargets } from '../../kube/targets.js';
import { countRequestsTo } from '../../kube/request-count.js';
import { createObjectWatches } from '../../kube/object-watches.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { uniqueSuffix } from '../harness/test-workers.js';

describe('object watches', () => {
  const kubeConfig = loadKubeConfig(sharedEnvironment().kubeconfigPath);
  const clusters: ClusterTargets = createClusterTargets({ kubeConfig, readSecret: async () => undefined });
  const kube = clusters.local;
  const requests = countRequestsTo(kubeConfig.getCurrentCluster()!.server);
  const namespace = `watches-${uniqueSuffix()}`;
  const own = { namespace };
  const configMapRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  const configMap = (name: string, data: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
  const apply = (object: KubernetesObject) => kube.apply(object, { fieldManager: 'test' });
  /** a wait that no timer ends within the test: only a change (or the signal) can */
  const untilChange = { pollMs: 600_000, maxMs: 600_000 };

  beforeAll(async () => {
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });
  afterAll(async () => {
    clusters.close();
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  });

  it('wakes a wait when its object is created, changed and deleted, and sees each state', async () => {
    const live = await clusters.liveObjectsFor(own);
    const ref = configMapRef('app');
    expect(await live.get(ref)).toBeUndefined();

    const created = live.nextChange([ref], untilChange);
    await apply(configMap('app', { version: '1' }));
    await created;
    const first = await live.get(ref);
    expect(first).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { version: '1' } });
    // A cache of a kind keeps what health checks read, not the field managers.
    expect(first?.metadata.managedFields).toBeUndefined();

    const changed = live.nextChange([ref], untilChange);
    await apply(configMap('app', { version: '2' }));
    await changed;
    expect((await live.get(ref))?.data).toEqual({ version: '2' });

    const deleted = live.nextChange([ref], untilChange);
    await kube.delete(ref);
    await deleted;
    expect(await live.get(ref)).toBeUndefined();
  });

  it('is not woken by changes to objects it does not wait for', async () => {
    const live = await clusters.liveObjectsFor(own);
    let woken = false;
    const abort = new AbortController();
    const waiting = live.nextChange([configMapRef('quiet')], untilChange, abort.signal).then(() => (woken = true));
    const other = live.nextChange([configMapRef('noisy')], untilChange);
    await apply(configMap('noisy', { n: '1' }));
    await other;
    expect(woken).toBe(false);
    abort.abort();
    await waiting;
  });

  it('answers looks from the watch, without a request to the API server', async () => {
    const live = await clusters.liveObjectsFor(own);
    await Promise.all(Array.from({ length: 20 }, (_, i) => apply(configMap(`many-${i}`, { i: String(i) }))));
    const last = configMapRef('many-19');
    // Until the watch has delivered the last of them.
    while (!(await live.get(last))) await live.nextChange([last], { pollMs: 100, maxMs: 100 });
    const before = requests.total();
    for (let round = 0; round < 10; round += 1) {
      for (let i = 0; i < 20; i += 1) expect((await live.get(configMapRef(`many-${i}`)))?.data).toEqual({ i: String(i) });
    }
    expect(requests.total() - before).toBe(0);
  });

  it('lists every page of a kind before it answers', async () => {
    const paged = `${namespace}-paged`;
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: paged } });
    await Promise.all(Array.from({ length: 12 }, (_, i) => apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `paged-${i}`, namespace: paged }, data: { i: String(i) } })));
    // A kind no watch of this client follows yet, listed three objects a page.
    const live = createObjectWatches(kubeConfig, kube, { pageSize: 3 });
    try {
      const found = await Promise.all(Array.from({ length: 12 }, (_, i) => live.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: paged, name: `paged-${i}` })));
      expect(found.map((object) => object?.data)).toEqual(Array.from({ length: 12 }, (_, i) => ({ i: String(i) })));
    } finally {
      live.close();
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: paged });
    }
  });

  it('reads a kind its identity may not list with GETs', async () => {
    // A ServiceAccount that may get ConfigMaps of this namespace only: it cannot watch
    // ConfigMaps cluster-wide.
    await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace } });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'get-configmaps', namespace },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    } as KubernetesObject);
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'get-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    } as KubernetesObject);
    await apply(configMap('visible', { seen: 'by GET' }));
    const live = await clusters.liveObjectsFor({ namespace, serviceAccountName: 'reader' });
    expect((await live.get(configMapRef('visible')))?.data).toEqual({ seen: 'by GET' });
    // Each look is a GET, and the wait between looks is the poll interval.
    const before = requests.total();
    await live.nextChange([configMapRef('visible')], { pollMs: 50, maxMs: 600_000 });
    expect((await live.get(configMapRef('visible')))?.data).toEqual({ seen: 'by GET' });
    expect(requests.total() - before).toBe(1);
  });
});
