// Which Alerts an event reaches, and the metadata it carries to each one's Provider: the
// rules of notification-controller's event handler (filterAlertsForEvent and
// combineEventMetadata), over objects already read.
import { goRegExp } from './go-regexp.js';
import { eventGroup, groupOf, type NotificationEvent } from './notification-event.js';

export interface EventSource {
  kind: string;
  name: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
}

/** notification.toolkit.fluxcd.io/v1beta3 Alert spec, as the CRD's schema admits it. */
export interface AlertSpec {
  providerRef: { name: string };
  eventSources: EventSource[];
  eventSeverity?: 'info' | 'error';
  inclusionList?: string[];
  exclusionList?: string[];
  eventMetadata?: Record<string, string>;
  summary?: string;
  suspend?: boolean;
}

export interface AlertObject {
  namespace: string;
  name: string;
  spec: AlertSpec;
}

/** A Warning the handler records on the Alert. */
export interface AlertWarning {
  reason: 'InvalidConfig' | 'SourceFetchFailed' | 'MetadataAppendFailed' | 'NotificationDispatchFailed';
  message: string;
  annotations?: Record<string, string>;
}

/** The sources of an Alert that name the event's object, kind and severity; their matchLabels are judged apart, on the object's labels. */
export function sourcesFor(alert: AlertObject, event: NotificationEvent): EventSource[] {
  const { kind, name, namespace } = event.involvedObject;
  const severity = alert.spec.eventSeverity ?? 'info';
  if (severity !== 'info' && severity !== event.severity) return [];
  return alert.spec.eventSources.filter(
    (source) => (source.namespace || alert.namespace) === namespace && source.kind === kind && (source.name === '*' || source.name === name),
  );
}

export function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * Whether the message passes the Alert's lists, as Flux's messageIsIncluded and
 * messageIsExcluded judge it: an expression that does not compile is a Warning and is
 * passed over, the others still count (so a list of only broken inclusions admits
 * nothing, a broken exclusion excludes nothing).
 */
export function messagePasses(alert: AlertObject, message: string): { passes: boolean; warnings: AlertWarning[] } {
  const warnings: AlertWarning[] = [];
  const matches = (list: string[], which: 'inclusion' | 'exclusion') =>
    list.some((expression) => {
      try {
        return goRegExp(expression).test(message);
      } catch {
        warnings.push({ reason: 'InvalidConfig', message: `failed to compile ${which} regex: ${expression}` });
        return false;
      }
    });
  const inclusion = alert.spec.inclusionList ?? [];
  if (inclusion.length > 0 && !matches(inclusion, 'inclusion')) return { passes: false, warnings };
  return { passes: !matches(alert.spec.exclusionList ?? [], 'exclusion'), warnings };
}

/**
 * The metadata a Provider receives, unprefixed, by Flux's precedence (low to high): the
 * object's `event.toolkit.fluxcd.io/` annotations, the Alert's eventMetadata, its
 * deprecated summary, the controller's own keys. A key from two of them is a
 * MetadataAppendFailed Warning; the higher one wins.
 */
export function combinedMetadata(alert: AlertObject, event: NotificationEvent): { event: NotificationEvent; warning?: AlertWarning } {
  const group = groupOf(event.involvedObject);
  const withPrefix = (prefix: string) =>
    Object.entries(event.metadata ?? {})
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value] as const);
  const layers: Array<{ source: string; entries: ReadonlyArray<readonly [string, string]> }> = [
    { source: 'involved object annotations', entries: withPrefix(`${eventGroup}/`) },
    { source: 'Alert object .spec.eventMetadata', entries: Object.entries(alert.spec.eventMetadata ?? {}) },
    { source: 'Alert object .spec.summary', entries: alert.spec.summary ? [['summary', alert.spec.summary]] : [] },
    { source: 'involved object controller metadata', entries: withPrefix(`${group}/`) },
  ];
  const metadata: Record<string, string> = {};
  const sources = new Map<string, string[]>();
  for (const { source, entries } of layers) {
    for (const [key, value] of entries) {
      metadata[key] = value;
      sources.set(key, [...(sources.get(key) ?? []), source]);
    }
  }
  const conflicts = [...sources].filter(([, from]) => from.length > 1).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const combined = Object.keys(metadata).length > 0 ? { ...event, metadata } : event;
  if (conflicts.length === 0) return { event: combined };
  return {
    event: combined,
    warning: {
      reason: 'MetadataAppendFailed',
      message: 'metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information)',
      annotations: Object.fromEntries(conflicts.map(([key, from]) => [key, from.join(', ')])),
    },
  };
}
