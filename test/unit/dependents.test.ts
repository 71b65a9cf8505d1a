// Which objects hear at once of a source's new revision.
import { describe, expect, it } from '@jest/globals';
import { referencesSource } from '../../domain/dependents.js';
import type { KubernetesObject } from '../../kube/objects.js';

const source = { kind: 'GitRepository', namespace: 'flux-system', name: 'fleet' };
const object = (kind: string, namespace: string, spec: unknown): KubernetesObject => ({ apiVersion: 'x/v1', kind, metadata: { name: 'o', namespace }, spec });

describe('source dependents', () => {
  it('finds Kustomizations by sourceRef, in their own namespace or across', () => {
    expect(referencesSource(object('Kustomization', 'flux-system', { sourceRef: { kind: 'GitRepository', name: 'fleet' } }), source)).toBe(true);
    expect(referencesSource(object('Kustomization', 'apps', { sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' } }), source)).toBe(true);
    expect(referencesSource(object('Kustomization', 'apps', { sourceRef: { kind: 'GitRepository', name: 'fleet' } }), source)).toBe(false);
    expect(referencesSource(object('Kustomization', 'flux-system', { sourceRef: { kind: 'OCIRepository', name: 'fleet' } }), source)).toBe(false);
  });

  it('finds HelmReleases by their chart source and HelmCharts by sourceRef', () => {
    expect(referencesSource(object('HelmRelease', 'flux-system', { chart: { spec: { chart: './charts/app', sourceRef: { kind: 'GitRepository', name: 'fleet' } } } }), source)).toBe(true);
    expect(referencesSource(object('HelmChart', 'flux-system', { sourceRef: { kind: 'GitRepository', name: 'fleet' } }), source)).toBe(true);
  });

  it('finds GitRepositories that include it', () => {
    expect(referencesSource(object('GitRepository', 'flux-system', { include: [{ repository: { name: 'fleet' }, toPath: 'shared' }] }), source)).toBe(true);
    expect(referencesSource(object('GitRepository', 'other', { include: [{ repository: { name: 'fleet' } }] }), source)).toBe(false);
    expect(referencesSource(object('GitRepository', 'flux-system', {}), source)).toBe(false);
  });

  it('finds Kustomizations that depend on a Kustomization', () => {
    const infra = { kind: 'Kustomization', namespace: 'flux-system', name: 'infra' };
    expect(referencesSource(object('Kustomization', 'flux-system', { dependsOn: [{ name: 'infra' }] }), infra)).toBe(true);
    expect(referencesSource(object('Kustomization', 'apps', { dependsOn: [{ name: 'infra', namespace: 'flux-system' }] }), infra)).toBe(true);
    expect(referencesSource(object('Kustomization', 'apps', { dependsOn: [{ name: 'infra' }] }), infra)).toBe(false);
  });
});
