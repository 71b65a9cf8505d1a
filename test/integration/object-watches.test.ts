// Health checks read live objects from one watch per kind and cluster target: against
// the real API server, a wait is woken by the change it waits for, looks cost no
// requests once the kind is watched, every page of a kind is listed, and a kind the
// identity may not list, or whose health is its existence (Secrets above all), is read
// by GETs instead.
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
  // Leases: a kind with nothing but a spec, watched like any kind with a status.
  const leaseRef = (name: string, inNamespace = namespace) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: inNamespace, name });
  const lease = (name: string, holder: string, inNamespace = namespace): KubernetesObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: inNamespace },
    spec: { holderIdentity: holder },
  });
  const holderOf = (object: KubernetesObject | undefined) => (object?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
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
    const ref = leaseRef('app');
    expect(await live.get(ref)).toBeUndefined();

    const created = live.nextChange([ref], untilChange);
    await apply(lease('app', 'one'));
    await created;
    const first = await live.get(ref);
    expect(first).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'one' } });
    // A cache of a kind keeps what health checks read, not the field managers.
    expect(first?.metadata.managedFields).toBeUndefined();

    const changed = live.nextChange([ref], untilChange);
    await apply(lease('app', 'two'));
    await changed;
    expect(holderOf(await live.get(ref))).toBe('two');

    const deleted = live.nextChange([ref], untilChange);
    await kube.delete(ref);
    await deleted;
    expect(await live.get(ref)).toBeUndefined();
  });

  it('is not woken by changes to objects it does not wait for', async () => {
    const live = await clusters.liveObjectsFor(own);
    let woken = false;
    const abort = new AbortController();
    const waiting = live.nextChange([leaseRef('quiet')], untilChange, abort.signal).then(() => (woken = true));
    const other = live.nextChange([leaseRef('noisy')], untilChange);
    await apply(lease('noisy', 'one'));
    await other;
    expect(woken).toBe(false);
    abort.abort();
    await waiting;
  });

  it('answers looks from the watch, without a request to the API server', async () => {
    const live = await clusters.liveObjectsFor(own);
    await Promise.all(Array.from({ length: 20 }, (_, i) => apply(lease(`many-${i}`, `holder-${i}`))));
    const refs = Array.from({ length: 20 }, (_, i) => leaseRef(`many-${i}`));
    // Until the watch has delivered every one of them (the applies ran at once, in no order).
    while ((await Promise.all(refs.map((ref) => live.get(ref)))).some((object) => !object)) await live.nextChange(refs, { pollMs: 100, maxMs: 100 });
    const before = requests.total();
    for (let round = 0; round < 10; round += 1) {
      for (let i = 0; i < 20; i += 1) expect(holderOf(await live.get(leaseRef(`many-${i}`)))).toBe(`holder-${i}`);
    }
    expect(requests.total() - before).toBe(0);
  });

  it('lists every page of a kind before it answers', async () => {
    const paged = `${namespace}-paged`;
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: paged } });
    await Promise.all(Array.from({ length: 12 }, (_, i) => apply(lease(`paged-${i}`, `holder-${i}`, paged))));
    // A client whose watches list three objects a page.
    const live = createObjectWatches(kubeConfig, kube, { pageSize: 3 });
    try {
      const found = await Promise.all(Array.from({ length: 12 }, (_, i) => live.get(leaseRef(`paged-${i}`, paged))));
      expect(found.map(holderOf)).toEqual(Array.from({ length: 12 }, (_, i) => `holder-${i}`));
    } finally {
      live.close();
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: paged });
    }
  });

  it('reads Secrets, and other kinds healthy by existing, with a GET, and caches none of them', async () => {
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace }, stringData: { token: 'not to be cached' } });
    const live = await clusters.liveObjectsFor(own);
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace, name: 'token' };
    const before = requests.total();
    expect((await live.get(ref))?.metadata.name).toBe('token');
    expect((await live.get(ref))?.metadata.name).toBe('token');
    // Two looks, two GETs: no list or watch of every Secret of the cluster.
    expect(requests.total() - before).toBe(2);
    // Between looks, the wait sleeps the poll interval: no watch would wake it.
    await live.nextChange([ref], { pollMs: 50, maxMs: 600_000 });
  });

  it('reads a kind its identity may not list with GETs', async () => {
    // A ServiceAccount that may get Leases of this namespace only: it cannot watch Leases
    // cluster-wide.
    await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace } });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'get-leases', namespace },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] }],
    } as KubernetesObject);
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'get-leases' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    } as KubernetesObject);
    await apply(lease('visible', 'seen by GET'));
    const live = await clusters.liveObjectsFor({ namespace, serviceAccountName: 'reader' });
    expect(holderOf(await live.get(leaseRef('visible')))).toBe('seen by GET');
    // Each look is a GET, and the wait between looks is the poll interval.
    const before = requests.total();
    await live.nextChange([leaseRef('visible')], { pollMs: 50, maxMs: 600_000 });
    expect(holderOf(await live.get(leaseRef('visible')))).toBe('seen by GET');
    expect(requests.total() - before).toBe(1);
  });
});
