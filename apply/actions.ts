// What one server-side apply did to an object, in the words Flux's events use.
import type { KubernetesObject } from '../kube/objects.js';

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
