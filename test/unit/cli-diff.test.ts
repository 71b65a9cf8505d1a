// What `diff` reports: created, drifted (field by field, Secret values hidden), pruned,
// refused objects; and what it leaves out as the apply would.
import { describe, expect, it } from '@jest/globals';
import { describeChange, fieldChanges, maskedChange } from '../../cli/field-diff.js';
import { diffKustomization, hasDifferences } from '../../cli/kustomization-diff.js';
import { maskedSecret } from '../../cli/secrets.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { inventoryOf } from '../../domain/inventory.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from '../../kube/objects.js';

describe('field changes', () => {
  it('names each changed, added and removed field by its path', () => {
    const before = { spec: { replicas: 1, template: { containers: [{ name: 'web', image: 'web:1' }] } }, metadata: { labels: { 'app.kubernetes.io/name': 'web', old: 'x' } } };
    const after = { spec: { replicas: 2, template: { containers: [{ name: 'web', image: 'web:2' }] } }, metadata: { labels: { 'app.kubernetes.io/name': 'web', new: 'y' } } };
    expect(fieldChanges(before, after)).toEqual([
      { path: 'metadata.labels.new', after: 'y' },
      { path: 'metadata.labels.old', before: 'x' },
      { path: 'spec.replicas', before: 1, after: 2 },
      { path: 'spec.template.containers[0].image', before: 'web:1', after: 'web:2' },
    ]);
    expect(fieldChanges({ a: { 'b.c/d': 1 } }, { a: { 'b.c/d': 2 } })[0]!.path).toBe('a[b.c/d]');
    // Lists that changed length are one change.
    expect(fieldChanges({ ports: [1] }, { ports: [1, 2] })).toEqual([{ path: 'ports', before: [1], after: [1, 2] }]);
    expect(fieldChanges({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });

  it('says a change in one line, never a Secret value', () => {
    expect(describeChange('Deployment', { path: 'spec.replicas', before: 1, after: 2 })).toBe('spec.replicas: 1 → 2');
    expect(describeChange('ConfigMap', { path: 'data.new', after: 'x' })).toBe('data.new: <none> → "x"');
    expect(describeChange('ConfigMap', { path: 'data.long', before: 'x'.repeat(100), after: 'y' })).toBe(`data.long: "${'x'.repeat(76)}... → "y"`);
    expect(describeChange('Secret', { path: 'data.password', before: 'aGk=', after: 'aG8=' })).toBe('data.password: <sensitive value changed>');
    expect(describeChange('Secret', { path: 'stringData', after: { token: 't' } })).toBe('stringData: <sensitive value added>');
    expect(describeChange('Secret', { path: 'metadata.labels.a', before: 'b', after: 'c' })).toBe('metadata.labels.a: "b" → "c"');
    expect(maskedChange('Secret', { path: 'data.password', before: 'aGk=', after: 'aG8=' })).toEqual({ path: 'data.password', before: '*****', after: '*****' });
  });

  it('masks every value of a Secret, and nothing of other objects', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'y' } };
    expect(maskedSecret(secret)).toEqual({ ...secret, data: { a: '*****' }, stringData: { b: '*****' } });
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'x' } };
    expect(maskedSecret(configMap)).toBe(configMap);
  });
});

