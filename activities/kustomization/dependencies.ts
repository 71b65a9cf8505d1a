// dependsOn: each dependency exists, observed its generation, is Ready and, when it
// shares this Kustomization's source, applied the same revision. A cycle is named.
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { dependencyNotReady, findCycle } from '../../domain/depends-on.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { dependencyRetryMs, type KustomizationContext } from './work.js';

const maxDepth = 50;

export function checkDependenciesStep(context: KustomizationContext) {
  const { objects, workspaces } = context;
  return async function checkDependencies({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const { ref, spec, source } = workspaces.get(local.workspace).state;
    const dependencies = spec.dependsOn ?? [];
    // Follow dependsOn from here; a path that comes back here is a cycle.
    const graph = new Map<string, string[]>();
    const load = async (id: string, depth: number): Promise<void> => {
      if (graph.has(id) || depth > maxDepth) return;
      const [namespace, name] = id.split('/') as [string, string];
      const object = await objects.get({ kind: 'Kustomization', namespace, name });
      const next = ((object?.spec as { dependsOn?: { name: string; namespace?: string }[] } | undefined)?.dependsOn ?? []).map((d) => `${d.namespace ?? namespace}/${d.name}`);
      graph.set(id, next);
      for (const id of next) await load(id, depth + 1);
    };
    const self = `${ref.namespace}/${ref.name}`;
    await load(self, 0);
    const cycle = findCycle(self, (id) => graph.get(id) ?? []);
    if (cycle) return { failure: { reason: KustomizationReason.DependencyNotReady, message: `dependency cycle: ${cycle.join(' -> ')}`, stalled: false, retryAfterMs: spec.retryIntervalMs } };
    for (const dependency of dependencies) {
      const namespace = dependency.namespace ?? ref.namespace;
      const object = await objects.get({ kind: 'Kustomization', namespace, name: dependency.name });
      const waiting = dependencyNotReady({ name: `${namespace}/${dependency.name}`, object, source: { id: source.id, revision: source.artifact.revision } });
      if (waiting) return { failure: { reason: KustomizationReason.DependencyNotReady, message: waiting, stalled: false, retryAfterMs: dependencyRetryMs } };
    }
    return {};
  };
}
