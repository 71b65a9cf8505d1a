// dependsOn: each dependency exists, observed its generation, is Ready and, when it
// shares this Kustomization's source, applied the same revision; or, where it has a
// readyExpr, that expression is true of it. A cycle is named; an expression that does
// not compile stalls the Kustomization.
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { compileReadyExpressions, dependencyNotReady, findCycle } from '../../domain/depends-on.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { dependencyRetryMs, type KustomizationContext } from './work.js';

const maxDepth = 50;

export function checkDependenciesStep(context: KustomizationContext) {
  const { objects, workspaces } = context;
  return async function checkDependencies({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const { ref, spec, source } = workspaces.get(local.workspace).state;
    const dependencies = spec.dependsOn ?? [];
    const expressions = compileReadyExpressions(dependencies);
    if (!expressions.ok) return { failure: { reason: KustomizationReason.InvalidCELExpression, message: expressions.message, stalled: true, retryAfterMs: spec.intervalMs } };
    // Follow dependsOn from here; a path that comes back here is a cycle.
    const graph = new Map<string, string[]>();
    const found = new Map<string, KubernetesObject | undefined>();
    const load = async (id: string, depth: number): Promise<void> => {
      if (graph.has(id) || depth > maxDepth) return;
      const [namespace, name] = id.split('/') as [string, string];
      const object = await objects.get({ kind: 'Kustomization', namespace, name });
      found.set(id, object);
      const next = ((object?.spec as { dependsOn?: { name: string; namespace?: string }[] } | undefined)?.dependsOn ?? []).map((d) => `${d.namespace ?? namespace}/${d.name}`);
      graph.set(id, next);
      for (const id of next) await load(id, depth + 1);
    };
    const selfId = `${ref.namespace}/${ref.name}`;
    await load(selfId, 0);
    const cycle = findCycle(selfId, (id) => graph.get(id) ?? []);
    if (cycle) return { failure: { reason: KustomizationReason.DependencyNotReady, message: `dependency cycle: ${cycle.join(' -> ')}`, stalled: false, retryAfterMs: spec.retryIntervalMs } };
    // Deleted since the reconcile began: the next one ends its loop.
    const self = found.get(selfId);
    if (!self) return { failure: { reason: KustomizationReason.DependencyNotReady, message: `Kustomization ${selfId} not found`, stalled: false } };
    for (const [index, dependency] of dependencies.entries()) {
      const namespace = dependency.namespace ?? ref.namespace;
      const id = `${namespace}/${dependency.name}`;
      // Read while following the graph, unless the spec changed since the reconcile began.
      const object = found.has(id) ? found.get(id) : await objects.get({ kind: 'Kustomization', namespace, name: dependency.name });
      const expression = expressions.expressions[index];
      const waiting = dependencyNotReady({
        name: id,
        object,
        source: { id: source.id, revision: source.artifact.revision },
        readyExpr: expression ? { expression, self } : undefined,
        additive: context.additiveCELDependencyCheck,
      });
      if (waiting) return { failure: { reason: KustomizationReason.DependencyNotReady, message: waiting, stalled: false, retryAfterMs: dependencyRetryMs } };
    }
    return {};
  };
}
