// The failure contract: what type and retryability each error leaves an activity with,
// and the API server's Status read by its fields, not its words.
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { asActivityFailure } from '../../activities/failures.js';
import { FailureType } from '../../common/failures.js';
import { ArtifactError } from '../../artifacts/fetch.js';
import { isImmutableFieldError, toKubeError } from '../../kube/errors.js';
import { ClusterTargetError } from '../../kube/targets.js';
import { BuildError } from '../../kustomize/build.js';

const apiError = (code: number, body: unknown) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(body) });
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'settings' };

describe('failures leaving an activity', () => {
  it('keep the API server\'s answer: a 500 may pass when retried, a 403 will not', () => {
    const outage = asActivityFailure(toKubeError(apiError(500, { kind: 'Status', reason: 'InternalError', message: 'Internal error occurred: failed calling webhook "x"' }), 'apply', configMap));
    expect(outage).toMatchObject({ type: FailureType.KubeApi, nonRetryable: false, message: 'apply ConfigMap/apps/settings: Internal error occurred: failed calling webhook "x"' });
    const forbidden = asActivityFailure(toKubeError(apiError(403, { kind: 'Status', reason: 'Forbidden', message: 'configmaps "settings" is forbidden' }), 'get', configMap));
    expect(forbidden).toMatchObject({ type: FailureType.KubeApi, nonRetryable: true });
  });

  it('say whether a download may pass later', () => {
    expect(asActivityFailure(new ArtifactError('failed to download artifact: HTTP 503', true))).toMatchObject({ type: FailureType.Artifact, nonRetryable: false });
    expect(asActivityFailure(new ArtifactError('digest mismatch', false))).toMatchObject({ type: FailureType.Artifact, nonRetryable: true });
    expect(asActivityFailure(new ClusterTargetError('kubeconfig runs a program'))).toMatchObject({ type: FailureType.ClusterTarget, nonRetryable: true });
  });

  it('treat what no module classified as a bug: not retried, named as unexpected', () => {
    const failure = asActivityFailure(new TypeError("Cannot read properties of undefined (reading 'spec')"));
    expect(failure).toMatchObject({ type: FailureType.Unexpected, nonRetryable: true, message: "unexpected error: Cannot read properties of undefined (reading 'spec')" });
    // A user's mistake is a step result, never an activity failure; if one escapes, it is not retried either.
    expect(asActivityFailure(new BuildError('kustomize build failed')).nonRetryable).toBe(true);
    const passedOn = ApplicationFailure.create({ message: 'as it was', type: 'Custom', nonRetryable: false });
    expect(asActivityFailure(passedOn)).toBe(passedOn);
  });
});

describe('an immutable field', () => {
  it('is told by the Status reason and its field causes', () => {
    const invalid = toKubeError(
      apiError(422, {
        kind: 'Status',
        reason: 'Invalid',
        message: 'ConfigMap "settings" is invalid: data: Forbidden: field is immutable when `immutable` is set',
        details: { name: 'settings', kind: 'ConfigMap', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' }] },
      }),
      'apply',
      configMap,
    );
    expect(invalid.causes).toEqual([{ reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable when `immutable` is set', field: 'data' }]);
    expect(isImmutableFieldError(invalid)).toBe(true);
  });

  it('is told as Flux tells it: a conflict, an invalid answer, or a refusal that says immutable', () => {
    // fluxcd/pkg ssa errors.IsImmutableError: IsConflict || IsInvalid || "immutable" in the message.
    const conflict = toKubeError(apiError(409, { kind: 'Status', reason: 'Conflict', message: 'Operation cannot be fulfilled' }), 'apply', configMap);
    expect(isImmutableFieldError(conflict)).toBe(true);
    const webhook = toKubeError(apiError(400, { kind: 'Status', reason: 'BadRequest', message: 'admission webhook "guard" denied the request: spec.size is immutable' }), 'apply', configMap);
    expect(isImmutableFieldError(webhook)).toBe(true);
    const forbidden = toKubeError(apiError(403, { kind: 'Status', reason: 'Forbidden', message: 'configmaps "settings" is forbidden' }), 'apply', configMap);
    expect(isImmutableFieldError(forbidden)).toBe(false);
    const outage = toKubeError(apiError(500, { kind: 'Status', reason: 'InternalError', message: 'etcdserver: request timed out' }), 'apply', configMap);
    expect(isImmutableFieldError(outage)).toBe(false);
  });
});