describe('Kustomization diff', () => {
  const owner = { kind: 'Kustomization' as const, namespace: 'flux-system', name: 'apps' };
  const ownerLabels = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };
  const configMap = (name: string, data: Record<string, string>, metadata: Partial<KubernetesObject['metadata']> = {}, namespace = 'apps'): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: ownerLabels, ...metadata },
    data,
  });

  /** A cluster whose dry-run returns the object as applied over the live one, or what `refuse` says. */
  function cluster(live: KubernetesObject[], refuse: (object: KubernetesObject) => KubeError | undefined = () => undefined): KubeClient & { writes: number } {
    const key = (ref: ObjectReference) => describeReference(ref);
    // Objects in a cluster have a uid (IfNotPresent looks for it, as Flux does).
    const objects = new Map(live.map((object) => [key(referenceOf(object)), { ...object, metadata: { uid: `uid-${object.metadata.name}`, ...object.metadata } }]));
    const fake = {
      writes: 0,
      async get(ref: ObjectReference) {
        return objects.get(key(ref));
      },
      async apply(object: KubernetesObject, options: { dryRun?: boolean }) {
        if (!options.dryRun) fake.writes += 1;
        const refused = refuse(object);
        if (refused) throw refused;
        const before = objects.get(key(referenceOf(object)));
        const uid = before?.metadata.uid ?? `uid-${object.metadata.name}`;
        return { ...object, metadata: { ...object.metadata, uid, resourceVersion: before?.metadata.resourceVersion ?? '1', managedFields: [{ manager: 'x' }] } };
      },
      async delete() {
        fake.writes += 1;
      },
      async setManagedFields() {
        fake.writes += 1;
      },
    };
    return fake;
  }

  it('reports created, drifted and pruned objects, in build order, without writing', async () => {
    const live = [
      configMap('same', { a: '1' }, { resourceVersion: '5' }),
      configMap('changed', { a: '1' }, { resourceVersion: '6' }),
      configMap('gone', { a: '1' }),
      configMap('kept', { a: '1' }, { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } }),
      configMap('foreign', { a: '1' }, { labels: {} }),
    ];
    const kube = cluster(live);
    const built = [configMap('new', { a: '1' }), configMap('changed', { a: '2' }), configMap('same', { a: '1' })];
    const inventory = inventoryOf([...built, ...live.slice(2)]);
    const diff = await diffKustomization(kube, built, { owner, fieldManager: 'kustomize-controller', prune: true, inventory });
    expect(diff).toEqual({
      created: ['ConfigMap/apps/new'],
      changed: [{ object: 'ConfigMap/apps/changed', kind: 'ConfigMap', changes: [{ path: 'data.a', before: '1', after: '2' }] }],
      pruned: ['ConfigMap/apps/gone'],
      failed: [],
    });
    expect(hasDifferences(diff)).toBe(true);
    expect(kube.writes).toBe(0);
    // Without spec.prune nothing would be deleted.
    expect((await diffKustomization(kube, built, { owner, fieldManager: 'kustomize-controller', prune: false, inventory })).pruned).toEqual([]);
  });

  it('leaves out what the apply leaves alone: IfNotPresent, and objects excluded in the cluster', async () => {
    const kube = cluster([configMap('once', { a: '1' }), configMap('ignored', { a: '1' }, { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } })]);
    const built = [configMap('once', { a: '2' }, { annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } }), configMap('ignored', { a: '2' })];
    const diff = await diffKustomization(kube, built, { owner, fieldManager: 'kustomize-controller', prune: false });
    expect(hasDifferences(diff)).toBe(false);
  });

  it('counts objects in a namespace the build creates as created, and reports what the API server refuses', async () => {
    const notFound = new KubeError('apply ConfigMap/new-ns/a: namespaces "new-ns" not found', 404, undefined, false);
    const invalid = new KubeError('apply Service/apps/bad: Service "bad" is invalid: spec.ports[0].port: Invalid value: 99999', 422, undefined, false);
    const kube = cluster([], (object) => (object.metadata.namespace === 'new-ns' ? notFound : object.kind === 'Service' ? invalid : undefined));
    const built: KubernetesObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'new-ns' } },
      configMap('a', { a: '1' }, {}, 'new-ns'),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'apps' } },
    ];
    const diff = await diffKustomization(kube, built, { owner, fieldManager: 'kustomize-controller', prune: false });
    expect(diff.created).toEqual(['Namespace/new-ns', 'ConfigMap/new-ns/a']);
    expect(diff.failed).toEqual(['Service/apps/bad: Service "bad" is invalid: spec.ports[0].port: Invalid value: 99999']);
  });
});
