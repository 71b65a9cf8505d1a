// A HelmRelease's status vocabulary in helm-controller's words: its condition types and
// reasons (api/v2 condition_types.go and the reasons internal/controller and
// internal/reconcile set), the messages of each Helm action (internal/reconcile install.go,
// upgrade.go, test.go, rollback_remediation.go, uninstall_remediation.go, uninstall.go,
// unlock.go, atomic_release.go), and `status.history`: snapshots of the releases made, newest
// first (api/v2 snapshot_types.go).
import { goDurationString } from './duration.js';

export const HelmReleaseCondition = {
  /** the last install or upgrade (and its test) against the desired state */
  Released: 'Released',
  TestSuccess: 'TestSuccess',
  /** the last rollback or uninstall after a failed release */
  Remediated: 'Remediated',
} as const;

export const HelmReleaseReason = {
  InstallSucceeded: 'InstallSucceeded',
  InstallFailed: 'InstallFailed',
  UpgradeSucceeded: 'UpgradeSucceeded',
  UpgradeFailed: 'UpgradeFailed',
  TestSucceeded: 'TestSucceeded',
  TestFailed: 'TestFailed',
  RollbackSucceeded: 'RollbackSucceeded',
  RollbackFailed: 'RollbackFailed',
  UninstallSucceeded: 'UninstallSucceeded',
  UninstallFailed: 'UninstallFailed',
  ArtifactFailed: 'ArtifactFailed',
  InitFailed: 'InitFailed',
  GetLastReleaseFailed: 'GetLastReleaseFailed',
  DependencyNotReady: 'DependencyNotReady',
  InvalidCELExpression: 'InvalidCELExpression',
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  ReconciliationFailed: 'ReconciliationFailed',
  // Set by the controller before any Helm action (helmrelease_controller.go).
  ValuesError: 'ValuesError',
  ChartMutateError: 'ChartMutateError',
  RESTClientError: 'RESTClientError',
  FactoryError: 'FactoryError',
  // Set by the action loop (atomic_release.go) and the unlock action (unlock.go).
  StateError: 'StateError',
  ReconcileError: 'ReconcileError',
  PendingRelease: 'PendingRelease',
  AwaitingTests: 'AwaitingTests',
  RetriesExceeded: 'RetriesExceeded',
  MissingRollbackTarget: 'MissingRollbackTarget',
} as const;
export type HelmReleaseReason = (typeof HelmReleaseReason)[keyof typeof HelmReleaseReason];

/** status.lastAttemptedReleaseAction: which remediation settings apply to a failure. */
export type ReleaseAction = 'install' | 'upgrade';

/** When a test hook last ran, as the controller observed it (TestHookStatus). */
export interface TestHookStatus {
  lastStarted?: string;
  lastCompleted?: string;
  phase?: string;
}

/** One release in `status.history` (api/v2 Snapshot), times as metav1.Time writes them. */
export interface Snapshot {
  apiVersion?: string;
  /** `sha256:<hex>` of the release as stored, to notice a change made outside the controller */
  digest: string;
  name: string;
  namespace: string;
  /** Helm's revision */
  version: number;
  /** Helm's release status: deployed, superseded, failed, pending-install, ... */
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
  configDigest: string;
  firstDeployed?: string;
  lastDeployed?: string;
  deleted?: string;
  /** absent until tested; empty when the chart has no tests */
  testHooks?: Record<string, TestHookStatus>;
  ociDigest?: string;
}

/** Snapshot.FullReleaseName: `<namespace>/<name>.v<version>` */
export function fullReleaseName(snapshot: Pick<Snapshot, 'namespace' | 'name' | 'version'>): string {
  return `${snapshot.namespace}/${snapshot.name}.v${snapshot.version}`;
}

/** Snapshot.VersionedChartName: `<chart>@<version>` */
export function versionedChartName(snapshot: Pick<Snapshot, 'chartName' | 'chartVersion'>): string {
  return `${snapshot.chartName}@${snapshot.chartVersion}`;
}

/** Snapshot.HasBeenTested: tests ran, or there were none to run. */
export function hasBeenTested(snapshot: Snapshot | undefined): boolean {
  return snapshot?.testHooks !== undefined;
}

export function hasTestInPhase(snapshot: Snapshot | undefined, phase: string): boolean {
  return Object.values(snapshot?.testHooks ?? {}).some((hook) => hook.phase === phase);
}

/** The history newest first (Snapshots.SortByVersion). */
export function sortedHistory(history: readonly Snapshot[]): Snapshot[] {
  return [...history].sort((a, b) => b.version - a.version);
}

/** Snapshots.Latest */
export function latestSnapshot(history: readonly Snapshot[]): Snapshot | undefined {
  return sortedHistory(history)[0];
}

const rollbackStatuses = new Set(['deployed', 'superseded']);

/**
 * Snapshots.Previous: the newest release before the latest that was deployed or
 * superseded, and, unless test failures are ignored, did not fail its tests.
 */
export function previousSnapshot(history: readonly Snapshot[], ignoreTestFailures: boolean): Snapshot | undefined {
  return sortedHistory(history)
    .slice(1)
    .find((snapshot) => rollbackStatuses.has(snapshot.status) && (ignoreTestFailures || !hasTestInPhase(snapshot, 'Failed')));
}

