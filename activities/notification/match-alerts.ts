// The first step of an event's dispatch: the Alerts it reaches, by notification-
// controller's rules (domain/alert-match.ts), each with its Provider and the metadata that
// Provider will see. Problems with an Alert are Warnings on that Alert, as Flux records
// them; a suspended Alert or Provider is passed over without a word.
import { combinedMetadata, labelsMatch, messagePasses, sourcesFor, type AlertObject, type AlertSpec, type AlertWarning } from '../../domain/alert-match.js';
import type { NotificationEvent } from '../../domain/notification-event.js';
import { fluxKinds, type FluxKindName } from '../../kube/flux-kinds.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { ProviderSpec } from '../../notification/provider-settings.js';
import type { NotificationContext } from './context.js';
import { describeInvolved, recordAlertWarning } from './alert-events.js';

export interface Dispatch {
  alert: { namespace: string; name: string };
  /** the Provider as read when the Alert matched (its spec holds no secret; the send step reads its Secrets) */
  provider: { name: string; spec: ProviderSpec };
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
      // One Alert's trouble is its own: the others still hear of the event.
      try {
        const dispatch = await matchAlert(context, object, event, labels);
        if (dispatch) dispatches.push(dispatch);
      } catch (error) {
        await recordAlertWarning(context, object, {
          reason: 'NotificationDispatchFailed',
          message: `failed to dispatch notification for ${describeInvolved(event)}: ${(error as Error).message}`,
        }).catch(() => undefined);
      }
    }
    return dispatches;
  };
}

async function matchAlert(context: NotificationContext, object: KubernetesObject, event: NotificationEvent, labels: () => Promise<Record<string, string> | undefined>): Promise<Dispatch | undefined> {
  const alert: AlertObject = { namespace: object.metadata.namespace ?? 'default', name: object.metadata.name, spec: (object.spec ?? {}) as AlertSpec };
  if (alert.spec.suspend || !Array.isArray(alert.spec.eventSources)) return undefined;
  const warn = (warning: AlertWarning) => recordAlertWarning(context, object, warning);
  let reached = false;
  for (const source of sourcesFor(alert, event)) {
    if (!source.matchLabels) {
      reached = true;
      break;
    }
    const found = await labels();
    if (found === undefined) {
      // As Flux: this source does not match; the next one may.
      await warn({ reason: 'SourceFetchFailed', message: `error getting source object ${describeInvolved(event)}` });
      continue;
    }
    if (labelsMatch(source.matchLabels, found)) {
      reached = true;
      break;
    }
  }
  if (!reached) return undefined;
  const filter = messagePasses(alert, event.message);
  for (const warning of filter.warnings) await warn(warning);
  if (!filter.passes) return undefined;
  const dispatchFailed = (message: string) => warn({ reason: 'NotificationDispatchFailed', message: `failed to dispatch notification for ${describeInvolved(event)}: ${message}` });
  if (context.noCrossNamespaceRefs && event.involvedObject.namespace !== alert.namespace) {
    await dispatchFailed(`discarding event, access denied to cross-namespace sources: alert '${alert.namespace}/${alert.name}' can't process event from '${describeInvolved(event)}', cross-namespace references have been blocked`);
    return undefined;
  }
  const providerName = alert.spec.providerRef?.name ?? '';
  const provider = await context.objects.get({ kind: 'Provider', namespace: alert.namespace, name: providerName });
  if (!provider) {
    await dispatchFailed(`failed to read provider: providers.notification.toolkit.fluxcd.io "${providerName}" not found`);
    return undefined;
  }
  const spec = (provider.spec ?? {}) as ProviderSpec;
  if (spec.suspend) return undefined;
  const combined = combinedMetadata(alert, event);
  if (combined.warning) await warn(combined.warning);
  return { alert: { namespace: alert.namespace, name: alert.name }, provider: { name: provider.metadata.name, spec }, event: combined.event };
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
