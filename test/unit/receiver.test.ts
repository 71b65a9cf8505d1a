// A Receiver as notification-controller serves it (internal/server/receiver_handlers.go,
// internal/controller/receiver_controller.go, api/v1/receiver_types.go): its webhook path,
// the checks of each type, the resources' default apiVersions, the resourceFilter, the
// requestedAt value and the status each reconcile leaves. Expected values are Flux's.
import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { compileResourceFilter, filterPasses, nextReceiverStatus, receiverSpecProblem, requestedAtValue, resourceApiVersion, webhookPath } from '../../domain/receiver.js';
import { validateCall } from '../../notification/receiver-validation.js';

const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (algorithm: string, key: string) => createHmac(algorithm, key).update(body).digest('hex');

describe('a Receiver', () => {
  it('is served at /hook/ and the sha256 of its token, name and namespace', () => {
    expect(webhookPath('t0k', 'github', 'flux-system')).toBe(`/hook/${createHash('sha256').update('t0kgithubflux-system').digest('hex')}`);
  });

  it('checks generic-hmac signatures of sha1, sha256 and sha512', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512']) expect(validateCall('generic-hmac', { headers: { 'x-signature': `${algorithm}=${hmac(algorithm, 'key')}` }, body }, 'key')).toEqual({ ok: true });
    expect(validateCall('generic-hmac', { headers: { 'x-signature': `sha256=${hmac('sha256', 'other')}` }, body }, 'key')).toEqual({ ok: false, message: 'unable to validate HMAC signature: payload signature check failed' });
    expect(validateCall('generic-hmac', { headers: {}, body }, 'key')).toEqual({ ok: false, message: 'unable to validate HMAC signature: missing signature' });
    expect(validateCall('generic-hmac', { headers: { 'x-signature': 'md5=00' }, body }, 'key')).toEqual({ ok: false, message: 'unable to validate HMAC signature: error parsing signature "md5=00"' });
  });

  it('checks GitHub’s signature (sha256 first, then sha1) and event, GitLab’s token and event', () => {
    const github = (headers: Record<string, string>, events?: string[]) => validateCall('github', { headers: { 'content-type': 'application/json', ...headers }, body }, 'key', events);
    expect(github({ 'x-hub-signature-256': `sha256=${hmac('sha256', 'key')}`, 'x-github-event': 'push' }, ['Push'])).toEqual({ ok: true });
    expect(github({ 'x-hub-signature': `sha1=${hmac('sha1', 'key')}`, 'x-github-event': 'push' })).toEqual({ ok: true });
    expect(github({ 'x-hub-signature-256': `sha256=${hmac('sha256', 'key')}`, 'x-github-event': 'issues' }, ['push'])).toEqual({ ok: false, message: 'the GitHub event "issues" is not authorised' });
    expect(github({ 'x-github-event': 'push' })).toEqual({ ok: false, message: 'the GitHub signature header is invalid, err: missing signature' });
    expect(github({ 'content-type': 'text/plain', 'x-hub-signature-256': `sha256=${hmac('sha256', 'key')}` })).toEqual({ ok: false, message: 'the GitHub signature header is invalid, err: webhook request has unsupported Content-Type "text/plain"' });
    expect(validateCall('harbor', { headers: { authorization: 'key' }, body }, 'key')).toEqual({ ok: true });
    expect(validateCall('harbor', { headers: { authorization: 'ke' }, body }, 'key')).toMatchObject({ ok: false });
    expect(validateCall('gitlab', { headers: { 'x-gitlab-token': 'key', 'x-gitlab-event': 'Push Hook' }, body }, 'key', ['Push Hook'])).toEqual({ ok: true });
    expect(validateCall('gitlab', { headers: { 'x-gitlab-token': 'nope' }, body }, 'key')).toEqual({ ok: false, message: 'the X-Gitlab-Token header value does not match the receiver token' });
    expect(validateCall('generic', { headers: {}, body }, 'key')).toEqual({ ok: true });
  });

  it('defaults the apiVersion of the source kinds and ImageRepository only', () => {
    expect(resourceApiVersion({ kind: 'OCIRepository', name: 'x' })).toBe('source.toolkit.fluxcd.io/v1');
    expect(resourceApiVersion({ kind: 'ImageRepository', name: 'x' })).toBe('image.toolkit.fluxcd.io/v1');
    expect(resourceApiVersion({ kind: 'Kustomization', name: 'x' })).toBeUndefined();
    expect(resourceApiVersion({ kind: 'Kustomization', name: 'x', apiVersion: 'kustomize.toolkit.fluxcd.io/v1' })).toBe('kustomize.toolkit.fluxcd.io/v1');
  });

  it('filters resources by a CEL expression over the request and the resource’s metadata; refuses one that does not compile', () => {
    const filter = compileResourceFilter('req.tag.contains(res.metadata.name)');
    if (!filter.ok) throw new Error(filter.message);
    expect(filterPasses(filter.evaluate, { tag: 'podinfo:6.5' }, { metadata: { name: 'podinfo' } })).toBe(true);
    expect(filterPasses(filter.evaluate, { tag: 'other:1' }, { metadata: { name: 'podinfo' } })).toBe(false);
    expect(receiverSpecProblem({ type: 'generic', resources: [], secretRef: { name: 's' }, resourceFilter: 'req.tag ==' })).toMatchObject({ reason: 'InvalidCELExpression' });
    expect(receiverSpecProblem({ type: 'quay', resources: [], secretRef: { name: 's' } })).toMatchObject({ reason: 'UnsupportedType', message: expect.stringContaining("Receiver type 'quay' is not supported by Kimbernetes yet") });
  });

  it('annotates with Go’s time.String() of now', () => {
    expect(requestedAtValue(new Date('2026-12-03T10:00:00.120Z'), 12.5)).toBe('2026-12-03 10:00:00.12 +0000 UTC m=+12.500000000');
    expect(requestedAtValue(new Date('2026-12-03T10:00:00.000Z'), 1)).toBe('2026-12-03 10:00:00 +0000 UTC m=+1.000000000');
  });

  it('leaves Flux’s status: Ready with the path, TokenNotFound with none, InvalidCELExpression stalled', () => {
    const ctx = { now: '2026-12-03T10:00:00Z', generation: 2, intervalMs: 600_000 };
    const ready = nextReceiverStatus({}, { outcome: 'ready', path: '/hook/abc' }, { ...ctx, requestedAt: 'now' });
    expect(ready.status).toMatchObject({ webhookPath: '/hook/abc', observedGeneration: 2, lastHandledReconcileAt: 'now', conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'Receiver initialized for path: /hook/abc' }] });
    expect(ready.event).toEqual({ type: 'Normal', reason: 'Succeeded', message: 'Reconciliation finished, next run in 10m0s' });
    const missing = nextReceiverStatus(ready.status, { outcome: 'token-missing', message: 'unable to read token' }, ctx);
    expect(missing.status.webhookPath).toBeUndefined();
    expect(missing.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'TokenNotFound' });
    expect(missing.event).toEqual({ type: 'Warning', reason: 'Failed', message: 'unable to read token' });
    const invalid = nextReceiverStatus({}, { outcome: 'invalid', reason: 'InvalidCELExpression', message: 'bad' }, ctx);
    expect(invalid.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'InvalidCELExpression'],
      ['Stalled', 'True', 'InvalidCELExpression'],
    ]);
  });
});
