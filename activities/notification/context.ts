// What the notification-controller's steps share.
import type { FluxObjects } from '../../kube/flux-objects.js';

export interface NotificationContext {
  /** the cluster's objects; events recorded through it are not forwarded again */
  objects: FluxObjects;
  /** Flux's --no-cross-namespace-refs: an Alert hears only of its own namespace's objects */
  noCrossNamespaceRefs?: boolean;
}
