// dependsOn: when a dependency counts as ready, and cycles are named.
import { describe, expect, it } from '@jest/globals';
import { dependencyNotReady, findCycle } from '../../domain/depends-on.js';
import type { KubernetesObject } from '../../kube/objects.js';

const revision = `main@sha1:${'a'.repeat(40)}`;
const source = { id: 'GitRepository/flux-system/fleet', revision };
const infra = (status: Record<string, unknown>, generation = 2): KubernetesObject => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name: 'infra', namespace: 'flux-system', generation },
  spec: { sourceRef: { kind: 'GitRepository', name: 'fleet' } },
  status,
});
const ready = { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }], lastAppliedRevision: revision };

describe('dependsOn', () => {
  it('is ready when Ready, current, and on the same revision of a shared source', () => {
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra(ready), source })).toBeUndefined();
  });

  it('says why it waits', () => {
    expect(dependencyNotReady({ name: 'flux-system/infra', object: undefined, source })).toBe("dependency 'flux-system/infra' not found");
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, observedGeneration: 1 }), source })).toMatch(/latest generation/);
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, conditions: [{ type: 'Ready', status: 'False' }] }), source })).toBe(
      "dependency 'flux-system/infra' is not ready",
    );
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, lastAppliedRevision: 'main@sha1:old' }), source })).toBe(
      `dependency 'flux-system/infra' is not ready: revision ${revision} not applied yet`,
    );
  });

  it('does not compare revisions of a dependency on another source', () => {
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, lastAppliedRevision: 'x' }), source: { id: 'GitRepository/flux-system/other', revision } })).toBeUndefined();
  });

  it('finds a cycle and names it', () => {
    const graph: Record<string, string[]> = { 'ns/apps': ['ns/infra'], 'ns/infra': ['ns/crds'], 'ns/crds': ['ns/apps'], 'ns/site': ['ns/apps'] };
    expect(findCycle('ns/apps', (id) => graph[id] ?? [])).toEqual(['ns/apps', 'ns/infra', 'ns/crds', 'ns/apps']);
    expect(findCycle('ns/site', (id) => graph[id] ?? [])).toBeUndefined();
  });
});
