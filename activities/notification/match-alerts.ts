// The first step of an event's dispatch: the Alerts it reaches, by notification-
// controller's rules (domain/alert-match.ts), each with its Provider and the metadata that
// Provider will see. Problems with an Alert are Warnings on that Alert, as Flux records
// them; a suspended Alert or Provider is passed over without a word.
import { combinedMetadata, labelsMatch, messagePasses, sourcesFor, type AlertObject, type AlertSpec, type AlertWarning } from '../../domain/alert-match.js';
import type { NotificationEvent } from '../../domain/notification-event.js';
import { fluxKinds, type FluxKindName } from '../../kube/flux-kinds.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { NotificationContext } from './context.js';
import { describeInvolved, recordAlertWarning } from './alert-events.js';

export interface Dispatch {
  alert: { namespace: string; name: string };
  provider: string;
  /** the event with the Alert's combined metadata */
  event: NotificationEvent;
}

export function matchAlertsStep(context: NotificationContext) {
  const { objects } = context;
  return async function matchAlerts({ event }: { event: NotificationEvent }): Promise<Dispatch[]> {
    const alerts = (await objects.list('Alert')).items;
    const labels = lazyLabels(context, event);
    const dispatches: Dispatch[] = [];
    for (const object of alerts) {
      const alert: AlertObject = { namespace: object.metadata.namespace ?? 'default', name: object.metadata.name, spec: (object.spec ?? {}) as AlertSpec };
      if (alert.spec.suspend || !Array.isArray(alert.spec.eventSources)) continue;
      const warn = (warning: AlertWarning) => recordAlertWarning(context, object, warning);
      const sources = sourcesFor(alert, event);
      let reached = false;
      for (const source of sources) {
        if (!source.matchLabels) {
          reached = true;
          break;
        }
        const found = await labels();
        if (found === undefined) {
          await warn({ reason: 'SourceFetchFailed', message: `error getting source object ${describeInvolved(event)}` });
          break;
        }
        if (labelsMatch(source.matchLabels, found)) {
          reached = true;
          break;
        }
      }
      if (!reached) continue;
      const filter = messagePasses(alert, event.message);
      if (filter.warning) await warn(filter.warning);
      if (!filter.passes) continue;
      if (context.noCrossNamespaceRefs && event.involvedObject.namespace !== alert.namespace) {
        await warn({
          reason: 'NotificationDispatchFailed',
          message: `failed to dispatch notification for ${describeInvolved(event)}: discarding event, access denied to cross-namespace sources: alert '${alert.namespace}/${alert.name}' can't process event from '${describeInvolved(event)}', cross-namespace references have been blocked`,
        });
        continue;
      }
      const provider = await objects.get({ kind: 'Provider', namespace: alert.namespace, name: alert.spec.providerRef?.name ?? '' });
      if (!provider) {
        await warn({
          reason: 'NotificationDispatchFailed',
          message: `failed to dispatch notification for ${describeInvolved(event)}: failed to read provider: providers.notification.toolkit.fluxcd.io "${alert.spec.providerRef?.name ?? ''}" not found`,
        });
        continue;
      }
      if ((provider.spec as { suspend?: boolean } | undefined)?.suspend) continue;
      const combined = combinedMetadata(alert, event);
      if (combined.warning) await warn(combined.warning);
      dispatches.push({ alert: { namespace: alert.namespace, name: alert.name }, provider: provider.metadata.name, event: combined.event });
    }
    return dispatches;
  };
}

/** The involved object's labels, read once and only if an Alert's matchLabels needs them; undefined when it cannot be read. */
function lazyLabels({ objects }: NotificationContext, event: NotificationEvent): () => Promise<Record<string, string> | undefined> {
  let read: Promise<Record<string, string> | undefined> | undefined;
  return () => {
    read ??= (async () => {
      const { kind, namespace, name } = event.involvedObject;
      if (!(kind in fluxKinds)) return undefined;
      const object: KubernetesObject | undefined = await objects.get({ kind: kind as FluxKindName, namespace, name }).catch(() => undefined);
      return object ? (object.metadata.labels ?? {}) : undefined;
    })();
    return read;
  };
}
