// The notification-controller's activities: the steps of one event's dispatch —
// matchAlerts → send (one per Alert reached) [→ reportFailure] — registered as
// `Notification.<step>`.
import type { FluxObjects } from '../../kube/flux-objects.js';
import { stepActivities } from '../steps.js';
import { reportFailureStep } from './alert-events.js';
import type { NotificationContext } from './context.js';
import { matchAlertsStep } from './match-alerts.js';
import { sendStep } from './send.js';

export type { Dispatch } from './match-alerts.js';
export type { SendResult } from './send.js';

export interface NotificationDependencies {
  /** the cluster's objects, without event forwarding: the Alerts' own Warnings are not dispatched */
  objects: FluxObjects;
  noCrossNamespaceRefs?: boolean;
}

export function notificationSteps(deps: NotificationDependencies) {
  const context: NotificationContext = { objects: deps.objects, noCrossNamespaceRefs: deps.noCrossNamespaceRefs };
  return {
    matchAlerts: matchAlertsStep(context),
    send: sendStep(context),
    reportFailure: reportFailureStep(context),
  };
}

export type NotificationSteps = ReturnType<typeof notificationSteps>;

export function createNotificationActivities(deps: NotificationDependencies) {
  return stepActivities('Notification', notificationSteps(deps));
}
