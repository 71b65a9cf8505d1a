// What `kubectl get gitrepository` and its events say after each kind of reconcile.
import { describe, expect, it } from '@jest/globals';
import { commitSubject, nextGitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { findCondition } from '../../domain/conditions.js';
import type { Artifact } from '../../artifacts/store.js';

const artifact = (revision: string, digest: string): Artifact => ({
  path: `gitrepository/flux-system/fleet/${digest}.tar.gz`,
  url: `http://127.0.0.1:9090/gitrepository/flux-system/fleet/${digest}.tar.gz`,
  revision,
  digest: `sha256:${digest}`,
  size: 100,
  lastUpdateTime: '2026-01-01T00:00:00Z',
});
const first = artifact(`main@sha1:${'a'.repeat(40)}`, '1'.repeat(64));
const second = artifact(`main@sha1:${'b'.repeat(40)}`, '2'.repeat(64));
const context = { now: '2026-01-01T00:00:00Z', generation: 2 };

describe('GitRepository status', () => {
  it('is Ready with the stored artifact, and records a NewArtifact event', () => {
    const { status, event } = nextGitRepositoryStatus({}, { outcome: 'stored', artifact: first, commitSubject: 'add podinfo' }, { ...context, requestedAt: 'now-1' });
    expect(findCondition(status.conditions, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${first.revision}'` });
    expect(findCondition(status.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True' });
    expect(status).toMatchObject({ artifact: first, observedGeneration: 2, lastHandledReconcileAt: 'now-1' });
    expect(event).toEqual({
      type: 'Normal',
      reason: 'NewArtifact',
      message: "stored artifact for commit 'add podinfo'",
      annotations: { 'source.toolkit.fluxcd.io/revision': first.revision, 'source.toolkit.fluxcd.io/digest': first.digest },
    });
  });

  it('keeps the last artifact through a failure, without moving observedGeneration', () => {
    const ready = nextGitRepositoryStatus({}, { outcome: 'stored', artifact: first, commitSubject: 'x' }, context).status;
    const { status, event } = nextGitRepositoryStatus(
      ready,
      { outcome: 'failed', reason: 'AuthenticationFailed', message: 'authentication failed for https://x', stalled: false },
      { ...context, generation: 3 },
    );
    expect(status.artifact).toEqual(first);
    expect(status.observedGeneration).toBe(2);
    expect(findCondition(status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'AuthenticationFailed' });
    expect(findCondition(status.conditions, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'AuthenticationFailed' });
    expect(findCondition(status.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True' });
    expect(findCondition(status.conditions, 'Reconciling')).toMatchObject({ reason: 'ProgressingWithRetry' });
    expect(event).toMatchObject({ type: 'Warning', reason: 'AuthenticationFailed' });
  });

  it('records observedGeneration when a failure stalls', () => {
    const { status } = nextGitRepositoryStatus({}, { outcome: 'failed', reason: 'URLInvalid', message: 'spec.url: bad', stalled: true }, context);
    expect(status.observedGeneration).toBe(2);
    expect(findCondition(status.conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'URLInvalid' });
  });

  it('records no event when nothing changed, and Succeeded when recovering', () => {
    const ready = nextGitRepositoryStatus({}, { outcome: 'stored', artifact: first, commitSubject: 'x' }, context).status;
    expect(nextGitRepositoryStatus(ready, { outcome: 'unchanged', artifact: first }, context).event).toBeUndefined();
    const failed = nextGitRepositoryStatus(ready, { outcome: 'failed', reason: 'GitOperationFailed', message: 'm', stalled: false }, context).status;
    const recovered = nextGitRepositoryStatus(failed, { outcome: 'unchanged', artifact: first }, context);
    expect(recovered.event).toMatchObject({ type: 'Normal', reason: 'Succeeded' });
    expect(findCondition(recovered.status.conditions, 'FetchFailed')).toBeUndefined();
    expect(findCondition(recovered.status.conditions, 'Reconciling')).toBeUndefined();
  });

  it('announces a new revision once', () => {
    const ready = nextGitRepositoryStatus({}, { outcome: 'stored', artifact: first, commitSubject: 'x' }, context).status;
    expect(nextGitRepositoryStatus(ready, { outcome: 'stored', artifact: second, commitSubject: 'y' }, context).event?.reason).toBe('NewArtifact');
  });

  it('records a verified signature with its mode, drops a failed check on the next reconcile, and the condition with spec.verify', () => {
    const verification = { mode: 'HEAD' as const, message: `verified signature of\n\t- commit '${'a'.repeat(40)}' with key 'C8693BC6A7CC5A67'` };
    const verified = nextGitRepositoryStatus({}, { outcome: 'stored', artifact: first, commitSubject: 'one', verification }, context).status;
    expect(findCondition(verified.conditions, 'SourceVerified')).toMatchObject({ status: 'True', reason: 'Succeeded', message: verification.message });
    expect(verified.sourceVerificationMode).toBe('HEAD');

    const refused = nextGitRepositoryStatus(verified, { outcome: 'failed', reason: 'InvalidCommitSignature', message: 'unsigned', stalled: false, condition: 'SourceVerified' }, context);
    expect(findCondition(refused.status.conditions, 'SourceVerified')).toMatchObject({ status: 'False', reason: 'InvalidCommitSignature' });
    expect(findCondition(refused.status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidCommitSignature' });
    expect(refused.status.artifact).toEqual(first);
    expect(refused.event).toMatchObject({ type: 'Warning', reason: 'InvalidCommitSignature' });

    const unreachable = nextGitRepositoryStatus(refused.status, { outcome: 'failed', reason: 'GitOperationFailed', message: 'remote unreachable', stalled: false }, context).status;
    expect(findCondition(unreachable.conditions, 'SourceVerified')).toBeUndefined();

    const unverified = nextGitRepositoryStatus(verified, { outcome: 'stored', artifact: second, commitSubject: 'two' }, context).status;
    expect(findCondition(unverified.conditions, 'SourceVerified')).toBeUndefined();
    expect(unverified.sourceVerificationMode).toBeUndefined();
  });

  it('cuts long commit subjects like Flux', () => {
    expect(commitSubject('short\n\nbody')).toBe('short');
    expect(commitSubject('x'.repeat(60))).toBe(`${'x'.repeat(50)}...`);
  });
});
