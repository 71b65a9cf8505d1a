// What the CLI writes and reads about objects: bootstrap's gotk-sync objects and auth
// Secret, export's clean YAML, and when a requested reconcile counts as handled.
import { describe, expect, it } from '@jest/globals';
import { gitAuthSecret, syncManifests, syncPath, urlScheme } from '../../cli/sync-manifests.js';
import { exportable } from '../../cli/export-object.js';
import { reconcileState, requestPatch, successMessage } from '../../cli/reconcile-wait.js';
import { yamlDocuments } from '../../cli/terminal.js';
import type { KubernetesObject } from '../../kube/objects.js';

describe('bootstrap', () => {
  it('writes what flux writes to gotk-sync.yaml', () => {
    const [namespace, source, root] = syncManifests({ name: 'flux-system', namespace: 'flux-system', url: 'ssh://git@git.example/fleet', branch: 'main', path: 'clusters/prod/', interval: '1m0s', secretName: 'flux-system' });
    expect(namespace).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } });
    expect(source).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'flux-system', namespace: 'flux-system' },
      spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: 'ssh://git@git.example/fleet' },
    });
    expect(root).toEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'flux-system', namespace: 'flux-system' },
      spec: { interval: '10m0s', path: './clusters/prod', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
    });
    const [, publicSource] = syncManifests({ name: 'fleet', namespace: 'gitops', url: 'file:///srv/fleet.git', branch: 'main', path: '', interval: '5m' });
    expect(publicSource!.spec).not.toHaveProperty('secretRef');
  });

  it('writes paths as flux does', () => {
    expect(['clusters/prod', './clusters/prod/', '/clusters/prod', '', '.', './'].map(syncPath)).toEqual(['./clusters/prod', './clusters/prod', './clusters/prod', './', './', './']);
  });

  it('keeps credentials in the Secret the GitRepository names, base64 as the API stores them', () => {
    expect(gitAuthSecret({ name: 'fleet', namespace: 'gitops' }, { username: 'git', password: 'token' })).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fleet', namespace: 'gitops' },
      type: 'Opaque',
      data: { username: 'Z2l0', password: 'dG9rZW4=' },
    });
  });

  it('knows the URLs a GitRepository takes', () => {
    expect(['ssh://git@host/r', 'https://host/r', 'http://host/r', 'file:///r', 'git@host:r'].map(urlScheme)).toEqual(['ssh', 'http', 'http', 'file', undefined]);
  });
});

describe('export', () => {
  it('keeps what a user writes, drops what the server keeps', () => {
    const live: KubernetesObject = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: {
        name: 'apps',
        namespace: 'flux-system',
        labels: { team: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'kept' },
        uid: 'u',
        resourceVersion: '7',
        generation: 2,
        managedFields: [],
        finalizers: ['finalizers.fluxcd.io'],
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { interval: '10m', path: './apps' },
      status: { observedGeneration: 2 },
    };
    expect(exportable(live)).toEqual({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system', labels: { team: 'web' }, annotations: { note: 'kept' } },
      spec: { interval: '10m', path: './apps' },
    });
    expect(yamlDocuments([exportable({ ...live, metadata: { name: 'a' } })])).toBe('---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\nspec:\n  interval: 10m\n  path: ./apps\n');
  });
});

describe('waiting for a reconcile', () => {
  const requestedAt = '2026-01-01T12:00:00.000Z';
  const object = (status: Record<string, unknown>): KubernetesObject => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, status });
  const ready = (value: string, message: string) => ({ type: 'Ready', status: value, reason: 'r', message, lastTransitionTime: requestedAt });

  it('waits until the status echoes the request and Ready is settled', () => {
    expect(reconcileState('Kustomization', object({ conditions: [ready('True', 'old')] }), requestedAt)).toEqual({ handled: false });
    expect(reconcileState('Kustomization', object({ lastHandledReconcileAt: 'earlier', conditions: [ready('Unknown', 'building')] }), requestedAt)).toEqual({ handled: false, message: 'building' });
    expect(reconcileState('Kustomization', object({ lastHandledReconcileAt: requestedAt, conditions: [ready('Unknown', 'health check')] }), requestedAt)).toEqual({ handled: false, message: 'health check' });
    expect(reconcileState('Kustomization', object({ lastHandledReconcileAt: requestedAt, lastAppliedRevision: 'main@sha1:a', conditions: [ready('True', 'Applied')] }), requestedAt)).toEqual({
      handled: true, ready: true, revision: 'main@sha1:a', message: 'Applied',
    });
    expect(reconcileState('Kustomization', object({ lastHandledReconcileAt: requestedAt, conditions: [ready('False', 'build failed')] }), requestedAt)).toMatchObject({ handled: true, ready: false, message: 'build failed' });
  });

  it('asks with the annotation flux sets, and reports in flux’s words', () => {
    expect(requestPatch(requestedAt)).toEqual({ metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt } } });
    expect(successMessage('GitRepository', 'main@sha1:a')).toBe('fetched revision main@sha1:a');
    expect(successMessage('HelmRepository', 'sha256:b')).toBe('fetched revision sha256:b');
    expect(successMessage('HelmChart', '1.0.0')).toBe('fetched revision 1.0.0');
    expect(successMessage('HelmRelease', '1.0.0')).toBe('applied revision 1.0.0');
    expect(successMessage('Kustomization', 'main@sha1:a')).toBe('applied revision main@sha1:a');
  });
});
