// What the first step of every source's reconcile reads first: the live object, with
// its generation and reconcile request; a deleted object's artifacts go with it, as
// Flux's finalizer removes them.
import type { ArtifactStore } from '../artifacts/store.js';
import type { LoopTiming } from '../common/reconcile-steps.js';
import { requestedAtAnnotation } from '../domain/watch-changes.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';

/** When a spec cannot be read: look again at this pace (a new generation wakes the loop anyway). */
export const invalidSpecTiming: LoopTiming = { intervalMs: 60_000, retryIntervalMs: 60_000 };

export interface SourceObject {
  object: KubernetesObject;
  generation: number;
  requestedAt?: string;
}

/** The source object, or undefined when it is gone (its artifacts then removed). */
export async function readSourceObject(objects: FluxObjects, store: ArtifactStore, ref: FluxObjectRef): Promise<SourceObject | undefined> {
  const object = await objects.get(ref);
  if (!object) {
    await store.removeAll(ref);
    return undefined;
  }
  return { object, generation: object.metadata.generation ?? 0, requestedAt: object.metadata.annotations?.[requestedAtAnnotation] };
}
