// What the first step of a reconcile that owns what it made (a Kustomization's objects, a
// HelmRelease's release) reads first: the live object, or that it is gone or being
// deleted; Flux's finalizer is added before anything is made, so a deletion always
// reaches the step that cleans up.
import { requestedAtAnnotation } from '../domain/watch-changes.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';

export type FinalizedObject =
  | { outcome: 'gone' }
  | { outcome: 'deleting' }
  | { outcome: 'live'; object: KubernetesObject; generation: number; requestedAt?: string };

export async function readFinalizedObject(objects: FluxObjects, ref: FluxObjectRef, finalizer: string): Promise<FinalizedObject> {
  const object = await objects.get(ref);
  if (!object) return { outcome: 'gone' };
  if (object.metadata.deletionTimestamp) return { outcome: 'deleting' };
  const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
  if (!finalizers.includes(finalizer)) await objects.setFinalizers(ref, [...finalizers, finalizer]);
  return { outcome: 'live', object, generation: object.metadata.generation ?? 0, requestedAt: object.metadata.annotations?.[requestedAtAnnotation] };
}
