// dependsOn, by Flux's rule: a dependency is ready when it exists, its controller has
// observed its latest generation, it is Ready, and — when it reconciles the same source —
// it has applied that source's current revision. Flux deadlocks silently on a cycle;
// here a cycle is found and named.
import type { KubernetesObject } from '../kube/objects.js';
import { findCondition, type Condition } from './conditions.js';

export interface DependencyCheck {
  /** `namespace/name` of the dependency */
  name: string;
  object: KubernetesObject | undefined;
  /** the dependent's source, `Kind/namespace/name`, and its current revision */
  source: { id: string; revision?: string };
}

/** Why a dependency is not ready, or undefined when it is. */
export function dependencyNotReady({ name, object, source }: DependencyCheck): string | undefined {
  if (!object) return `dependency '${name}' not found`;
  const status = (object.status ?? {}) as { observedGeneration?: number; conditions?: Condition[]; lastAppliedRevision?: string };
  if (status.observedGeneration !== object.metadata.generation) return `dependency '${name}' is not ready: its latest generation is not reconciled yet`;
  if (findCondition(status.conditions, 'Ready')?.status !== 'True') return `dependency '${name}' is not ready`;
  const spec = (object.spec ?? {}) as { sourceRef?: { kind?: string; name?: string; namespace?: string } };
  const ref = spec.sourceRef;
  const dependencySource = ref ? `${ref.kind}/${ref.namespace ?? object.metadata.namespace}/${ref.name}` : undefined;
  if (dependencySource === source.id && source.revision && status.lastAppliedRevision !== source.revision) {
    return `dependency '${name}' is not ready: revision ${source.revision} not applied yet`;
  }
  return undefined;
}

/**
 * The dependency cycle that `start` is part of, as a list of `namespace/name` ending
 * where it began, or undefined. `dependsOn(id)` lists the dependencies of an object.
 */
export function findCycle(start: string, dependsOn: (id: string) => readonly string[]): string[] | undefined {
  const path: string[] = [];
  const visited = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    if (id === start && path.length > 0) return [...path, id];
    if (visited.has(id)) return undefined;
    visited.add(id);
    path.push(id);
    for (const next of dependsOn(id)) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    return undefined;
  };
  return visit(start);
}
