// The dispatch of one event to the Alerts it reaches, started by the controller that
// recorded it (temporal/event-dispatch.ts) on the notification-controller's queue:
//
//   matchAlerts → send (one per Alert, together) [→ reportFailure] → the rate-limit window
//
// Its workflow ID is the event's rate-limit key (Flux's), so the same event recorded
// again while a dispatch holds that ID is refused at its start, as notification-
// controller answers a duplicate 429. Having dispatched, the workflow holds the ID for
// the rate-limit interval (5m); an event no Alert reached holds nothing.
import { log, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { NotificationSteps } from '../activities/notification/index.js';
import type { NotificationEvent } from '../domain/notification-event.js';
import { causeMessage } from './step-failures.js';
import { proxySteps } from './steps.js';

export interface NotificationDispatchInput {
  event: NotificationEvent;
  /** how long the dispatch keeps its ID, refusing the same event again: Flux's --rate-limit-interval */
  rateLimitIntervalMs: number;
}

const steps = proxySteps<NotificationSteps>('Notification', { startToCloseTimeout: '1 minute', heartbeatTimeout: '30 seconds' });

// Flux's notifier client: 5 attempts, waits of 2 s growing to 30 s.
const sendSteps = proxySteps<NotificationSteps>('Notification', {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function notificationDispatch({ event, rateLimitIntervalMs }: NotificationDispatchInput): Promise<void> {
  const { kind, namespace, name } = event.involvedObject;
  const about = `${kind} ${namespace}/${name} (${event.reason})`;
  let dispatches;
  try {
    setCurrentDetails(`finding the Alerts for the event of ${about}`);
    dispatches = await steps('matchAlerts', { event }, `the Alerts for ${about}`);
  } catch (error) {
    // As notification-controller: an event whose Alerts cannot be listed is discarded.
    log.warn('discarding event: the Alerts could not be read', { event: about, error: causeMessage(error) });
    return;
  }
  if (dispatches.length === 0) return;
  setCurrentDetails(`sending the event of ${about} to ${dispatches.map((d) => `Alert ${d.alert.namespace}/${d.alert.name}`).join(', ')}`);
  await Promise.all(
    dispatches.map(async (dispatch) => {
      const to = `Alert ${dispatch.alert.namespace}/${dispatch.alert.name} → Provider ${dispatch.provider.name}`;
      try {
        await sendSteps('send', dispatch, `${about} to ${to}`);
      } catch (error) {
        const message = causeMessage(error);
        try {
          await steps('reportFailure', { alert: dispatch.alert, message }, `the failure on Alert ${dispatch.alert.namespace}/${dispatch.alert.name}`);
        } catch (reportError) {
          log.warn('a failed notification could not be reported on its Alert', { alert: to, error: message, reportError: causeMessage(reportError) });
        }
      }
    }),
  );
  setCurrentDetails(`dispatched; the same event is dropped as a duplicate until this ends`);
  await sleep(rateLimitIntervalMs);
}
