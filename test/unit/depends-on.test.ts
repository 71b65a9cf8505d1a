// dependsOn: when a dependency counts as ready, by the built-in check or its readyExpr,
// and cycles are named.
import { describe, expect, it } from '@jest/globals';
import { compileReadyExpressions, dependencyNotReady, findCycle, type ReadyExpression } from '../../domain/depends-on.js';
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
    expect(dependencyNotReady({ name: 'flux-system/infra', object: undefined, source })).toBe('dependency \'flux-system/infra\' not found: kustomizations.kustomize.toolkit.fluxcd.io "infra" not found');
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, observedGeneration: 1 }), source })).toMatch(/latest generation/);
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, conditions: [{ type: 'Ready', status: 'False' }] }), source })).toBe(
      "dependency 'flux-system/infra' is not ready",
    );
    expect(dependencyNotReady({ name: 'flux-system/infra', object: infra({ ...ready, lastAppliedRevision: 'main@sha1:old' }), source })).toBe(
      `dependency 'flux-system/infra' revision is not up to date (${revision} not applied yet)`,
    );
  });

  it("reports a missing dependency in the words of the dependent's controller, with the dependency's kind", () => {
    // kustomize-controller: "dependency '%s' not found: %w"; helm-controller: "unable to get '%s' dependency: %w".
    expect(dependencyNotReady({ name: 'HelmRelease/apps/cache', kind: 'HelmRelease', object: undefined, source })).toBe(
      'dependency \'HelmRelease/apps/cache\' not found: helmreleases.helm.toolkit.fluxcd.io "cache" not found',
    );
    expect(dependencyNotReady({ name: 'apps/db', kind: 'HelmRelease', dependent: 'HelmRelease', object: undefined })).toBe('unable to get \'apps/db\' dependency: helmreleases.helm.toolkit.fluxcd.io "db" not found');
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

// The lockstep upgrade of Flux's docs (kustomizations.md, "Dependency Ready Expression"):
// `dep` is the dependency, `self` the Kustomization that waits for it.
describe('dependsOn readyExpr', () => {
  const lockstep = `dep.metadata.labels['app/version'] == self.metadata.labels['app/version'] &&
dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True') &&
dep.metadata.generation == dep.status.observedGeneration
`;
  const kustomization = (name: string, version: string, status: Record<string, unknown> = {}): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'apps', generation: 2, labels: { 'app/version': version } },
    spec: { sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' } },
    status,
  });
  const backend = (version: string, status: Record<string, unknown> = ready) => kustomization('app-backend', version, status);
  const frontend = kustomization('app-frontend', 'v1.2.3');
  const compiled = (expression: string): ReadyExpression => {
    const reading = compileReadyExpressions([{ name: 'app-backend', readyExpr: expression }]);
    if (!reading.ok) throw new Error(reading.message);
    return reading.expressions[0]!;
  };
  const check = (object: KubernetesObject | undefined, expression: string, additive?: boolean) =>
    dependencyNotReady({ name: 'apps/app-backend', object, source, readyExpr: { expression: compiled(expression), self: frontend }, additive });

  it('is ready when the expression is true', () => {
    expect(check(backend('v1.2.3'), lockstep)).toBeUndefined();
  });

  it('waits, in Flux words, while the expression is false', () => {
    expect(check(backend('v1.2.2'), lockstep)).toBe("dependency 'apps/app-backend' is not ready according to readyExpr eval");
  });

  it('replaces the built-in check: not Ready, an old generation, another revision of the shared source', () => {
    const sameVersion = "dep.metadata.labels['app/version'] == self.metadata.labels['app/version']";
    const stale = { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False' }], lastAppliedRevision: 'main@sha1:old' };
    expect(check(backend('v1.2.3', stale), sameVersion)).toBeUndefined();
  });

  it('adds to the built-in check with AdditiveCELDependencyCheck, the expression first', () => {
    const sameVersion = "dep.metadata.labels['app/version'] == self.metadata.labels['app/version']";
    const notReady = { ...ready, conditions: [{ type: 'Ready', status: 'False' }] };
    expect(check(backend('v1.2.3', notReady), sameVersion, true)).toBe("dependency 'apps/app-backend' is not ready");
    expect(check(backend('v1.2.2', notReady), sameVersion, true)).toBe("dependency 'apps/app-backend' is not ready according to readyExpr eval");
    expect(check(backend('v1.2.3'), sameVersion, true)).toBeUndefined();
  });

  it('waits for a dependency that does not exist, whatever the expression', () => {
    expect(check(undefined, 'true')).toBe('dependency \'apps/app-backend\' not found: kustomizations.kustomize.toolkit.fluxcd.io "app-backend" not found');
  });

  it('waits, with the CEL error, when the expression cannot be evaluated', () => {
    const missing = "dep.status.missing == 'x'";
    expect(check(backend('v1.2.3'), missing)).toMatch(/^failed to evaluate the CEL expression 'dep\.status\.missing == 'x'': .*missing/);
  });

  it('counts whole numbers as ints, as Kubernetes decodes them', () => {
    expect(check(backend('v1.2.3'), 'dep.status.observedGeneration + 1 == 3')).toBeUndefined();
  });
});

describe('compiling dependsOn readyExpr', () => {
  const terminal = 'Reconciliation failed terminally due to configuration error: failed to evaluate dependency';
  const reading = (readyExpr: string) => compileReadyExpressions([{ name: 'infra' }, { name: 'app-backend', namespace: 'apps', readyExpr }]);

  it('compiles each expression beside its dependency; an empty one is none', () => {
    const compiled = compileReadyExpressions([{ name: 'infra' }, { name: 'crds', readyExpr: '' }, { name: 'app-backend', readyExpr: "dep.metadata.name == 'app-backend'" }]);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(compiled.expressions.map((expression) => expression?.source)).toEqual([undefined, undefined, "dep.metadata.name == 'app-backend'"]);
  });

  it('fails terminally on an expression that does not parse', () => {
    expect(reading("dep.metadata.(name == 'x'")).toEqual({ ok: false, message: expect.stringContaining(`${terminal} app-backend: failed to parse the CEL expression 'dep.metadata.(name == 'x'': `) });
  });

  it('knows only `self` and `dep`', () => {
    expect(reading('status.observedGeneration == 1')).toEqual({ ok: false, message: expect.stringContaining(`${terminal} app-backend: failed to parse the CEL expression 'status.observedGeneration == 1': `) });
  });

  it('wants a bool, not a field that may hold one', () => {
    expect(reading('dep.spec.suspend')).toEqual({ ok: false, message: `${terminal} app-backend: CEL expression output type mismatch: expected bool, got dyn` });
    expect(reading('dep.metadata.generation + 1')).toEqual({ ok: false, message: `${terminal} app-backend: CEL expression output type mismatch: expected bool, got int` });
  });
});
