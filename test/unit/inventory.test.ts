// The inventory of a Kustomization and what prune may delete.
import { describe, expect, it } from '@jest/globals';
import { entryOf, inventoryOf, referenceOfEntry, staleEntries } from '../../domain/inventory.js';
import { applyStages, ApplyStage, pruneOrder, rankRuns, stageOf } from '../../domain/apply-order.js';

const object = (apiVersion: string, kind: string, name: string, namespace?: string) => ({ apiVersion, kind, metadata: { name, namespace } });

describe('inventory', () => {
  it('writes entries in Flux\'s format', () => {
    expect(entryOf(object('apps/v1', 'Deployment', 'web', 'apps'))).toEqual({ id: 'apps_web_apps_Deployment', v: 'v1' });
    expect(entryOf(object('v1', 'Namespace', 'apps'))).toEqual({ id: '_apps__Namespace', v: 'v1' });
  });

  it('reads an entry back as a reference', () => {
    expect(referenceOfEntry({ id: 'apps_web_apps_Deployment', v: 'v1' })).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' });
    expect(referenceOfEntry({ id: '_apps__Namespace', v: 'v1' })).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'apps' });
  });

  it('writes a colon in a name as cli-utils does, and reads Flux\'s IDs back exactly', () => {
    // cli-utils ObjMetadata.String transcodes ':' as '__'; ParseObjMetadata reads the namespace up to the
    // first '_', kind and group from the end.
    expect(entryOf(object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:controller:flux'))).toEqual({ id: '_system__controller__flux_rbac.authorization.k8s.io_ClusterRole', v: 'v1' });
    expect(referenceOfEntry({ id: '_system__controller__flux_rbac.authorization.k8s.io_ClusterRole', v: 'v1' })).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      name: 'system:controller:flux',
    });
    expect(referenceOfEntry({ id: 'kube-system_extension-apiserver-authentication__reader_rbac.authorization.k8s.io_RoleBinding', v: 'v1' })).toMatchObject({
      namespace: 'kube-system',
      name: 'extension-apiserver-authentication:reader',
    });
    expect(() => referenceOfEntry({ id: 'apps_web_extra_apps_Deployment', v: 'v1' })).toThrow("inventory entry 'apps_web_extra_apps_Deployment' has too many fields");
    expect(() => referenceOfEntry({ id: 'apps_web_Deployment', v: 'v1' })).toThrow("inventory entry 'apps_web_Deployment' is not namespace_name_group_kind");
    expect(() => referenceOfEntry({ id: 'nonsense', v: 'v1' })).toThrow("inventory entry 'nonsense' is not namespace_name_group_kind");
  });

  it('finds what is gone, not what changed version', () => {
    const before = inventoryOf([object('autoscaling/v1', 'HorizontalPodAutoscaler', 'web', 'apps'), object('v1', 'ConfigMap', 'old', 'apps')]);
    const after = inventoryOf([object('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', 'apps')]);
    expect(staleEntries(before, after)).toEqual([{ id: 'apps_old__ConfigMap', v: 'v1' }]);
    expect(staleEntries(undefined, after)).toEqual([]);
  });
});

describe('staged apply', () => {
  it('applies CRDs, Namespaces and ClusterRoles first, then classes, then resources, as Flux stages them', () => {
    const stages = applyStages([
      object('apps/v1', 'Deployment', 'web', 'apps'),
      object('networking.k8s.io/v1', 'IngressClass', 'nginx'),
      object('v1', 'Namespace', 'apps'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'web'),
      object('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'guard'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'web'),
      object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      object('v1', 'Service', 'web', 'apps'),
      object('example.com/v1', 'Widget', 'w', 'apps'),
    ]);
    expect(stages.map((stage) => stage.map((o) => o.kind))).toEqual([
      ['CustomResourceDefinition', 'Namespace', 'ClusterRole'],
      ['IngressClass'],
      // Flux's ReconcileOrder: Service and Deployment among the first kinds, any other kind after them, webhooks last.
      ['ClusterRoleBinding', 'Service', 'Deployment', 'Widget', 'ValidatingWebhookConfiguration'],
    ]);
  });

  it('stages a kind by its API group too: a Namespace of another group is no cluster definition', () => {
    expect(stageOf(object('example.com/v1', 'Namespace', 'x'))).toBe(ApplyStage.Resources);
    expect(stageOf(object('example.com/v1', 'ClusterRole', 'x'))).toBe(ApplyStage.Resources);
  });

  it('applies a stage in runs of one kind rank, webhooks in a run of their own after everything else', () => {
    const [stage] = applyStages([
      object('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'inject'),
      object('apps/v1', 'Deployment', 'web', 'apps'),
      object('example.com/v1', 'Widget', 'w', 'apps'),
      object('batch/v1', 'Job', 'migrate', 'apps'),
      object('v1', 'ServiceAccount', 'web', 'apps'),
    ]);
    expect(rankRuns(stage!, (o) => o.kind).map((run) => run.map((o) => o.kind))).toEqual([['ServiceAccount'], ['Deployment'], ['Job', 'Widget'], ['MutatingWebhookConfiguration']]);
  });

  it('prunes Namespaces and CRDs last', () => {
    const order = pruneOrder([
      { apiVersion: 'v1', kind: 'Namespace' },
      { apiVersion: 'apps/v1', kind: 'Deployment' },
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
    ]);
    expect(order.map((r) => r.kind)).toEqual(['Deployment', 'StorageClass', 'Namespace', 'CustomResourceDefinition']);
  });
});
