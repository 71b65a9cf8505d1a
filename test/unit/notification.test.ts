// Events as notification-controller takes them (internal/server/event_server.go,
// event_handlers.go) and sends them (internal/notifier): the metadata it keeps, its
// rate-limit key, which Alerts an event reaches and with which metadata, and what each
// Provider type posts. Expected values are Flux's formats, written out here.
import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { combinedMetadata, messagePasses, sourcesFor, type AlertObject } from '../../domain/alert-match.js';
import { cleanedMetadata, notificationEventOf, rateLimitKey, withoutToken, type NotificationEvent } from '../../domain/notification-event.js';
import { outgoingMessage, type ProviderSettings } from '../../notification/payloads.js';
import { maskSecrets, providerConfig, secretsOf } from '../../notification/provider-settings.js';

const kustomization = {
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name: 'apps', namespace: 'flux-system', uid: 'u-1', resourceVersion: '42', annotations: { 'event.toolkit.fluxcd.io/env': 'prod', 'other.example.com/x': 'y' } },
};

function event(overrides: Partial<NotificationEvent> = {}): NotificationEvent {
  return {
    involvedObject: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    severity: 'info',
    timestamp: '2026-12-03T10:00:00Z',
    message: 'ConfigMap/apps/settings configured',
    reason: 'ReconciliationSucceeded',
    reportingController: 'kustomize-controller',
    ...overrides,
  };
}

function alert(spec: Partial<AlertObject['spec']> = {}, namespace = 'flux-system'): AlertObject {
  return { namespace, name: 'on-call', spec: { providerRef: { name: 'slack' }, eventSources: [{ kind: 'Kustomization', name: '*' }], ...spec } };
}

