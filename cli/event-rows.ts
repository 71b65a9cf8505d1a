// `events`: the Kubernetes Events about Flux objects, oldest first, as `flux events`
// lists them.
import type { CoreV1Event } from '@kubernetes/client-node';
import { age } from './table.js';

export interface EventRecord {
  namespace: string;
  lastSeen?: string;
  type: string;
  reason: string;
  /** `Kustomization/apps` */
  object: string;
  message: string;
}

/** `Kustomization/apps` → the kind and name `--for` asks about; undefined when it is not that form. */
export function parseFor(text: string): { kind: string; name: string } | undefined {
  const match = /^([A-Za-z]+)\/([^/]+)$/.exec(text);
  return match ? { kind: match[1]!, name: match[2]! } : undefined;
}

function timestamp(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}

/** The events of Flux objects (kinds of the *.toolkit.fluxcd.io groups), optionally of one object, oldest first. */
export function fluxEvents(events: readonly CoreV1Event[], only?: { kind: string; name: string }): EventRecord[] {
  return events
    .filter((event) => /\.toolkit\.fluxcd\.io\//.test(event.involvedObject.apiVersion ?? ''))
    .filter((event) => !only || (event.involvedObject.kind?.toLowerCase() === only.kind.toLowerCase() && event.involvedObject.name === only.name))
    .map((event) => ({
      namespace: event.involvedObject.namespace ?? event.metadata.namespace ?? '',
      lastSeen: timestamp(event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp),
      type: event.type ?? '',
      reason: event.reason ?? '',
      object: `${event.involvedObject.kind}/${event.involvedObject.name}`,
      message: event.message ?? '',
    }))
    .sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''));
}

export function eventTable(records: readonly EventRecord[], options: { allNamespaces: boolean; now: number }): { headers: string[]; rows: string[][] } {
  const headers = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  const rows = records.map((r) => [age(r.lastSeen, options.now), r.type, r.reason, r.object, r.message.replaceAll('\n', ' ')]);
  if (!options.allNamespaces) return { headers, rows };
  return { headers: ['NAMESPACE', ...headers], rows: rows.map((row, i) => [records[i]!.namespace, ...row]) };
}
