// What a HelmRelease's status says, in helm-controller's words. History cases are
// api/v2 snapshot_types_test.go's; messages follow the format strings of internal/reconcile
// (install.go fmtInstallSuccess, upgrade.go fmtUpgradeFailure, ...) filled in by hand.
import { describe, expect, it } from '@jest/globals';
import {
  installFailedMessage,
  installSucceededMessage,
  latestSnapshot,
  previousSnapshot,
  retriesExceededMessage,
  rollbackFailedMessage,
  rollbackSucceededMessage,
  runningActionMessage,
  testPendingMessage,
  testSucceededMessage,
  truncateHistory,
  uninstallRemediationSucceededMessage,
  unlockedMessage,
  unlockedReleaseDescription,
  upgradeFailedMessage,
  type Snapshot,
} from '../../domain/helmrelease-status.js';

const snapshot = (version: number, status: string, testHooks?: Snapshot['testHooks']): Snapshot => ({
  digest: 'sha256:0',
  name: 'podinfo',
  namespace: 'apps',
  version,
  status,
  chartName: 'podinfo',
  chartVersion: '6.0.3',
  configDigest: 'sha256:0',
  ...(testHooks ? { testHooks } : {}),
});
const versions = (history: Snapshot[]) => history.map((entry) => entry.version);

describe('release history', () => {
  it('finds the latest release by version', () => {
    expect(latestSnapshot([snapshot(1, 'superseded'), snapshot(3, 'deployed'), snapshot(2, 'superseded')])?.version).toBe(3);
    expect(latestSnapshot([])).toBeUndefined();
  });

  it('rolls back to the newest earlier release that was deployed, skipping failed tests unless ignored', () => {
    expect(previousSnapshot([snapshot(2, 'deployed'), snapshot(3, 'failed'), snapshot(1, 'superseded')], false)?.version).toBe(2);
    const failedTests = [snapshot(4, 'deployed'), snapshot(1, 'superseded'), snapshot(2, 'superseded'), snapshot(3, 'superseded', { test: { phase: 'Failed' } })];
    expect(previousSnapshot(failedTests, true)?.version).toBe(3);
    expect(previousSnapshot(failedTests, false)?.version).toBe(2);
    expect(previousSnapshot([snapshot(1, 'deployed')], false)).toBeUndefined();
    expect(previousSnapshot([snapshot(4, 'deployed'), snapshot(3, 'superseded', { test: { phase: 'Failed' } })], false)).toBeUndefined();
  });

  it('keeps history up to the release a rollback would return to', () => {
    expect(versions(truncateHistory([snapshot(1, 'superseded'), snapshot(3, 'failed'), snapshot(2, 'superseded'), snapshot(4, 'deployed')], false))).toEqual([4, 3, 2]);
    const tested = [
      snapshot(4, 'deployed'),
      snapshot(3, 'superseded', { fault: { phase: 'Failed' }, grpc: {} }),
      snapshot(2, 'superseded', { grpc: { phase: 'Succeeded' }, jwt: { phase: 'Succeeded' } }),
      snapshot(1, 'superseded'),
    ];
    expect(versions(truncateHistory(tested, false))).toEqual([4, 3, 2]);
    expect(versions(truncateHistory(tested, true))).toEqual([4, 3]);
  });

  it('keeps the five newest when no release could be rolled back to', () => {
    const failed = [snapshot(6, 'deployed'), ...[5, 4, 3, 2, 1].map((version) => snapshot(version, 'failed'))];
    expect(versions(truncateHistory(failed, false))).toEqual([6, 5, 4, 3, 2]);
    expect(versions(truncateHistory([snapshot(1, 'deployed')], false))).toEqual([1]);
  });
});

describe('action messages', () => {
  const release = snapshot(1, 'deployed');
  const attempt = { releaseNamespace: 'apps', releaseName: 'podinfo', chartName: 'podinfo', chartVersion: '6.0.4' };

  it('names the release made and the chart it was made from', () => {
    expect(installSucceededMessage(release)).toBe('Helm install succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3');
    expect(testPendingMessage(release)).toBe('Helm release apps/podinfo.v1 with chart podinfo@6.0.3 is awaiting tests');
    expect(uninstallRemediationSucceededMessage(release)).toBe('Helm uninstall remediation for release apps/podinfo.v1 with chart podinfo@6.0.3 succeeded');
  });

  it('names what a failed install or upgrade asked for, the error trimmed', () => {
    expect(installFailedMessage(attempt, 'timed out waiting for the condition\n')).toBe('Helm install failed for release apps/podinfo with chart podinfo@6.0.4: timed out waiting for the condition');
    expect(upgradeFailedMessage(attempt, ' context deadline exceeded ')).toBe('Helm upgrade failed for release apps/podinfo with chart podinfo@6.0.4: context deadline exceeded');
  });

  it('counts test hooks', () => {
    expect(testSucceededMessage(snapshot(1, 'deployed', {}))).toBe('Helm test succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3: no test hooks');
    expect(testSucceededMessage(snapshot(1, 'deployed', { a: { phase: 'Succeeded' } }))).toBe('Helm test succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3: 1 test hook completed successfully');
    expect(testSucceededMessage(snapshot(1, 'deployed', { a: {}, b: {} }))).toBe('Helm test succeeded for release apps/podinfo.v1 with chart podinfo@6.0.3: 2 test hooks completed successfully');
  });

  it('names the release rolled back to', () => {
    expect(rollbackSucceededMessage(release)).toBe('Helm rollback to previous release apps/podinfo.v1 with chart podinfo@6.0.3 succeeded');
    expect(rollbackFailedMessage(release, 'boom')).toBe('Helm rollback to previous release apps/podinfo.v1 with chart podinfo@6.0.3 failed: boom');
  });

  it('describes an unlock of a release left pending', () => {
    expect(unlockedMessage(snapshot(2, 'pending-upgrade'), 'pending-upgrade')).toBe('Unlocked Helm release apps/podinfo.v2 with chart podinfo@6.0.3 in pending-upgrade state');
    expect(unlockedReleaseDescription('pending-upgrade')).toBe("Release unlocked from stale 'pending-upgrade' state");
  });

  it('says what runs and what stalled, durations as Go prints them', () => {
    expect(runningActionMessage('upgrade', 300_000)).toBe("Running 'upgrade' action with timeout of 5m0s");
    expect(runningActionMessage('test', 90_000)).toBe("Running 'test' action with timeout of 1m30s");
    expect(retriesExceededMessage('install', 4)).toBe('Failed to install after 4 attempt(s)');
  });
});
