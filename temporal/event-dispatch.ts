// Handing a recorded event to the notification-controller, as Flux's controllers POST
// theirs to its event server: the event in Flux's form, its metadata cleaned as the
// server cleans it, started as a notificationDispatch workflow whose ID is the event's
// rate-limit key. A duplicate within the rate-limit window is refused by Temporal at its
// start (the server's 429) and dropped. A dispatch that cannot start never fails the step
// that recorded the event: the Kubernetes Event is written either way.
import { hostname } from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { TaskQueue } from '../common/task-queues.js';
import { ObjectKind, ObjectName, ObjectNamespace } from '../common/search-attributes.js';
import { cleanedMetadata, notificationEventOf, rateLimitKey, withoutToken, type EventSubject, type RecordedEvent } from '../domain/notification-event.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { notificationDispatch } from '../workflows/notification-dispatch.js';

/** Flux's --rate-limit-interval default. */
export const defaultRateLimitIntervalMs = 5 * 60_000;

/** Beyond the rate-limit window, how long a dispatch may wait for a worker and send (five attempts). */
const dispatchBudgetMs = 10 * 60_000;

export interface EventDispatchOptions {
  taskQueuePrefix?: string;
  rateLimitIntervalMs?: number;
  /** where a dispatch that could not start is told */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

export type EventForwarder = (object: EventSubject, event: RecordedEvent, component: string) => Promise<void>;

export function eventForwarder(client: Client, options: EventDispatchOptions = {}): EventForwarder {
  const instance = hostname();
  const rateLimitIntervalMs = options.rateLimitIntervalMs ?? defaultRateLimitIntervalMs;
  return async (object, recorded, component) => {
    const cleaned = cleanedMetadata(notificationEventOf(object, recorded, component, instance, new Date()));
    const { kind, namespace, name } = cleaned.involvedObject;
    try {
      await client.workflow.start<typeof notificationDispatch>('notificationDispatch', {
        workflowId: `event/${rateLimitKey(cleaned)}`,
        taskQueue: `${options.taskQueuePrefix ?? ''}${TaskQueue.Notification}`,
        args: [{ event: withoutToken(cleaned), rateLimitIntervalMs }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        // Without a notification pool to take it, an event is dropped (as Flux's is while its
        // notification-controller is down) instead of waiting to go out hours late.
        workflowRunTimeout: rateLimitIntervalMs + dispatchBudgetMs,
        staticSummary: `${recorded.reason}: ${kind} ${namespace}/${name}`,
        typedSearchAttributes: [
          { key: ObjectKind, value: kind },
          { key: ObjectNamespace, value: namespace },
          { key: ObjectName, value: name },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return; // a duplicate, dropped as Flux drops it
      options.warn?.('the event could not be handed to the notification-controller', { kind, namespace, name, reason: recorded.reason, error: (error as Error).message });
    }
  };
}

/** The objects of a pool whose recorded events are also dispatched to Alerts. */
export function forwardingEvents(objects: FluxObjects, forward: EventForwarder): FluxObjects {
  return {
    ...objects,
    async recordEvent(object, event, component) {
      try {
        await objects.recordEvent(object, event, component);
      } finally {
        // Not awaited, as Flux's recorder posts in the background: a slow Temporal
        // frontend does not hold up the step that records the event.
        forward(object, event, component).catch(() => undefined);
      }
    },
  };
}
