// The smoke test's apply: server-side apply of objects in the order given, reporting
// what each apply changed. (Kustomizations apply through apply/staged-apply.ts.)
import type { KubeClient } from '../kube/client.js';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';
import { applyActionOf, type AppliedObject } from '../apply/actions.js';
import { reportingFailures } from './failures.js';

export type { AppliedObject } from '../apply/actions.js';

export function createSmokeTestActivities(deps: { kube: KubeClient; fieldManager: string }) {
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
