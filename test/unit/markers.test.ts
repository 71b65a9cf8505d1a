// The apply and prune markers, read as Flux reads them: as a label or an annotation,
// the value in any case, on the object in Git or in the cluster.
import { describe, expect, it } from '@jest/globals';
import { anyInMetadata, keepsOtherManagers, prunable, recreatesOnImmutable, skipsApply } from '../../apply/markers.js';
import type { KubernetesObject } from '../../kube/objects.js';

const configMap = (metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string } = {}): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'apps', ...metadata },
});
const owner = { name: 'apps', namespace: 'flux-system' };
const owned = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };

describe('markers', () => {
  it('count as labels or annotations, whatever the case of the value', () => {
    const selector = { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' };
    expect(anyInMetadata(configMap({ annotations: { 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' } }), selector)).toBe(true);
    expect(anyInMetadata(configMap({ labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'DISABLED' } }), selector)).toBe(true);
    expect(anyInMetadata(configMap({ labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'enabled' } }), selector)).toBe(false);
  });

  it('skip the apply when excluded in Git (nothing is created) or in the cluster, and IfNotPresent only once it exists', () => {
    const inGit = configMap({ labels: { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' } });
    expect(skipsApply(inGit, undefined)).toBe(true);
    expect(skipsApply(configMap(), configMap({ uid: 'u', annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'ignore' } }))).toBe(true);
    const ifNotPresent = configMap({ annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } });
    expect(skipsApply(ifNotPresent, undefined)).toBe(false);
    expect(skipsApply(ifNotPresent, configMap({ uid: 'u' }))).toBe(true);
  });

  it('keep kubectl\'s fields with ssa: Merge, and recreate on an immutable change only when forced', () => {
    expect(keepsOtherManagers(configMap(), configMap({ uid: 'u', labels: { 'kustomize.toolkit.fluxcd.io/ssa': 'merge' } }))).toBe(true);
    expect(keepsOtherManagers(configMap(), configMap({ uid: 'u' }))).toBe(false);
    expect(recreatesOnImmutable(configMap({ labels: { 'kustomize.toolkit.fluxcd.io/force': 'enabled' } }), undefined, false)).toBe(true);
    expect(recreatesOnImmutable(configMap(), configMap({ uid: 'u', annotations: { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' } }), false)).toBe(true);
    expect(recreatesOnImmutable(configMap(), configMap({ uid: 'u' }), true)).toBe(true);
    expect(recreatesOnImmutable(configMap(), configMap({ uid: 'u' }), false)).toBe(false);
  });

  it('keep an object from prune with prune: disabled or reconcile: disabled, as a label too, and prune only what is still ours', () => {
    expect(prunable(configMap({ labels: { ...owned } }), owner)).toBe(true);
    expect(prunable(configMap({ labels: owned, annotations: { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' } }), owner)).toBe(false);
    // ssa: Ignore stops the apply, not the prune (kustomize-controller excludes only prune and reconcile from it).
    expect(prunable(configMap({ labels: owned, annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } }), owner)).toBe(true);
    expect(prunable(configMap({ labels: { ...owned, 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } }), owner)).toBe(false);
    expect(prunable(configMap({ labels: owned, annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' } }), owner)).toBe(false);
    expect(prunable(configMap({ labels: { ...owned, 'kustomize.toolkit.fluxcd.io/name': 'other' } }), owner)).toBe(false);
  });
});
