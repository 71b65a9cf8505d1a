// The labels and annotations that say whose an object is and how the apply and prune
// must treat it, read as Flux reads them (fluxcd/pkg ssa utils.AnyInMetadata): a marker
// counts as a label or as an annotation, its value compared without regard to case, on
// the object in Git or on the one in the cluster, depending on the marker.
import type { KubernetesObject } from '../kube/objects.js';

/** The labels that mark an object as applied by a Kustomization (prune deletes only these). */
export const ownerLabels = {
  name: 'kustomize.toolkit.fluxcd.io/name',
  namespace: 'kustomize.toolkit.fluxcd.io/namespace',
} as const;

export const markers = {
  ssa: 'kustomize.toolkit.fluxcd.io/ssa',
  reconcile: 'kustomize.toolkit.fluxcd.io/reconcile',
  force: 'kustomize.toolkit.fluxcd.io/force',
  prune: 'kustomize.toolkit.fluxcd.io/prune',
} as const;

type Selector = Record<string, string>;

/** Not applied at all (Flux's ExclusionSelector). */
const exclusion: Selector = { [markers.reconcile]: 'disabled', [markers.ssa]: 'Ignore' };
/** Created when missing, then left alone. */
const ifNotPresent: Selector = { [markers.ssa]: 'IfNotPresent' };
/** Fields other managers set are kept: no takeover of kubectl's fields. */
const merge: Selector = { [markers.ssa]: 'Merge' };
/** Recreated when an immutable field changed. */
const force: Selector = { [markers.force]: 'Enabled' };
/** Never deleted by prune (kustomize-controller's prune exclusions). */
const keep: Selector = { [markers.prune]: 'disabled', [markers.reconcile]: 'disabled' };

/** Whether any of `selector`'s markers is on the object, as a label or an annotation. */
export function anyInMetadata(object: KubernetesObject | undefined, selector: Selector): boolean {
  if (!object) return false;
  const { labels = {}, annotations = {} } = object.metadata;
  return Object.entries(selector).some(([key, value]) => {
    const same = (found: string | undefined) => found !== undefined && found !== '' && found.toLowerCase() === value.toLowerCase();
    return same(labels[key]) || same(annotations[key]);
  });
}

/**
 * Whether the apply leaves the object alone (Flux's shouldSkipApply): excluded in Git or
 * in the cluster — so an object excluded in Git is not even created — or marked
 * IfNotPresent in Git and already there.
 */
export function skipsApply(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (anyInMetadata(desired, exclusion) || anyInMetadata(live, exclusion)) return true;
  return live?.metadata.uid !== undefined && anyInMetadata(desired, ifNotPresent);
}

/** Whether kubectl's fields are left to kubectl: `ssa: Merge` in Git or in the cluster. */
export function keepsOtherManagers(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  return anyInMetadata(desired, merge) || anyInMetadata(live, merge);
}

/** Whether an immutable-field refusal recreates the object: spec.force, or `force: Enabled` in Git or in the cluster. */
export function recreatesOnImmutable(desired: KubernetesObject, live: KubernetesObject | undefined, specForce: boolean): boolean {
  return specForce || anyInMetadata(desired, force) || anyInMetadata(live, force);
}

/** Whether prune may delete this live object: still labelled as `owner`'s, and not marked `prune: disabled` or `reconcile: disabled`. */
export function prunable(live: KubernetesObject, owner: { name: string; namespace: string }): boolean {
  const labels = live.metadata.labels ?? {};
  if (labels[ownerLabels.name] !== owner.name || labels[ownerLabels.namespace] !== owner.namespace) return false;
  return !anyInMetadata(live, keep);
}
