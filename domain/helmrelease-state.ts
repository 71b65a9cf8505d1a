// What a HelmRelease's reconcile must do next, decided from the release Helm has in
// storage, the status history and the desired chart and values, as helm-controller's
// atomic release does (internal/reconcile/state.go DetermineReleaseState and
// atomic_release.go actionForState): install an absent release, unlock one a dead
// worker left pending, upgrade one out of sync or not ours, remediate a failed one
// (uninstall after an install, rollback or uninstall after an upgrade) while retries
// last, and stall once they are spent. With tests enabled, a deployed release not yet
// tested is Untested (test it), and one whose test failed is Failed unless the active
// remediation ignores test failures.
import { releaseDigest, type StoredRelease } from './helmrelease-digest.js';
import { configDigest } from './helmrelease-digest.js';
import type { GoMap } from './go-yaml.js';
import { retriesExhausted, type Remediation } from './helmrelease-spec.js';
import { hasBeenTested, hasTestInPhase, latestSnapshot, previousSnapshot, type ReleaseAction, type Snapshot } from './helmrelease-status.js';

export type ReleaseState =
  | { state: 'Absent'; reason: string }
  | { state: 'Locked'; status: string }
  | { state: 'Unmanaged'; reason: string }
  | { state: 'Failed'; reason?: string }
  | { state: 'OutOfSync'; reason: string }
  | { state: 'Untested' }
  | { state: 'InSync' };

export interface DesiredRelease {
  chartName: string;
  chartVersion: string;
  values: GoMap;
  /** spec.test.enable, and whether the active remediation ignores test failures */
  tests?: { enable: boolean; ignoreFailures: boolean };
  /** why the post-rendering changed since the generation Ready last observed, if it did */
  postRenderChanged?: string;
}

const pending = new Set(['pending-install', 'pending-upgrade', 'pending-rollback']);

export function releaseStateOf(current: StoredRelease | undefined, history: readonly Snapshot[], desired: DesiredRelease): ReleaseState {
  if (!current) return { state: 'Absent', reason: 'no release in storage for object' };
  const status = current.info?.status ?? '';
  if (pending.has(status)) return { state: 'Locked', status };
  const latest = latestSnapshot(history);
  if (!latest) return status === 'uninstalled' ? { state: 'Absent', reason: 'found uninstalled release in storage' } : { state: 'Unmanaged', reason: 'no release in history' };
  // The snapshot's digest covers the OCI digest it was recorded with (Flux's VerifyReleaseObject observes it too).
  if (latest.name !== current.name || latest.version !== current.version || latest.digest !== releaseDigest(current, latest.ociDigest)) {
    return { state: 'Unmanaged', reason: 'release digest does not match the latest snapshot' };
  }
  if (status === 'failed') return { state: 'Failed' };
  if (status === 'uninstalled') return { state: 'Absent', reason: 'found uninstalled release in storage' };
  const metadata = current.chart?.metadata ?? {};
  if (metadata.name !== desired.chartName || metadata.version !== desired.chartVersion) return { state: 'OutOfSync', reason: 'release chart changed' };
  if (configDigest(current.config) !== configDigest(desired.values)) return { state: 'OutOfSync', reason: 'release config values changed' };
  if (desired.postRenderChanged) return { state: 'OutOfSync', reason: desired.postRenderChanged };
  // Tests are judged from what the status observed (a user may run `helm test` too).
  if (desired.tests?.enable) {
    if (!hasBeenTested(latest)) return { state: 'Untested' };
    if (!desired.tests.ignoreFailures && hasTestInPhase(latest, 'Failed')) return { state: 'Failed', reason: 'release has test in failed phase' };
  }
  return { state: 'InSync' };
}

export interface FailureCounts {
  installFailures: number;
  upgradeFailures: number;
}

export type NextAction =
  | { action: 'none' }
  | { action: 'install' | 'upgrade' | 'unlock' | 'test' }
  /** in sync by Helm's storage: compare the release's objects with the cluster (spec.driftDetection) */
  | { action: 'detect-drift' }
  | { action: 'rollback'; to: Snapshot }
  | { action: 'uninstall-remediation' }
  /** retries are spent: the release stays as it is until the spec changes or a reset is asked */
  | { action: 'stall'; failed: ReleaseAction; attempts: number };

export interface RemediationSettings {
  install: Remediation;
  upgrade: Remediation;
}

export function nextAction(state: ReleaseState, counts: FailureCounts, lastAction: ReleaseAction | undefined, history: readonly Snapshot[], remediation: RemediationSettings, forced = false): NextAction {
  switch (state.state) {
    case 'InSync':
      return forced ? { action: 'upgrade' } : { action: 'none' };
    case 'Locked':
      return { action: 'unlock' };
    case 'Untested':
      return forced ? { action: 'upgrade' } : { action: 'test' };
    case 'Absent':
      if (!forced && retriesExhausted(remediation.install, counts.installFailures)) return { action: 'stall', failed: 'install', attempts: counts.installFailures };
      return { action: 'install' };
    case 'Unmanaged':
      return { action: 'upgrade' };
    case 'OutOfSync':
      if (!forced && retriesExhausted(remediation.upgrade, counts.upgradeFailures)) return { action: 'stall', failed: 'upgrade', attempts: counts.upgradeFailures };
      return { action: 'upgrade' };
    case 'Failed': {
      const failed = lastAction ?? 'upgrade';
      const settings = remediation[failed];
      const count = failed === 'install' ? counts.installFailures : counts.upgradeFailures;
      if (forced || count === 0) return { action: 'upgrade' };
      if (retriesExhausted(settings, count) && !settings.remediateLastFailure) return { action: 'stall', failed, attempts: count };
      if (failed === 'install' || settings.strategy === 'uninstall') return { action: 'uninstall-remediation' };
      const to = previousSnapshot(history, settings.ignoreTestFailures);
      return to ? { action: 'rollback', to } : { action: 'stall', failed, attempts: count };
    }
  }
}

export interface ReleaseTarget {
  releaseName: string;
  releaseNamespace: string;
  chartName: string;
}

/**
 * The release the status records, when it is not the one the spec now names (Flux's
 * releaseTargetChanged): another release name, release namespace or chart. That release
 * is uninstalled before the new one is installed, as Flux does.
 *
 * The storage namespace alone is not compared: Kimbernetes stores a release where it is
 * installed, so a status Flux wrote (storage in the HelmRelease's namespace, release in
 * the target) differs in storage only, and uninstalling it would take a running
 * application down for nothing; the release in the target namespace is adopted instead.
 */
export function releaseTargetChanged(storageNamespace: string | undefined, history: readonly Snapshot[], target: ReleaseTarget): Snapshot | undefined {
  const latest = latestSnapshot(history);
  if (!storageNamespace || !latest) return undefined;
  const changed = latest.namespace !== target.releaseNamespace || latest.name !== target.releaseName || latest.chartName !== target.chartName;
  return changed ? latest : undefined;
}
