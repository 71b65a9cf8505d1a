// What each Provider type sends for an event, as notification-controller's notifiers
// build it: the URL, the headers and the JSON body. Pure: the POST is post-message.ts's.
import { createHmac } from 'node:crypto';
import type { NotificationEvent } from '../domain/notification-event.js';

/** A Provider's settings once its Secret is read: what a notifier needs. Held in the worker's memory only. */
export interface ProviderSettings {
  type: string;
  address: string;
  /** the address came from the Secret: for a webhook URL it is the credential itself */
  addressFromSecret?: boolean;
  channel?: string;
  username?: string;
  password?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface OutgoingMessage {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Slack's Web API answers 200 with `ok: false` on failure: such answers are read */
  check?: 'slack-web-api';
}

/** The types this engine sends to; Flux knows more (the CRD admits them), each refused by name. */
export const supportedProviderTypes = ['generic', 'generic-hmac', 'slack', 'discord', 'msteams'] as const;

export class NotifierError extends Error {}

/** The message for an event, or a NotifierError for a setting the notifier refuses (Flux's words). */
export function outgoingMessage(settings: ProviderSettings, event: NotificationEvent): OutgoingMessage | undefined {
  switch (settings.type) {
    case 'generic':
    case 'generic-hmac':
      return forwarded(settings, event);
    case 'slack':
      return slack(settings, event);
    case 'discord':
      return discord(settings, event);
    case 'msteams':
      return teams(settings, event);
    default:
      throw new NotifierError(`failed to initialize notifier: provider ${settings.type} is not supported by Kimbernetes yet (supported: ${supportedProviderTypes.join(', ')})`);
  }
}

/** The address as Go's url.ParseRequestURI takes it, in its words when it does not. */
function hookUrl(address: string, what: string, quoted: boolean): URL {
  let cause = address === '' ? 'parse "": empty url' : `parse "${address}": invalid URI for request`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(address)) {
    try {
      return new URL(address);
    } catch {
      cause = `parse "${address}": invalid URI for request`;
    }
  }
  throw new NotifierError(`invalid ${what} URL ${address}: ${quoted ? `'${cause}'` : cause}`);
}

/** generic and generic-hmac: the event itself, `gotk-component`, the Secret's headers, and for hmac `X-Signature: sha256=<hex>`. */
function forwarded(settings: ProviderSettings, event: NotificationEvent): OutgoingMessage {
  const url = hookUrl(settings.address, 'hook', false);
  const body = JSON.stringify(event);
  const headers: Record<string, string> = { 'gotk-component': event.reportingController, ...(settings.headers ?? {}) };
  if (settings.type === 'generic-hmac') {
    if (!settings.token) throw new NotifierError('failed to initialize notifier: HMAC key is empty');
    headers['X-Signature'] = `sha256=${createHmac('sha256', settings.token).update(body).digest('hex')}`;
  }
  return { url: url.href, headers, body };
}

/** `kustomization/podinfo.flux-system`: how the chat notifiers name an object. */
export function objectName(event: NotificationEvent): string {
  const { kind, name, namespace } = event.involvedObject;
  return `${kind.toLowerCase()}/${name}.${namespace}`;
}

function slackAttachment(event: NotificationEvent) {
  return {
    color: event.severity === 'error' ? 'danger' : 'good',
    author_name: objectName(event),
    text: event.message,
    mrkdwn_in: ['text'],
    fields: Object.entries(event.metadata ?? {}).map(([title, value]) => ({ title, value, short: false })),
  };
}

function slackPayload(settings: ProviderSettings, event: NotificationEvent, channel: string) {
  return { channel, username: settings.username || event.reportingController, icon_url: '', icon_emoji: '', attachments: [slackAttachment(event)] };
}

const slackWebApi = 'https://slack.com/api/chat.postMessage';

/** slack: one attachment; a token is sent as a Bearer token (Slack's Web API), an incoming webhook needs none. */
function slack(settings: ProviderSettings, event: NotificationEvent): OutgoingMessage | undefined {
  const url = hookUrl(settings.address, 'Slack hook', true);
  // As Flux: a commit status update is for git providers only.
  if (isCommitStatusUpdate(event)) return undefined;
  return {
    url: url.href,
    headers: settings.token ? { Authorization: `Bearer ${settings.token}` } : {},
    body: JSON.stringify(slackPayload(settings, event, settings.channel ?? '')),
    ...(url.href === slackWebApi ? { check: 'slack-web-api' as const } : {}),
  };
}

/** discord: its Slack-compatible endpoint (`/slack` added to the webhook's path), Slack's payload. */
function discord(settings: ProviderSettings, event: NotificationEvent): OutgoingMessage | undefined {
  const url = hookUrl(settings.address, 'Discord hook', true);
  if (!url.pathname.endsWith('/slack')) url.pathname = `${url.pathname.replace(/\/$/, '')}/slack`;
  if (isCommitStatusUpdate(event)) return undefined;
  // Flux's Slack payload always has its channel, empty here: Discord's endpoint has none.
  return { url: url.href, headers: {}, body: JSON.stringify(slackPayload(settings, event, '')) };
}

/** msteams: an Office 365 connector card for a `*.webhook.office.com` address, an Adaptive Card (Teams Workflows) for any other. */
function teams(settings: ProviderSettings, event: NotificationEvent): OutgoingMessage | undefined {
  const url = hookUrl(settings.address, 'MS Teams webhook', true);
  if (isCommitStatusUpdate(event)) return undefined;
  const name = objectName(event);
  const metadata = event.metadata ?? {};
  const facts = Object.entries(metadata).map(([key, value]) => ({ name: key, value }));
  if (url.hostname.endsWith('.webhook.office.com')) {
    const card = {
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: event.severity === 'error' ? 'FF0000' : '0076D7',
      summary: name,
      sections: [{ activityTitle: event.message, activitySubtitle: name, ...(facts.length > 0 ? { facts } : {}) }],
    };
    return { url: url.href, headers: {}, body: JSON.stringify(card) };
  }
  // The summary first, the other keys sorted, as Flux's Adaptive Card lists them.
  const keys = Object.keys(metadata).filter((key) => key !== 'summary').sort();
  const factSet = [...('summary' in metadata ? ['summary'] : []), ...keys].map((key) => ({ title: key, value: metadata[key]! }));
  const card = {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'Container',
              items: [
                { type: 'TextBlock', text: name, size: 'large', weight: 'bolder', wrap: true },
                { type: 'TextBlock', text: event.message, wrap: true, ...(event.severity === 'error' ? { color: 'attention' } : {}) },
                { type: 'FactSet', facts: factSet },
              ],
            },
          ],
        },
      },
    ],
  };
  return { url: url.href, headers: {}, body: JSON.stringify(card) };
}

function isCommitStatusUpdate(event: NotificationEvent): boolean {
  return event.metadata?.commit_status === 'update';
}
