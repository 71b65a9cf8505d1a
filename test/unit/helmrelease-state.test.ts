// What a HelmRelease's reconcile does next, as helm-controller's atomic release decides
// it (internal/reconcile/state.go and atomic_release.go), and how its status takes the
// outcome: helm-controller's messages, counters, Stalled once the retries are spent.
import { describe, expect, it } from '@jest/globals';
import { releaseDigest, configDigest, snapshotOf, type StoredRelease } from '../../domain/helmrelease-digest.js';
import { nextHelmReleaseStatus, type ReleaseAttempt } from '../../domain/helmrelease-outcome.js';
import { nextAction, releaseStateOf } from '../../domain/helmrelease-state.js';
import type { Remediation } from '../../domain/helmrelease-spec.js';

const release = (version: number, status: string, config: Record<string, string> = { message: 'hi' }): StoredRelease => ({
  name: 'demo',
  namespace: 'apps',
  version,
  info: { status, first_deployed: '2026-12-01T10:00:00Z', last_deployed: '2026-12-01T10:00:00Z' },
  chart: { metadata: { name: 'demo', version: '1.0.0' } },
  config,
  manifest: '---\n',
});
const desired = { chartName: 'demo', chartVersion: '1.0.0', values: { message: 'hi' } };
const remediation = (retries: number, extra: Partial<Remediation> = {}): Remediation => ({ retries, ignoreTestFailures: false, remediateLastFailure: retries > 0, strategy: 'rollback', ...extra });
const settings = { install: { ...remediation(0), strategy: 'uninstall' as const }, upgrade: remediation(0) };
const none = { installFailures: 0, upgradeFailures: 0 };

describe('HelmRelease release state', () => {
  it('is Absent without a release, Locked while pending, Unmanaged when the history does not have it', () => {
    expect(releaseStateOf(undefined, [], desired).state).toBe('Absent');
    expect(releaseStateOf(release(2, 'pending-upgrade'), [snapshotOf(release(1, 'deployed'))], desired)).toEqual({ state: 'Locked', status: 'pending-upgrade' });
    expect(releaseStateOf(release(1, 'deployed'), [], desired).state).toBe('Unmanaged');
    // A release changed outside the controller no longer has the digest the history recorded.
    const recorded = snapshotOf(release(1, 'deployed'));
    expect(releaseStateOf({ ...release(1, 'deployed'), manifest: 'changed' }, [recorded], desired).state).toBe('Unmanaged');
    expect(recorded.digest).toBe(releaseDigest(release(1, 'deployed')));
  });

  it('is OutOfSync when the chart or the values changed, InSync otherwise', () => {
    const current = release(1, 'deployed');
    const history = [snapshotOf(current)];
    expect(releaseStateOf(current, history, desired)).toEqual({ state: 'InSync' });
    // A chart from an OCIRepository: its snapshot's digest covers the OCI digest, and still matches the release.
    expect(releaseStateOf(current, [snapshotOf(current, `sha256:${'a'.repeat(64)}`)], desired)).toEqual({ state: 'InSync' });
    expect(releaseStateOf(current, history, { ...desired, chartVersion: '1.0.1' })).toEqual({ state: 'OutOfSync', reason: 'release chart changed' });
    expect(releaseStateOf(current, history, { ...desired, values: { message: 'new' } })).toEqual({ state: 'OutOfSync', reason: 'release config values changed' });
    expect(releaseStateOf(release(1, 'failed'), [snapshotOf(release(1, 'failed'))], desired).state).toBe('Failed');
  });
});

describe('HelmRelease release state with tests enabled', () => {
  const current = release(1, 'deployed');
  const tested = (phase: string) => ({ ...snapshotOf(current), testHooks: { 'demo-test': { lastStarted: '2026-12-01T10:00:01Z', lastCompleted: '2026-12-01T10:00:05Z', phase } } });

  it('is Untested until the status has seen the tests run, then Failed when one failed and failures count', () => {
    const tests = { enable: true, ignoreFailures: false };
    expect(releaseStateOf(current, [snapshotOf(current)], { ...desired, tests })).toEqual({ state: 'Untested' });
    expect(releaseStateOf(current, [tested('Succeeded')], { ...desired, tests })).toEqual({ state: 'InSync' });
    expect(releaseStateOf(current, [tested('Failed')], { ...desired, tests })).toEqual({ state: 'Failed', reason: 'release has test in failed phase' });
    expect(releaseStateOf(current, [tested('Failed')], { ...desired, tests: { enable: true, ignoreFailures: true } })).toEqual({ state: 'InSync' });
    // A chart or values change comes before the tests: the release is upgraded, then tested.
    expect(releaseStateOf(current, [snapshotOf(current)], { ...desired, chartVersion: '1.0.1', tests }).state).toBe('OutOfSync');
    expect(releaseStateOf(current, [snapshotOf(current)], { ...desired, tests: { enable: false, ignoreFailures: false } })).toEqual({ state: 'InSync' });
  });

  it('tests an untested release, and remediates one whose test failed as it would a failed upgrade', () => {
    expect(nextAction({ state: 'Untested' }, none, 'install', [], settings)).toEqual({ action: 'test' });
    const history = [tested('Failed'), snapshotOf(release(0, 'superseded'))].map((s, i) => ({ ...s, version: 2 - i }));
    expect(nextAction({ state: 'Failed', reason: 'release has test in failed phase' }, { installFailures: 0, upgradeFailures: 1 }, 'upgrade', history, { ...settings, upgrade: remediation(1) })).toMatchObject({ action: 'rollback', to: { version: 1 } });
  });
});

