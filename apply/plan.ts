// What applying one object would do, found by a server-side dry-run with the
// controller's field manager and compared with the live object. The reconcile's staged
// apply and the CLI's diff both plan with this, so a preview is what the apply will do.
import type { KubeClient } from '../kube/client.js';
import { isImmutableFieldError, KubeError } from '../kube/errors.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import { ownershipTakeover, type ManagedFieldsEntry } from '../kube/managed-fields.js';
import { keepsOtherManagers, recreatesOnImmutable, skipsApply } from './markers.js';
import { installFieldManager } from './target.js';
import { removeFields, subtractFields, unionOfFields } from './field-sets.js';

export interface PlanOptions {
  fieldManager: string;
  /** spec.force: recreate objects whose immutable fields changed */
  force: boolean;
  /**
   * Only look: kubectl's fields are not taken over in the cluster; the dry-run result
   * shows them removed as the apply after the takeover would.
   */
  preview?: boolean;
}

export type ObjectPlan =
  /** skip: left alone by a marker (excluded, or IfNotPresent and there) */
  | { object: KubernetesObject; ref: ObjectReference; live?: KubernetesObject; change: 'none' | 'apply' | 'recreate' | 'skip'; dryRun?: KubernetesObject }
  | { object: KubernetesObject; ref: ObjectReference; failure: string; error: KubeError };

export async function planObject(kube: KubeClient, object: KubernetesObject, options: PlanOptions): Promise<ObjectPlan> {
  const { fieldManager } = options;
  const ref = referenceOf(object);
  const live = await kube.get(ref);
  // As in Flux: an object excluded in Git or in the cluster is not applied, not even
  // created; one marked IfNotPresent is created when missing and then left alone.
  if (skipsApply(object, live)) return { object, ref, live, change: 'skip' };
  const takeover = live && !keepsOtherManagers(object, live) ? ownershipTakeover(live, fieldManager, { appliers: [installFieldManager] }) : undefined;
  if (takeover && !options.preview) await kube.setManagedFields(ref, takeover, live!.metadata.resourceVersion, fieldManager);
  let dryRun: KubernetesObject;
  try {
    dryRun = await kube.apply(object, { fieldManager, force: true, dryRun: true });
  } catch (error) {
    if (!(error instanceof KubeError)) throw error;
    if (live && recreatesOnImmutable(object, live, options.force) && isImmutableFieldError(error)) return { object, ref, live, change: 'recreate' };
    const failure = `${describeReference(ref)} dry-run failed: ${error.message.replace(/^apply [^:]*: /, '')}`;
    // Retryable (an outage, a 500): the step retries; otherwise the object is refused.
    if (error.retryable) throw error.withMessage(failure);
    return { object, ref, failure, error };
  }
  if (takeover && options.preview) dryRun = afterTakeover(dryRun, takeover, fieldManager);
  return { object, ref, live, dryRun, change: !live || drifted(live, dryRun) ? 'apply' : 'none' };
}

/**
 * The dry-run result as it would be had kubectl's fields been taken over first: the
 * fields our entry would then own but the manifest does not set, and that no other
 * manager keeps, are gone.
 */
function afterTakeover(dryRun: KubernetesObject, takeover: ManagedFieldsEntry[], fieldManager: string): KubernetesObject {
  const isOurApply = (entry: ManagedFieldsEntry) => entry.manager === fieldManager && entry.operation === 'Apply' && !entry.subresource;
  const takenOver = takeover.find(isOurApply)?.fieldsV1 ?? {};
  const applied = ((dryRun.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? []).find(isOurApply)?.fieldsV1 ?? {};
  // Managers the takeover leaves in place (a controller's, another applier's) keep theirs.
  const keptByOthers = unionOfFields(takeover.filter((entry) => !isOurApply(entry) && !entry.subresource).map((entry) => entry.fieldsV1 ?? {}));
  const removed = subtractFields(subtractFields(takenOver, applied), keptByOthers);
  return removeFields(dryRun, removed) as KubernetesObject;
}

/** Whether applying would change the live object (bookkeeping fields aside). */
export function drifted(live: KubernetesObject, dryRun: KubernetesObject): boolean {
  return JSON.stringify(comparable(live)) !== JSON.stringify(comparable(dryRun));
}

// Fields the server changes on every write, and status, which is not ours to apply.
const bookkeeping = new Set(['managedFields', 'resourceVersion', 'generation']);

export function comparable(object: KubernetesObject): unknown {
  const metadata = Object.fromEntries(Object.entries(object.metadata).filter(([key]) => !bookkeeping.has(key)));
  return { ...object, status: undefined, metadata };
}
