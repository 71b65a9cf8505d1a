// The staged apply, its inventory and prune against the real API server, as Flux's ssa
// package does them: webhooks registered after what they guard, markers read from
// labels and annotations in any case, inventory IDs as the server names each object and
// as cli-utils writes them (so a Flux inventory is taken over without pruning anything
// just applied), and a prune that carries on past a refused delete.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadKubeConfig } from '../../kube/client.js';
import { createClusterTargets } from '../../kube/targets.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { stagedApply } from '../../apply/staged-apply.js';
import { pruneStale, withUndeleted } from '../../apply/prune.js';
import { ownerLabels } from '../../apply/markers.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { uniqueSuffix } from '../harness/test-workers.js';

describe('staged apply', () => {
  const kubeConfig = loadKubeConfig(sharedEnvironment().kubeconfigPath);
  const clusters = createClusterTargets({ kubeConfig, readSecret: async () => undefined });
  const kube = clusters.local;
  const suffix = uniqueSuffix();
  const namespace = `staged-${suffix}`;
  const owner = { kind: 'Kustomization' as const, namespace: 'flux-system', name: `apps-${suffix}` };
  const labels = { [ownerLabels.name]: owner.name, [ownerLabels.namespace]: owner.namespace };
  const options = { fieldManager: 'kustomize-controller', force: false };
  const configMap = (name: string, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { ...labels, ...metadata.labels }, annotations: metadata.annotations },
    data: { from: 'git' },
  });
  const get = (name: string) => kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  /** A webhook no server answers, failing closed, for `operations` on ConfigMaps of this test's namespace only. */
  const webhook = (name: string, operations: string[], objectSelector?: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name, labels },
    webhooks: [
      {
        name: 'guard.example.com',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 2,
        clientConfig: { service: { namespace, name: 'guard', port: 443 } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        ...(objectSelector ? { objectSelector } : {}),
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations, resources: ['configmaps'] }],
      },
    ],
  });
  const webhooks: string[] = [];
  const crds: string[] = [];

  beforeAll(async () => {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
  });
  afterAll(async () => {
    for (const name of webhooks) await kube.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name });
    for (const name of crds) await kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    clusters.close();
  });

  it("applies a CRD's x-kubernetes-* schema fields as written, so its custom resources keep what the schema admits", async () => {
    const group = `verbatim-${suffix}.example.com`;
    const crd: KubernetesObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gizmos.${group}`, labels },
      spec: {
        group,
        names: { kind: 'Gizmo', plural: 'gizmos', singular: 'gizmo' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { port: { 'x-kubernetes-int-or-string': true }, settings: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    const gizmo: KubernetesObject = { apiVersion: `${group}/v1`, kind: 'Gizmo', metadata: { name: 'one', namespace, labels }, spec: { port: 'http', settings: { colour: 'blue', sizes: [1, 2] } } };
    crds.push(crd.metadata.name);
    await stagedApply(kube, [crd, gizmo], options);
    const schema = ((await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name })) as unknown as { spec: { versions: { schema: unknown }[] } }).spec.versions[0]!.schema;
    expect(schema).toEqual((crd as unknown as { spec: { versions: { schema: unknown }[] } }).spec.versions[0]!.schema);
    expect(((await kube.get({ apiVersion: `${group}/v1`, kind: 'Gizmo', namespace, name: 'one' })) as { spec?: unknown } | undefined)?.spec).toEqual(gizmo.spec);
  });

  it('registers a failing-closed webhook after what it guards, so the first apply goes through', async () => {
    const name = `guard-create-${suffix}`;
    webhooks.push(name);
    const { changes } = await stagedApply(kube, [webhook(name, ['CREATE']), configMap('guarded')], options);
    expect(await get('guarded')).toBeDefined();
    expect(changes.at(-1)).toBe(`ValidatingWebhookConfiguration/${name} created`);
    // It would refuse every later create in the namespace.
    await kube.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name });
  });

  it('reads markers as labels or annotations in any case: reconcile disabled in Git is not created, ssa ignore in the cluster is not applied, and neither is inventoried or pruned', async () => {
    await kube.apply({ ...configMap('edited-by-hand', { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'ignore' } }), data: { from: 'hand' } }, { fieldManager: 'kubectl' });
    const built = [configMap('disabled', { labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' } }), configMap('edited-by-hand')];
    const { inventory, skipped } = await stagedApply(kube, built, options);
    expect(await get('disabled')).toBeUndefined();
    expect((await get('edited-by-hand'))?.data).toEqual({ from: 'hand' });
    // Skipped objects stay out of the inventory, as Flux filters them from its change set,
    // and out of what prune may delete.
    expect(inventory.entries).toEqual([]);
    expect(skipped.entries.map((entry) => entry.id)).toEqual([`${namespace}_disabled__ConfigMap`, `${namespace}_edited-by-hand__ConfigMap`]);
    const previous = { entries: [{ id: `${namespace}_edited-by-hand__ConfigMap`, v: 'v1' }] };
    expect(await pruneStale(kube, previous, inventory, owner, skipped)).toEqual({ deleted: [], deletedObjects: [], failed: [] });
    expect(await get('edited-by-hand')).toBeDefined();
  });

  it('writes inventory IDs as the server names objects and cli-utils encodes them, and takes a Flux inventory over without pruning', async () => {
    const role: KubernetesObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      // kustomize gives a namespace to what it does not know is cluster-scoped; the server drops it.
      metadata: { name: `system:reader-${suffix}`, namespace, labels },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    };
    const { inventory } = await stagedApply(kube, [role, configMap('plain')], options);
    const roleId = `_system__reader-${suffix}_rbac.authorization.k8s.io_ClusterRole`;
    expect(inventory.entries).toEqual([
      { id: roleId, v: 'v1' },
      { id: `${namespace}_plain__ConfigMap`, v: 'v1' },
    ]);
    // The inventory Flux left for the same objects, written by hand in its documented format.
    const fluxInventory = { entries: [{ id: roleId, v: 'v1' }, { id: `${namespace}_plain__ConfigMap`, v: 'v1' }] };
    const { deleted, failed } = await pruneStale(kube, fluxInventory, inventory, owner);
    expect({ deleted, failed }).toEqual({ deleted: [], failed: [] });
    expect(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `system:reader-${suffix}` })).toBeDefined();
    await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `system:reader-${suffix}` });
  });

  it('names a kind the server does not serve as kubectl does, never as a bare 404', async () => {
    const widget: KubernetesObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace, labels } };
    const nonsense: KubernetesObject = { apiVersion: 'apps/v1', kind: 'Nonsense', metadata: { name: 'n', namespace, labels } };
    const failure = await stagedApply(kube, [widget, nonsense], options).then(() => 'applied', (error: Error) => error.message);
    expect(failure.split('\n').sort()).toEqual([
      `Nonsense/${namespace}/n dry-run failed: no matches for kind "Nonsense" in version "apps/v1"`,
      `Widget/${namespace}/w dry-run failed: no matches for kind "Widget" in version "example.com/v1"`,
    ]);
    // Such an object cannot exist: a health check on it waits for it as for any missing object, until its timeout.
    expect(await kube.get({ apiVersion: 'apps/v1', kind: 'Nonsense', namespace, name: 'n' })).toBeUndefined();
    expect(await kube.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace, name: 'w' })).toBeUndefined();
  });

  it('prunes past a refused delete, keeps the refused object in the inventory, and keeps prune: disabled as a label', async () => {
    const stale = [configMap('stale-a'), configMap('stale-locked', { labels: { locked: 'yes' } }), configMap('stale-b'), configMap('stale-kept', { labels: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } })];
    const { inventory: previous } = await stagedApply(kube, stale, options);
    const name = `guard-delete-${suffix}`;
    webhooks.push(name);
    await kube.apply(webhook(name, ['DELETE'], { matchLabels: { locked: 'yes' } }), { fieldManager: 'test' });
    const next = { entries: [] };
    const { deleted, failed } = await pruneStale(kube, previous, next, owner);
    expect(deleted.sort()).toEqual([`ConfigMap/${namespace}/stale-a deleted`, `ConfigMap/${namespace}/stale-b deleted`]);
    expect(failed.map((failure) => failure.entry.id)).toEqual([`${namespace}_stale-locked__ConfigMap`]);
    expect(failed[0]!.message).toContain('stale-locked');
    expect(await get('stale-locked')).toBeDefined();
    expect(await get('stale-kept')).toBeDefined();
    expect(withUndeleted(next, failed).entries.map((entry) => entry.id)).toEqual([`${namespace}_stale-locked__ConfigMap`]);
  });
});
