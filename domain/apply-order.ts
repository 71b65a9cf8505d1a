// The order of a staged apply, as Flux does it: cluster definitions first (CRDs,
// Namespaces, ClusterRoles, ...) and waited for, then `*Class` kinds that others refer
// to, then everything else. Prune goes the other way round, so a Namespace or CRD is
// deleted only after what lived in it.
import type { ObjectReference } from '../kube/objects.js';

export const ApplyStage = { Definitions: 0, Classes: 1, Resources: 2 } as const;
export type ApplyStage = (typeof ApplyStage)[keyof typeof ApplyStage];

const definitionKinds = new Set([
  'CustomResourceDefinition',
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

export function stageOf(ref: Pick<ObjectReference, 'kind'>): ApplyStage {
  if (definitionKinds.has(ref.kind)) return ApplyStage.Definitions;
  if (ref.kind.endsWith('Class')) return ApplyStage.Classes;
  return ApplyStage.Resources;
}

/** Objects grouped by stage, each stage in a stable order (kind, namespace, name). */
export function applyStages<T extends { kind: string; metadata: { name: string; namespace?: string } }>(objects: readonly T[]): T[][] {
  const stages: T[][] = [[], [], []];
  for (const object of objects) stages[stageOf(object)]!.push(object);
  const key = (o: T) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return stages.map((stage) => [...stage].sort((a, b) => key(a).localeCompare(key(b)))).filter((stage) => stage.length > 0);
}

/** Deletion order for pruning: resources, then classes, then Namespaces and CRDs last. */
export function pruneOrder<T extends Pick<ObjectReference, 'kind'>>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => stageOf(b) - stageOf(a));
}
