// The labels and annotations that say whose an object is and how the apply and prune
// must treat it, as Flux reads them.
import type { KubernetesObject } from '../kube/objects.js';

/** The labels that mark an object as applied by a Kustomization (prune deletes only these). */
export const ownerLabels = {
  name: 'kustomize.toolkit.fluxcd.io/name',
  namespace: 'kustomize.toolkit.fluxcd.io/namespace',
} as const;

export const annotations = {
  ssa: 'kustomize.toolkit.fluxcd.io/ssa',
  reconcile: 'kustomize.toolkit.fluxcd.io/reconcile',
  force: 'kustomize.toolkit.fluxcd.io/force',
  prune: 'kustomize.toolkit.fluxcd.io/prune',
} as const;

/** An object in the cluster marked to be left alone: not applied, not pruned. */
export function excluded(live: KubernetesObject): boolean {
  const marks = live.metadata.annotations ?? {};
  return marks[annotations.reconcile] === 'disabled' || marks[annotations.ssa] === 'Ignore';
}

/** Whether prune may delete this live object: still labelled as `owner`'s, and not kept by an annotation. */
export function prunable(live: KubernetesObject, owner: { name: string; namespace: string }): boolean {
  const labels = live.metadata.labels ?? {};
  if (labels[ownerLabels.name] !== owner.name || labels[ownerLabels.namespace] !== owner.namespace) return false;
  return live.metadata.annotations?.[annotations.prune] !== 'disabled' && !excluded(live);
}