describe('HelmRelease next action', () => {
  it('installs, unlocks and upgrades as the state asks', () => {
    expect(nextAction({ state: 'Absent', reason: '' }, none, undefined, [], settings)).toEqual({ action: 'install' });
    expect(nextAction({ state: 'Locked', status: 'pending-install' }, none, 'install', [], settings)).toEqual({ action: 'unlock' });
    expect(nextAction({ state: 'OutOfSync', reason: '' }, none, 'upgrade', [], settings)).toEqual({ action: 'upgrade' });
    expect(nextAction({ state: 'InSync' }, none, 'upgrade', [], settings)).toEqual({ action: 'none' });
  });

  it('stalls once the failures pass the retries (0 by default), and upgrades a failed release whose counters were reset', () => {
    expect(nextAction({ state: 'Failed' }, { installFailures: 1, upgradeFailures: 0 }, 'install', [], settings)).toEqual({ action: 'stall', failed: 'install', attempts: 1 });
    expect(nextAction({ state: 'Failed' }, none, 'install', [], settings)).toEqual({ action: 'upgrade' });
    expect(nextAction({ state: 'Absent', reason: '' }, { installFailures: 1, upgradeFailures: 0 }, 'install', [], settings)).toEqual({ action: 'stall', failed: 'install', attempts: 1 });
  });

  it('remediates a failed upgrade by rolling back to the previous deployed release while retries last', () => {
    const history = [snapshotOf(release(3, 'failed')), snapshotOf(release(2, 'deployed')), snapshotOf(release(1, 'superseded'))];
    const retrying = { ...settings, upgrade: remediation(2) };
    expect(nextAction({ state: 'Failed' }, { installFailures: 0, upgradeFailures: 1 }, 'upgrade', history, retrying)).toMatchObject({ action: 'rollback', to: { version: 2 } });
    // remediateLastFailure (the default with retries) still rolls back the last failure.
    expect(nextAction({ state: 'Failed' }, { installFailures: 0, upgradeFailures: 3 }, 'upgrade', history, retrying)).toMatchObject({ action: 'rollback' });
    expect(nextAction({ state: 'Failed' }, { installFailures: 0, upgradeFailures: 1 }, 'upgrade', history, { ...settings, upgrade: remediation(2, { strategy: 'uninstall' }) })).toEqual({ action: 'uninstall-remediation' });
    expect(nextAction({ state: 'Failed' }, { installFailures: 1, upgradeFailures: 0 }, 'install', history, { ...settings, install: { ...remediation(1), strategy: 'uninstall' } })).toEqual({ action: 'uninstall-remediation' });
  });
});