describe('the event a controller posts', () => {
  it('is Flux’s event JSON: a Warning is of severity error, the object’s event annotations travel as metadata', () => {
    const posted = notificationEventOf(kustomization, { type: 'Warning', reason: 'HealthCheckFailed', message: 'timeout', annotations: { 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' } }, 'kustomize-controller', 'worker-1', new Date('2026-12-03T10:00:00.123Z'));
    expect(posted).toEqual({
      involvedObject: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: 'flux-system', name: 'apps', uid: 'u-1', resourceVersion: '42' },
      severity: 'error',
      timestamp: '2026-12-03T10:00:00Z',
      message: 'timeout',
      reason: 'HealthCheckFailed',
      metadata: { 'event.toolkit.fluxcd.io/env': 'prod', 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
      reportingController: 'kustomize-controller',
      reportingInstance: 'worker-1',
    });
    expect(notificationEventOf(kustomization, { type: 'Normal', reason: 'Progressing', message: 'm' }, 'kustomize-controller', 'w', new Date()).severity).toBe('info');
  });

  it('keeps the metadata of the events group and the object’s group, less its checksum and digest', () => {
    const cleaned = cleanedMetadata(
      event({
        metadata: {
          'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc',
          'kustomize.toolkit.fluxcd.io/Digest': 'sha256:1',
          'kustomize.toolkit.fluxcd.io/checksum': 'c',
          'event.toolkit.fluxcd.io/env': 'prod',
          'source.toolkit.fluxcd.io/revision': 'not this group',
          plain: 'x',
        },
      }),
    );
    expect(cleaned.metadata).toEqual({ 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc', 'event.toolkit.fluxcd.io/env': 'prod' });
    expect(cleanedMetadata(event({ metadata: { plain: 'x' } })).metadata).toBeUndefined();
  });

  it('is rate limited by the sha256 of its name, namespace, kind, message, origin revision, revision and token', () => {
    const digest = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(rateLimitKey(event())).toBe(digest('event/name=apps/namespace=flux-system/kind=Kustomization/message=ConfigMap/apps/settings configured'));
    const full = event({
      metadata: { 'kustomize.toolkit.fluxcd.io/token': 't', 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc', 'kustomize.toolkit.fluxcd.io/originRevision': 'v1@sha1:def' },
    });
    expect(rateLimitKey(full)).toBe(digest('event/name=apps/namespace=flux-system/kind=Kustomization/message=ConfigMap/apps/settings configured/originRevision=v1@sha1:def/revision=main@sha1:abc/token=t'));
    // Severity is no part of it.
    expect(rateLimitKey(event({ severity: 'error' }))).toBe(rateLimitKey(event()));
    expect(withoutToken(full).metadata).toEqual({ 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc', 'kustomize.toolkit.fluxcd.io/originRevision': 'v1@sha1:def' });
  });
});

describe('the Alerts an event reaches', () => {
  it('matches kind exactly, a name or *, the Alert’s namespace by default; info hears errors too, error only errors', () => {
    expect(sourcesFor(alert(), event())).toHaveLength(1);
    expect(sourcesFor(alert({ eventSources: [{ kind: 'Kustomization', name: 'apps' }] }), event())).toHaveLength(1);
    expect(sourcesFor(alert({ eventSources: [{ kind: 'Kustomization', name: 'app*' }] }), event())).toHaveLength(0);
    expect(sourcesFor(alert({ eventSources: [{ kind: 'kustomization', name: '*' }] }), event())).toHaveLength(0);
    expect(sourcesFor(alert({}, 'apps'), event())).toHaveLength(0);
    expect(sourcesFor(alert({ eventSources: [{ kind: 'Kustomization', name: '*', namespace: 'flux-system' }] }, 'apps'), event())).toHaveLength(1);
    expect(sourcesFor(alert({ eventSeverity: 'info' }), event({ severity: 'error' }))).toHaveLength(1);
    expect(sourcesFor(alert({ eventSeverity: 'error' }), event())).toHaveLength(0);
    expect(sourcesFor(alert({ eventSeverity: 'error' }), event({ severity: 'error' }))).toHaveLength(1);
  });

  it('passes a message that an inclusion expression matches and no exclusion does; exclusion wins', () => {
    expect(messagePasses(alert({ inclusionList: ['configured$'] }), 'ConfigMap/a configured').passes).toBe(true);
    expect(messagePasses(alert({ inclusionList: ['^Deployment'] }), 'ConfigMap/a configured').passes).toBe(false);
    expect(messagePasses(alert({ inclusionList: ['configured'], exclusionList: ['ConfigMap'] }), 'ConfigMap/a configured').passes).toBe(false);
    expect(messagePasses(alert({ exclusionList: ['(?i)CONFIGMAP'] }), 'ConfigMap/a configured').passes).toBe(false);
    // As Flux: an expression that does not compile is a Warning and is passed over.
    expect(messagePasses(alert({ exclusionList: ['(unclosed'] }), 'x')).toEqual({ passes: true, warnings: [{ reason: 'InvalidConfig', message: 'failed to compile exclusion regex: (unclosed' }] });
    expect(messagePasses(alert({ inclusionList: ['(unclosed', 'x'] }), 'x')).toEqual({ passes: true, warnings: [{ reason: 'InvalidConfig', message: 'failed to compile inclusion regex: (unclosed' }] });
    expect(messagePasses(alert({ inclusionList: ['(unclosed'] }), 'x').passes).toBe(false);
    // RE2, as Go: its syntax, and no backtracking to stall on a long message.
    expect(messagePasses(alert({ inclusionList: ['configured\\z'] }), 'ConfigMap/a configured').passes).toBe(true);
    const started = Date.now();
    expect(messagePasses(alert({ inclusionList: ['(a|aa)+$'] }), `${'a'.repeat(39_000)}b`).passes).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives the Provider unprefixed metadata, the controller’s winning over the Alert’s over the object’s annotations, a clash a Warning', () => {
    const posted = event({ metadata: { 'event.toolkit.fluxcd.io/env': 'prod', 'event.toolkit.fluxcd.io/revision': 'mine', 'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc' } });
    const { event: combined, warning } = combinedMetadata(alert({ eventMetadata: { cluster: 'eu-1', env: 'staging' }, summary: 'apps changed' }), posted);
    expect(combined.metadata).toEqual({ env: 'staging', revision: 'main@sha1:abc', cluster: 'eu-1', summary: 'apps changed' });
    expect(warning).toEqual({
      reason: 'MetadataAppendFailed',
      message: 'metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information)',
      annotations: { env: 'involved object annotations, Alert object .spec.eventMetadata', revision: 'involved object annotations, involved object controller metadata' },
    });
    expect(combinedMetadata(alert(), event()).event.metadata).toBeUndefined();
  });
});

describe('what a Provider posts', () => {
  const sent = event({ metadata: { revision: 'main@sha1:abc', summary: 'prod' } });
  const settings = (type: string, more: Partial<ProviderSettings> = {}): ProviderSettings => ({ type, address: 'https://hooks.example.com/services/T0/B0', ...more });

  it('generic: the event as JSON, with gotk-component and the Secret’s headers', () => {
    const message = outgoingMessage(settings('generic', { headers: { 'X-Team': 'platform' } }), sent)!;
    expect(JSON.parse(message.body)).toEqual(sent);
    expect(message.headers).toEqual({ 'gotk-component': 'kustomize-controller', 'X-Team': 'platform' });
  });

  it('generic-hmac: X-Signature is sha256= and the hex HMAC-SHA256 of the body with the token', () => {
    const message = outgoingMessage(settings('generic-hmac', { token: 's3cret' }), sent)!;
    expect(message.headers['X-Signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(message.body).digest('hex')}`);
    expect(() => outgoingMessage(settings('generic-hmac'), sent)).toThrow('failed to initialize notifier: HMAC key is empty');
  });

  it('slack: one attachment named kind/name.namespace, good or danger, a field per metadata key; a token as Bearer', () => {
    const message = outgoingMessage(settings('slack', { channel: '#ops', token: 'xoxb-1' }), event({ severity: 'error', metadata: { revision: 'main@sha1:abc' } }))!;
    expect(JSON.parse(message.body)).toEqual({
      channel: '#ops',
      username: 'kustomize-controller',
      icon_url: '',
      icon_emoji: '',
      attachments: [{ color: 'danger', author_name: 'kustomization/apps.flux-system', text: 'ConfigMap/apps/settings configured', mrkdwn_in: ['text'], fields: [{ title: 'revision', value: 'main@sha1:abc', short: false }] }],
    });
    expect(message.headers).toEqual({ Authorization: 'Bearer xoxb-1' });
    expect(message.check).toBeUndefined();
    expect(outgoingMessage(settings('slack', { address: 'https://slack.com/api/chat.postMessage' }), sent)!.check).toBe('slack-web-api');
    expect(outgoingMessage(settings('slack'), event({ metadata: { commit_status: 'update' } }))).toBeUndefined();
  });

  it('discord: Slack’s payload, its channel empty, to the webhook’s /slack endpoint', () => {
    const message = outgoingMessage(settings('discord', { address: 'https://discord.com/api/webhooks/1/abc', channel: 'general' }), sent)!;
    expect(message.url).toBe('https://discord.com/api/webhooks/1/abc/slack');
    expect(JSON.parse(message.body)).toMatchObject({ channel: '', username: 'kustomize-controller', attachments: [{ author_name: 'kustomization/apps.flux-system' }] });
    expect(outgoingMessage(settings('discord', { address: 'https://discord.com/api/webhooks/1/abc/slack' }), sent)!.url).toBe('https://discord.com/api/webhooks/1/abc/slack');
  });

  it('msteams: an Adaptive Card with the summary first and the other keys sorted; an O365 connector card for webhook.office.com', () => {
    const card = JSON.parse(outgoingMessage(settings('msteams', { address: 'https://prod.westeurope.logic.azure.com/workflows/1' }), event({ metadata: { zeta: 'z', summary: 'prod', alpha: 'a' } }))!.body);
    const container = card.attachments[0].content.body[0];
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(container.items[0]).toMatchObject({ type: 'TextBlock', text: 'kustomization/apps.flux-system' });
    expect(container.items[2].facts.map((fact: { title: string }) => fact.title)).toEqual(['summary', 'alpha', 'zeta']);
    const legacy = JSON.parse(outgoingMessage(settings('msteams', { address: 'https://contoso.webhook.office.com/webhookb2/1' }), event({ severity: 'error' }))!.body);
    expect(legacy).toMatchObject({ '@type': 'MessageCard', themeColor: 'FF0000', summary: 'kustomization/apps.flux-system', sections: [{ activityTitle: 'ConfigMap/apps/settings configured' }] });
  });

  it('refuses an address that is no URL, and the types it does not send to yet, by name', () => {
    expect(() => outgoingMessage(settings('generic', { address: '' }), sent)).toThrow('invalid hook URL : parse "": empty url');
    expect(() => outgoingMessage(settings('slack', { address: 'hooks.slack.com/x' }), sent)).toThrow(`invalid Slack hook URL hooks.slack.com/x: 'parse "hooks.slack.com/x": invalid URI for request'`);
    expect(() => outgoingMessage(settings('telegram'), sent)).toThrow('provider telegram is not supported by Kimbernetes yet');
  });
});

describe('a Provider’s settings', () => {
  it('takes the Secret’s address, username, password, token and headers over the spec’s', () => {
    const config = providerConfig(
      { type: 'generic', address: 'https://spec.example.com', username: 'spec-user', timeout: '30s', secretRef: { name: 's' } },
      { address: ' https://secret.example.com/hook \n', username: 'bot', password: 'pw', token: ' t0k \n', headers: 'X-Api-Key: k\nX-Team: platform\n' },
      undefined,
    );
    expect(config).toEqual({
      ok: true,
      settings: { type: 'generic', address: 'https://secret.example.com/hook', addressFromSecret: true, username: 'bot', password: 'pw', token: 't0k', headers: { 'X-Api-Key': 'k', 'X-Team': 'platform' } },
      timeoutMs: 30_000,
    });
    expect(providerConfig({ type: 'slack', address: 'https://x' }, undefined, undefined)).toMatchObject({ ok: true, timeoutMs: 15_000 });
  });

  it('refuses what it would otherwise ignore: workload identity, proxies, headers that are not a map', () => {
    expect(providerConfig({ type: 'generic', serviceAccountName: 'sa' }, undefined, undefined)).toEqual({
      ok: false,
      message: 'to use spec.serviceAccountName for provider authentication please enable the ObjectLevelWorkloadIdentity feature gate in the controller',
    });
    expect(providerConfig({ type: 'generic', proxy: 'http://proxy:3128' }, undefined, undefined)).toMatchObject({ ok: false });
    expect(providerConfig({ type: 'generic' }, { headers: '- a\n- b\n' }, undefined)).toEqual({ ok: false, message: 'failed to read headers from secret: not a map of header names to values' });
    expect(providerConfig({ type: 'generic' }, { address: 'x'.repeat(2049) }, undefined)).toEqual({ ok: false, message: 'invalid address in secret: address exceeds maximum length of 2048 bytes' });
  });

  it('masks every credential in an error’s words: token, password, header values, an address the Secret gave', () => {
    expect(maskSecrets('request failed with status code 401: bad token t0k for bot:pwd', ['t0k', 'pwd'])).toBe('request failed with status code 401: bad token ***** for bot:*****');
    const secrets = secretsOf({ type: 'slack', address: 'https://hooks.slack.com/services/T0/B0/XXXX', addressFromSecret: true, token: 'xoxb-1', headers: { 'X-Api-Key': 'key-123' } });
    expect(maskSecrets('Post "https://hooks.slack.com/services/T0/B0/XXXX": dial tcp: lookup hooks.slack.com: no such host; sent xoxb-1 and key-123', secrets)).toBe('Post "*****": dial tcp: lookup hooks.slack.com: no such host; sent ***** and *****');
    // An address written in the spec is no secret.
    expect(secretsOf({ type: 'generic', address: 'https://hooks.example.com/x' })).toEqual([]);
  });
});
