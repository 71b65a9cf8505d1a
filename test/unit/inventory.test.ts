// The inventory of a Kustomization and what prune may delete.
import { describe, expect, it } from '@jest/globals';
import { entryOf, inventoryOf, referenceOfEntry, staleEntries } from '../../domain/inventory.js';
import { applyStages, pruneOrder } from '../../domain/apply-order.js';

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

  it('finds what is gone, not what changed version', () => {
    const before = inventoryOf([object('autoscaling/v1', 'HorizontalPodAutoscaler', 'web', 'apps'), object('v1', 'ConfigMap', 'old', 'apps')]);
    const after = inventoryOf([object('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', 'apps')]);
    expect(staleEntries(before, after)).toEqual([{ id: 'apps_old__ConfigMap', v: 'v1' }]);
    expect(staleEntries(undefined, after)).toEqual([]);
  });
});

describe('staged apply', () => {
  it('applies definitions, then classes, then resources', () => {
    const stages = applyStages([
      object('apps/v1', 'Deployment', 'web', 'apps'),
      object('networking.k8s.io/v1', 'IngressClass', 'nginx'),
      object('v1', 'Namespace', 'apps'),
      object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      object('v1', 'Service', 'web', 'apps'),
    ]);
    expect(stages.map((stage) => stage.map((o) => o.kind))).toEqual([['CustomResourceDefinition', 'Namespace'], ['IngressClass'], ['Deployment', 'Service']]);
  });

  it('prunes Namespaces and CRDs last', () => {
    const order = pruneOrder([{ kind: 'Namespace' }, { kind: 'Deployment' }, { kind: 'StorageClass' }, { kind: 'CustomResourceDefinition' }]);
    expect(order.map((r) => r.kind)).toEqual(['Deployment', 'StorageClass', 'Namespace', 'CustomResourceDefinition']);
  });
});