describe('HelmRelease status after a reconcile', () => {
  const attempt: ReleaseAttempt = { chartName: 'demo', chartVersion: '1.0.0', configDigest: configDigest({ message: 'hi' }), releaseName: 'demo', releaseNamespace: 'apps', storageNamespace: 'apps', helmChart: 'apps/apps-demo', remediation: { installRetries: 0, upgradeRetries: 0 } };
  const context = { now: '2026-12-02T10:00:00Z', generation: 1 };

  it("writes an install's success in helm-controller's words, with its history and event", () => {
    const snapshot = snapshotOf(release(1, 'deployed'));
    const { status, events } = nextHelmReleaseStatus({}, { kind: 'released', attempt, plan: { action: 'install' }, outcomes: [{ action: 'install', ok: true, snapshot }], history: [] }, context);
    const message = 'Helm install succeeded for release apps/demo.v1 with chart demo@1.0.0';
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'InstallSucceeded', message });
    expect(status.conditions?.find((c) => c.type === 'Released')).toMatchObject({ status: 'True', reason: 'InstallSucceeded', message });
    expect(status).toMatchObject({ history: [snapshot], lastAttemptedRevision: '1.0.0', lastAttemptedConfigDigest: attempt.configDigest, lastAttemptedGeneration: 1, lastAttemptedReleaseAction: 'install', observedGeneration: 1, helmChart: 'apps/apps-demo' });
    expect(events).toEqual([{ type: 'Normal', reason: 'InstallSucceeded', message, annotations: { 'helm.toolkit.fluxcd.io/revision': '1.0.0', 'helm.toolkit.fluxcd.io/token': attempt.configDigest } }]);
  });

  it('counts a failure that wrote a release and stalls when the retries are spent', () => {
    const snapshot = snapshotOf(release(1, 'failed'));
    const { status, events } = nextHelmReleaseStatus({}, { kind: 'released', attempt, plan: { action: 'install' }, outcomes: [{ action: 'install', ok: false, error: 'timed out waiting for the condition', snapshot }], history: [] }, context);
    expect(status.conditions?.find((c) => c.type === 'Released')).toMatchObject({ status: 'False', reason: 'InstallFailed', message: 'Helm install failed for release apps/demo with chart demo@1.0.0: timed out waiting for the condition' });
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'RetriesExceeded', message: 'Failed to install after 1 attempt(s)' });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(status).toMatchObject({ installFailures: 1, failures: 1 });
    expect(events[0]).toMatchObject({ type: 'Warning', reason: 'InstallFailed' });
  });

  describe('with tests enabled', () => {
    const tests = { ...attempt, tests: { enable: true, ignoreFailures: false } };
    const installed = snapshotOf(release(1, 'deployed'));
    const testHooks = { 'demo-test': { lastStarted: '2026-12-02T10:00:01Z', lastCompleted: '2026-12-02T10:00:04Z', phase: 'Succeeded' } };

    it("summarizes Ready from TestSuccess, in helm-controller's words (fmtTestSuccess)", () => {
      const outcomes = [
        { action: 'install' as const, ok: true, snapshot: installed },
        { action: 'test' as const, ok: true, snapshot: { ...installed, testHooks }, ignored: false },
      ];
      const { status, events } = nextHelmReleaseStatus({}, { kind: 'released', attempt: tests, plan: { action: 'install' }, outcomes, history: [] }, context);
      const message = 'Helm test succeeded for release apps/demo.v1 with chart demo@1.0.0: 1 test hook completed successfully';
      expect(status.conditions?.find((c) => c.type === 'TestSuccess')).toMatchObject({ status: 'True', reason: 'TestSucceeded', message });
      expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'TestSucceeded', message });
      expect(status.history?.[0]?.testHooks).toEqual(testHooks);
      expect(events.map((e) => e.reason)).toEqual(['InstallSucceeded', 'TestSucceeded']);
    });

    it('counts a failed test against the action that made the release, unless test failures are ignored', () => {
      const failedHooks = { 'demo-test': { ...testHooks['demo-test'], phase: 'Failed' } };
      const outcome = (ignored: boolean) => ({ action: 'test' as const, ok: false, error: 'pod demo-test failed', snapshot: { ...installed, testHooks: failedHooks }, ignored });
      const failed = nextHelmReleaseStatus({}, { kind: 'released', attempt: { ...tests, remediation: { installRetries: 1, upgradeRetries: 0 } }, plan: { action: 'install' }, outcomes: [{ action: 'install', ok: true, snapshot: installed }, outcome(false)], history: [] }, context).status;
      const message = 'Helm test failed for release apps/demo.v1 with chart demo@1.0.0: pod demo-test failed';
      expect(failed.conditions?.find((c) => c.type === 'TestSuccess')).toMatchObject({ status: 'False', reason: 'TestFailed', message });
      expect(failed.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'TestFailed', message });
      expect(failed).toMatchObject({ failures: 1, installFailures: 1 });
      // test.ignoreFailures: the failure is on TestSuccess and counted in `failures` only; Ready comes from Released.
      const ignoring = { ...tests, tests: { enable: true, ignoreFailures: true } };
      const ignored = nextHelmReleaseStatus({}, { kind: 'released', attempt: ignoring, plan: { action: 'install' }, outcomes: [{ action: 'install', ok: true, snapshot: installed }, outcome(true)], history: [] }, context).status;
      expect(ignored.conditions?.find((c) => c.type === 'TestSuccess')).toMatchObject({ status: 'False', reason: 'TestFailed' });
      expect(ignored.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'InstallSucceeded' });
      expect(ignored).toMatchObject({ failures: 1, installFailures: 0 });
    });

    it('drops TestSuccess once tests are disabled', () => {
      const previous = { history: [{ ...installed, testHooks }], conditions: [{ type: 'TestSuccess', status: 'True' as const, reason: 'TestSucceeded', message: 'm', lastTransitionTime: '', observedGeneration: 1 }] };
      const { status } = nextHelmReleaseStatus(previous, { kind: 'released', attempt, plan: { action: 'none' }, outcomes: [], history: previous.history }, context);
      expect(status.conditions?.find((c) => c.type === 'TestSuccess')).toBeUndefined();
    });
  });

  it('does not count a failure that wrote nothing, and forgets old failures when the values change', () => {
    const previous = { installFailures: 0, upgradeFailures: 3, failures: 3, lastAttemptedGeneration: 1, lastAttemptedRevision: '1.0.0', lastAttemptedConfigDigest: 'sha256:old' };
    const { status } = nextHelmReleaseStatus(previous, { kind: 'released', attempt: { ...attempt, remediation: { installRetries: 0, upgradeRetries: 5 } }, plan: { action: 'upgrade' }, outcomes: [{ action: 'upgrade', ok: false, error: 'template: x' }], history: [] }, context);
    expect(status).toMatchObject({ upgradeFailures: 0, failures: 0 });
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ reason: 'ProgressingWithRetry' });
  });
});
