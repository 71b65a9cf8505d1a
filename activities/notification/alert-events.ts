// Warnings on an Alert, as notification-controller records them (Alerts have no status
// in v1beta3: their events are where a user reads what went wrong), and the step that
// records a dispatch's failure once its attempts are spent.
import type { AlertWarning } from '../../domain/alert-match.js';
import type { NotificationEvent } from '../../domain/notification-event.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { NotificationContext } from './context.js';

export const component = 'notification-controller';

/** `Kustomization/apps/webapp`, as the event handler names an event's object. */
export function describeInvolved(event: NotificationEvent): string {
  const { kind, namespace, name } = event.involvedObject;
  return `${kind}/${namespace}/${name}`;
}

export async function recordAlertWarning({ objects }: NotificationContext, alert: KubernetesObject, warning: AlertWarning): Promise<void> {
  await objects.recordEvent(alert, { type: 'Warning', reason: warning.reason, message: warning.message, ...(warning.annotations ? { annotations: warning.annotations } : {}) }, component);
}

export function reportFailureStep(context: NotificationContext) {
  return async function reportFailure({ alert, message }: { alert: { namespace: string; name: string }; message: string }): Promise<void> {
    const object = await context.objects.get({ kind: 'Alert', ...alert });
    if (object) await recordAlertWarning(context, object, { reason: 'NotificationDispatchFailed', message });
  };
}
