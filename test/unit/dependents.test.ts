// Which objects hear at once of a source's new revision, and that a worker watching one
// namespace tells only the consumers there.
import { describe, expect, it } from '@jest/globals';
import { referencesSource } from '../../domain/dependents.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { Client } from '@temporalio/client';
import { createDependentsActivities } from '../../activities/dependents.js';

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
    const charts = { kind: 'OCIRepository', namespace: 'apps', name: 'podinfo' };
    expect(referencesSource(object('HelmRelease', 'apps', { chartRef: { kind: 'OCIRepository', name: 'podinfo' } }), charts)).toBe(true);
    expect(referencesSource(object('HelmRelease', 'apps', { chartRef: { kind: 'HelmChart', name: 'podinfo' } }), charts)).toBe(false);
    expect(referencesSource(object('Kustomization', 'apps', { sourceRef: { kind: 'OCIRepository', name: 'podinfo' } }), charts)).toBe(true);
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

  it('finds the dependents of a HelmRelease across kinds, by the kind each dependsOn entry names', () => {
    const cache = { kind: 'HelmRelease', namespace: 'apps', name: 'cache' };
    // A HelmRelease's entries are HelmReleases unless they say otherwise; a Kustomization's, Kustomizations.
    expect(referencesSource(object('HelmRelease', 'apps', { dependsOn: [{ name: 'cache' }] }), cache)).toBe(true);
    expect(referencesSource(object('Kustomization', 'apps', { dependsOn: [{ name: 'cache' }] }), cache)).toBe(false);
    expect(referencesSource(object('Kustomization', 'flux-system', { dependsOn: [{ kind: 'HelmRelease', name: 'cache', namespace: 'apps' }] }), cache)).toBe(true);
    expect(referencesSource(object('HelmRelease', 'apps', { dependsOn: [{ kind: 'Kustomization', name: 'cache' }] }), cache)).toBe(false);
    const infra = { kind: 'Kustomization', namespace: 'apps', name: 'infra' };
    expect(referencesSource(object('HelmRelease', 'apps', { dependsOn: [{ kind: 'Kustomization', name: 'infra' }] }), infra)).toBe(true);
    expect(referencesSource(object('HelmRelease', 'apps', { dependsOn: [{ name: 'infra' }] }), infra)).toBe(false);
  });
});

describe('telling dependents of a new revision', () => {
  it('looks only in the namespace the worker watches, and wakes each consumer it finds', async () => {
    const listed: [string, string | undefined][] = [];
    const signalled: { workflowId: string; signalArgs: unknown[] }[] = [];
    const consumer = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'tenant-a' }, spec: { sourceRef: { kind: 'GitRepository', name: 'fleet' } } };
    const objects = {
      async list(kind: string, namespace?: string) {
        listed.push([kind, namespace]);
        return { items: kind === 'Kustomization' ? [consumer] : [], metadata: {} };
      },
    } as unknown as FluxObjects;
    const client = { workflow: { signalWithStart: async (_type: string, options: { workflowId: string; signalArgs: unknown[] }) => void signalled.push(options) } } as unknown as Client;
    const { notifyDependents } = createDependentsActivities({ objects, client, namespace: 'tenant-a' });
    const notified = await notifyDependents({ source: { kind: 'GitRepository', namespace: 'tenant-a', name: 'fleet' }, revision: 'main@sha1:0123' });
    expect(listed.every(([, namespace]) => namespace === 'tenant-a')).toBe(true);
    expect(listed.map(([kind]) => kind)).toContain('Kustomization');
    expect(notified).toEqual(['Kustomization/tenant-a/apps']);
    // The notice carries the source's revision: it cuts a health wait for an older one short.
    expect(signalled.map(({ workflowId, signalArgs }) => [workflowId, signalArgs])).toEqual([['kustomization/tenant-a/apps', [{ revision: 'main@sha1:0123' }]]]);
  });
});
