// The event a controller hands to the notification-controller, in the JSON form of
// Flux's event API (fluxcd/pkg apis/event/v1beta1), and what notification-controller's
// event server does to it before any Alert sees it: metadata cleaned to the keys it
// trusts, the rate-limit key that drops duplicates, the token left out.
import { createHash } from 'node:crypto';
import { apiGroupOf } from '../kube/objects.js';

export type EventSeverity = 'info' | 'error';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

/** The body Flux's controllers POST to notification-controller, and the `generic` provider forwards. */
export interface NotificationEvent {
  involvedObject: InvolvedObject;
  severity: EventSeverity;
  /** RFC 3339 */
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}

/** The group whose annotations on an object travel with its events (`event.toolkit.fluxcd.io/summary`). */
export const eventGroup = 'event.toolkit.fluxcd.io';

/** Flux's events API caps a message at this many characters. */
const maxMessageLength = 39_000;

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  annotations?: Record<string, string>;
}

export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string> };
}

/**
 * The event as Flux's recorder posts it: a Warning is of severity error, anything else
 * info; the event's annotations are its metadata, with the object's own
 * `event.toolkit.fluxcd.io/` annotations added.
 */
export function notificationEventOf(object: EventSubject, event: RecordedEvent, reportingController: string, reportingInstance: string, now: Date): NotificationEvent {
  const fromObject = Object.entries(object.metadata.annotations ?? {}).filter(([key]) => key.startsWith(`${eventGroup}/`));
  const metadata = { ...Object.fromEntries(fromObject), ...(event.annotations ?? {}) };
  return {
    involvedObject: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace ?? 'default',
      name: object.metadata.name,
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    },
    severity: event.type === 'Warning' ? 'error' : 'info',
    timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    message: event.message.slice(0, maxMessageLength),
    reason: event.reason,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    reportingController,
    reportingInstance,
  };
}

/** `kustomize.toolkit.fluxcd.io` for a Kustomization: the prefix of its controller's metadata keys. */
export function groupOf(object: InvolvedObject): string {
  return apiGroupOf(object.apiVersion);
}

/**
 * The metadata notification-controller keeps: keys of the events group or of the
 * object's own group, less the object group's `checksum` and `digest` (any case).
 */
export function cleanedMetadata(event: NotificationEvent): NotificationEvent {
  const group = groupOf(event.involvedObject);
  const dropped = new Set([`${group}/checksum`, `${group}/digest`].map((key) => key.toLowerCase()));
  const kept = Object.entries(event.metadata ?? {}).filter(
    ([key]) => (key.startsWith(`${eventGroup}/`) || key.startsWith(`${group}/`)) && !dropped.has(key.toLowerCase()),
  );
  return withMetadata(event, Object.fromEntries(kept));
}

/**
 * The rate-limit key of notification-controller's event server: the sha256 of
 * `event/name=…/namespace=…/kind=…/message=…` with the object group's originRevision,
 * revision and token, those present, in that order. Severity is not part of it.
 */
export function rateLimitKey(event: NotificationEvent): string {
  const { name, namespace, kind } = event.involvedObject;
  const group = groupOf(event.involvedObject);
  const parts = ['event', `name=${name}`, `namespace=${namespace}`, `kind=${kind}`, `message=${event.message}`];
  for (const key of ['originRevision', 'revision', 'token']) {
    const value = event.metadata?.[`${group}/${key}`];
    if (value !== undefined) parts.push(`${key}=${value}`);
  }
  return createHash('sha256').update(parts.join('/')).digest('hex');
}

/** The event less its token, which counts for the rate limit only, as notification-controller strips it. */
export function withoutToken(event: NotificationEvent): NotificationEvent {
  const token = `${groupOf(event.involvedObject)}/token`;
  if (!event.metadata || !(token in event.metadata)) return event;
  const metadata = { ...event.metadata };
  delete metadata[token];
  return withMetadata(event, metadata);
}

/** The event with this metadata, or none when it is empty (Flux's omitempty). */
function withMetadata(event: NotificationEvent, metadata: Record<string, string>): NotificationEvent {
  const copy = { ...event };
  delete copy.metadata;
  return Object.keys(metadata).length > 0 ? { ...copy, metadata } : copy;
}
