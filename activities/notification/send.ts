// The step that sends one event to one Alert's Provider: the Provider's Secrets read
// here, on the worker, so that no token enters a workflow's history; the message built
// by the Provider's type and posted. Its failures are in Flux's words with every
// credential masked; those another attempt may fix are retried by the step's policy.
import { outgoingMessage, NotifierError } from '../../notification/payloads.js';
import { NotificationFailure, postMessage } from '../../notification/post-message.js';
import { maskSecrets, providerConfig, secretsOf } from '../../notification/provider-settings.js';
import type { Dispatch } from './match-alerts.js';
import type { NotificationContext } from './context.js';
import { describeInvolved } from './alert-events.js';

export type SendResult = { sent: true } | { sent: false; why: 'not for this provider' };

export function sendStep({ objects }: NotificationContext) {
  return async function send({ alert, provider: { name, spec }, event }: Dispatch): Promise<SendResult> {
    const notFor = describeInvolved(event);
    const refuse = (message: string) => new NotificationFailure(`failed to dispatch notification for ${notFor}: ${message}`, false);
    const readSecret = async (secretName: string | undefined) => {
      if (!secretName) return undefined;
      const data = await objects.getSecretData(alert.namespace, secretName);
      if (!data) throw refuse(`failed to get secret '${alert.namespace}/${secretName}': secrets "${secretName}" not found`);
      return data;
    };
    const config = providerConfig(spec, await readSecret(spec.secretRef?.name), await readSecret(spec.certSecretRef?.name));
    if (!config.ok) throw refuse(`failed to initialize notifier for provider '${name}': ${config.message}`);
    const secrets = secretsOf(config.settings);
    let message;
    try {
      message = outgoingMessage(config.settings, event);
    } catch (error) {
      if (error instanceof NotifierError) throw refuse(maskSecrets(`failed to initialize notifier for provider '${name}': ${error.message}`, secrets));
      throw error;
    }
    if (!message) return { sent: false, why: 'not for this provider' };
    try {
      await postMessage(message, { tls: config.tls, timeoutMs: config.timeoutMs });
    } catch (error) {
      if (error instanceof NotificationFailure) throw new NotificationFailure(maskSecrets(`failed to send notification for ${notFor}: ${error.message}`, secrets), error.retryable);
      throw error;
    }
    return { sent: true };
  };
}
