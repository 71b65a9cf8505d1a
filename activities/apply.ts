// Server-side apply of objects to the cluster, reporting what each apply changed.
import type { KubeClient } from '../kube/client.js';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';
import { reportingFailures } from './failures.js';

export const ApplyAction = { Created: 'created', Configured: 'configured', Unchanged: 'unchanged' } as const;
export type ApplyAction = (typeof ApplyAction)[keyof typeof ApplyAction];

export interface AppliedObject {
  /** `Kind/namespace/name`, as events and logs name it */
  subject: string;
  action: ApplyAction;
}

/** What an apply did, from the live object before it (if any) and the one it returned. */
export function applyActionOf(before: KubernetesObject | undefined, after: KubernetesObject): ApplyAction {
  if (!before) return ApplyAction.Created;
  return before.metadata.resourceVersion === after.metadata.resourceVersion ? ApplyAction.Unchanged : ApplyAction.Configured;
}

export function createApplyActivities(deps: { kube: KubeClient; fieldManager: string }) {
  const { kube, fieldManager } = deps;

  async function applyOne(object: KubernetesObject): Promise<AppliedObject> {
    const ref = referenceOf(object);
    const before = await kube.get(ref);
    const after = await kube.apply(object, { fieldManager, force: true });
    return { subject: describeReference(ref), action: applyActionOf(before, after) };
  }

  return {
    /** Applies the objects in the order given (callers order them by stage). */
    async applyObjects(objects: KubernetesObject[]): Promise<AppliedObject[]> {
      return reportingFailures(async () => {
        const results: AppliedObject[] = [];
        for (const object of objects) results.push(await applyOne(object));
        return results;
      });
    },
  };
}
