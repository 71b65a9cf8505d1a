// Which Kustomizations a watched ConfigMap or Secret wakes: those of its namespace that
// read it, by the references Flux's kustomize-controller indexes them by.
import { describe, expect, it } from '@jest/globals';
import { kustomizationsReading, watchLabelSelector } from '../../domain/config-dependencies.js';
import type { KubernetesObject } from '../../kube/objects.js';

const kustomization = (namespace: string, name: string, spec: Record<string, unknown>): KubernetesObject => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { namespace, name },
  spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' }, ...spec },
});

const fleet = [
  kustomization('apps', 'substitutes', { postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars', optional: true }, { kind: 'Secret', name: 'cluster-secret-vars' }] } }),
  kustomization('apps', 'decrypts', { decryption: { provider: 'sops', secretRef: { name: 'sops-keys' } } }),
  kustomization('apps', 'remote', { kubeConfig: { secretRef: { name: 'prod-kubeconfig' } } }),
  kustomization('apps', 'keyless', { kubeConfig: { configMapRef: { name: 'kubeconfig' } } }),
  kustomization('apps', 'plain', {}),
  kustomization('other', 'substitutes', { postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }] } }),
];
const names = (kind: 'ConfigMap' | 'Secret', namespace: string, name: string) => kustomizationsReading({ kind, namespace, name }, fleet).map((ref) => `${ref.namespace}/${ref.name}`);

describe('config dependencies', () => {
  it('selects what Flux watches by default', () => {
    expect(watchLabelSelector).toBe('reconcile.fluxcd.io/watch=Enabled');
  });

  it('wakes the Kustomizations of its namespace that substitute from it, optional or not', () => {
    expect(names('ConfigMap', 'apps', 'cluster-vars')).toEqual(['apps/substitutes']);
    expect(names('ConfigMap', 'other', 'cluster-vars')).toEqual(['other/substitutes']);
    expect(names('Secret', 'apps', 'cluster-secret-vars')).toEqual(['apps/substitutes']);
  });

  it('wakes those that decrypt with the Secret, or reach a remote cluster with it', () => {
    expect(names('Secret', 'apps', 'sops-keys')).toEqual(['apps/decrypts']);
    expect(names('Secret', 'apps', 'prod-kubeconfig')).toEqual(['apps/remote']);
    expect(names('ConfigMap', 'apps', 'kubeconfig')).toEqual(['apps/keyless']);
  });

  it('tells a ConfigMap from a Secret of the same name', () => {
    expect(names('Secret', 'apps', 'cluster-vars')).toEqual([]);
    expect(names('ConfigMap', 'apps', 'cluster-secret-vars')).toEqual([]);
    expect(names('ConfigMap', 'apps', 'sops-keys')).toEqual([]);
    expect(names('Secret', 'apps', 'kubeconfig')).toEqual([]);
  });

  it('wakes nothing for a config no Kustomization reads', () => {
    expect(names('ConfigMap', 'apps', 'unrelated')).toEqual([]);
  });
});