/** Snapshots.Truncate: keep up to the previous release, or the 5 newest when there is none. */
export function truncateHistory(history: readonly Snapshot[], ignoreTestFailures: boolean): Snapshot[] {
  const sorted = sortedHistory(history);
  if (sorted.length < 2) return sorted;
  const previous = previousSnapshot(sorted, ignoreTestFailures);
  if (previous) return sorted.slice(0, sorted.indexOf(previous) + 1);
  return sorted.slice(0, 5);
}

// The messages the Released, TestSuccess and Remediated conditions and their events carry.
// `release` and `chart` name what Helm acted on; a failure names what was asked for.

/** `Helm install succeeded for release ns/name.v1 with chart podinfo@6.0.3` */
export function installSucceededMessage(latest: Snapshot): string {
  return `Helm install succeeded for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}`;
}

/** The release's target namespace and name (not shortened), and the chart loaded. */
export interface AttemptedRelease {
  releaseNamespace: string;
  releaseName: string;
  chartName: string;
  chartVersion: string;
}

export function installFailedMessage(attempt: AttemptedRelease, error: string): string {
  return `Helm install failed for release ${attempt.releaseNamespace}/${attempt.releaseName} with chart ${attempt.chartName}@${attempt.chartVersion}: ${error.trim()}`;
}

export function upgradeSucceededMessage(latest: Snapshot): string {
  return `Helm upgrade succeeded for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}`;
}

export function upgradeFailedMessage(attempt: AttemptedRelease, error: string): string {
  return `Helm upgrade failed for release ${attempt.releaseNamespace}/${attempt.releaseName} with chart ${attempt.chartName}@${attempt.chartVersion}: ${error.trim()}`;
}

/** TestSuccess=Unknown (AwaitingTests) after a release while tests are enabled. */
export function testPendingMessage(latest: Snapshot): string {
  return `Helm release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)} is awaiting tests`;
}

export function testSucceededMessage(latest: Snapshot): string {
  const count = Object.keys(latest.testHooks ?? {}).length;
  const hooks = count === 0 ? 'no test hooks' : `${count} test ${count === 1 ? 'hook' : 'hooks'} completed successfully`;
  return `Helm test succeeded for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}: ${hooks}`;
}

export function testFailedMessage(latest: Snapshot, error: string): string {
  return `Helm test failed for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}: ${error.trim()}`;
}

/** `previous`: the release rolled back to. */
export function rollbackSucceededMessage(previous: Snapshot): string {
  return `Helm rollback to previous release ${fullReleaseName(previous)} with chart ${versionedChartName(previous)} succeeded`;
}

export function rollbackFailedMessage(previous: Snapshot, error: string): string {
  return `Helm rollback to previous release ${fullReleaseName(previous)} with chart ${versionedChartName(previous)} failed: ${error.trim()}`;
}

export function uninstallRemediationSucceededMessage(latest: Snapshot): string {
  return `Helm uninstall remediation for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)} succeeded`;
}

export function uninstallRemediationFailedMessage(latest: Snapshot, error: string): string {
  return `Helm uninstall remediation for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)} failed: ${error.trim()}`;
}

/** An uninstall for deletion or a changed release target: Released=False either way. */
export function uninstallSucceededMessage(latest: Snapshot): string {
  return `Helm uninstall succeeded for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}`;
}

/** An uninstall that found the release gone already: done, not by us. */
export function releaseNotFoundMessage(latest: Snapshot): string {
  return `Release ${fullReleaseName(latest)} was not found, assuming it is uninstalled`;
}

export function uninstallFailedMessage(latest: Snapshot, error: string): string {
  return `Helm uninstall failed for release ${fullReleaseName(latest)} with chart ${versionedChartName(latest)}: ${error.trim()}`;
}

/** `status`: the pending state found (pending-install, pending-upgrade, pending-rollback). */
export function unlockedMessage(release: Snapshot, status: string): string {
  return `Unlocked Helm release ${fullReleaseName(release)} with chart ${versionedChartName(release)} in ${status} state`;
}

export function unlockFailedMessage(release: Snapshot, status: string, error: string): string {
  return `Unlock of Helm release ${fullReleaseName(release)} with chart ${versionedChartName(release)} in ${status} state failed: ${error.trim()}`;
}

/** The description Helm's storage is given for a release unlocked to `failed`. */
export function unlockedReleaseDescription(status: string): string {
  return `Release unlocked from stale '${status}' state`;
}

/** Reconciling=True (Progressing) while an action runs: `Running 'upgrade' action with timeout of 5m0s`. */
export function runningActionMessage(action: 'install' | 'upgrade' | 'test' | 'rollback' | 'uninstall' | 'unlock', timeoutMs: number): string {
  return `Running '${action}' action with timeout of ${goDurationString(timeoutMs)}`;
}

/** Stalled=True (RetriesExceeded): `attempts` is the failure count of the active remediation. */
export function retriesExceededMessage(action: ReleaseAction, attempts: number): string {
  return `Failed to ${action} after ${attempts} attempt(s)`;
}

/** Stalled=True (MissingRollbackTarget). */
export function missingRollbackTargetMessage(error: string): string {
  return `Failed to perform remediation: ${error}`;
}

/** Ready=False (StateError). */
export function stateErrorMessage(error: string): string {
  return `Could not determine release state: ${error}`;
}
