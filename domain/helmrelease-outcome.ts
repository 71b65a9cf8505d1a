// The one place a HelmRelease's status is decided after a reconcile, from what its steps
// did, in helm-controller's words: each Helm action's condition (Released, Remediated)
// and event, the history of releases made (newest first, trimmed as Flux trims it), the
// last attempt's revision, config digest and generation, the failure counters (reset by a
// new generation, chart version or values, as Flux resets them), Stalled once retries are
// spent, and Ready summarizing them (Remediated first, then Released).
import { findCondition, markFailed, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import type { StatusEvent } from './gitrepository-status.js';
import type { NextAction } from './helmrelease-state.js';
import {
  HelmReleaseReason,
  installFailedMessage,
  installSucceededMessage,
  latestSnapshot,
  releaseNotFoundMessage,
  retriesExceededMessage,
  rollbackFailedMessage,
  rollbackSucceededMessage,
  stateErrorMessage,
  testFailedMessage,
  testPendingMessage,
  testSucceededMessage,
  truncateHistory,
  uninstallFailedMessage,
  uninstallRemediationFailedMessage,
  uninstallRemediationSucceededMessage,
  uninstallSucceededMessage,
  unlockedMessage,
  unlockFailedMessage,
  upgradeFailedMessage,
  upgradeSucceededMessage,
  type ReleaseAction,
  type Snapshot,
} from './helmrelease-status.js';

export interface HelmReleaseStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  history?: Snapshot[];
  helmChart?: string;
  storageNamespace?: string;
  lastAttemptedGeneration?: number;
  lastAttemptedRevision?: string;
  /** null removes it (the status is merge-patched) */
  lastAttemptedRevisionDigest?: string | null;
  lastAttemptedConfigDigest?: string;
  lastAttemptedValuesChecksum?: string;
  lastAttemptedReleaseAction?: ReleaseAction;
  lastReleaseRevision?: number;
  installFailures?: number;
  upgradeFailures?: number;
  failures?: number;
  lastHandledReconcileAt?: string;
  lastHandledForceAt?: string;
  lastHandledResetAt?: string;
  /** null removes it (the status is merge-patched) */
  observedPostRenderersDigest?: string | null;
  observedCommonMetadataDigest?: string | null;
}

/** What one Helm action did; `snapshot` is the release it left in storage, when it wrote one. */
export type ReleaseOutcome =
  | { action: 'install' | 'upgrade'; ok: boolean; error?: string; snapshot?: Snapshot }
  | { action: 'unlock'; ok: boolean; error?: string; snapshot: Snapshot; pendingStatus: string }
  | { action: 'rollback'; ok: boolean; error?: string; to: Snapshot; snapshot?: Snapshot }
  | { action: 'uninstall-remediation'; ok: boolean; error?: string; snapshot: Snapshot }
  /** the release a changed target left behind, uninstalled; `missing` when it was already gone */
  | { action: 'uninstall'; ok: boolean; error?: string; snapshot: Snapshot; missing?: boolean }
  /** the release's objects compared with the cluster: the event saying what drifted, or why the cluster could not be read */
  | { action: 'drift-detection'; ok: boolean; event?: StatusEvent; stateError?: string }
  | { action: 'drift-correction'; ok: boolean; event?: StatusEvent }
  /** `snapshot` carries the test hooks' results; `ignored`: the active remediation ignores test failures */
  | { action: 'test'; ok: boolean; error?: string; snapshot: Snapshot; ignored: boolean };

export interface ReleaseAttempt {
  chartName: string;
  chartVersion: string;
  /** an OCIRepository chart's manifest digest (status.lastAttemptedRevisionDigest) */
  ociDigest?: string;
  configDigest: string;
  releaseName: string;
  releaseNamespace: string;
  storageNamespace: string;
  helmChart?: string;
  remediation: { installRetries: number; upgradeRetries: number };
  /** spec.test: whether tests run, and whether their failures are left out of Ready */
  tests?: { enable: boolean; ignoreFailures: boolean };
  /** the digests of spec.postRenderers and spec.commonMetadata, recorded once Ready */
  postRenderersDigest?: string;
  commonMetadataDigest?: string;
  /** the force and reset requests the reconcile handled (their tokens) */
  forceAt?: string;
  resetAt?: string;
}

export type ReleaseVerdict =
  /** a prerequisite failed before any Helm action: dependencies, the chart, the values */
  | { kind: 'unready'; reason: string; message: string; stalled: boolean; warning: boolean }
  | { kind: 'released'; attempt: ReleaseAttempt; plan: NextAction; outcomes: ReleaseOutcome[]; history: Snapshot[] };

export interface OutcomeContext {
  now: string;
  generation: number;
  requestedAt?: string;
}

const eventReasons = {
  install: [HelmReleaseReason.InstallSucceeded, HelmReleaseReason.InstallFailed],
  upgrade: [HelmReleaseReason.UpgradeSucceeded, HelmReleaseReason.UpgradeFailed],
  rollback: [HelmReleaseReason.RollbackSucceeded, HelmReleaseReason.RollbackFailed],
  'uninstall-remediation': [HelmReleaseReason.UninstallSucceeded, HelmReleaseReason.UninstallFailed],
  uninstall: [HelmReleaseReason.UninstallSucceeded, HelmReleaseReason.UninstallFailed],
  unlock: [HelmReleaseReason.PendingRelease, HelmReleaseReason.PendingRelease],
  test: [HelmReleaseReason.TestSucceeded, HelmReleaseReason.TestFailed],
} as const;

export function nextHelmReleaseStatus(previous: HelmReleaseStatus, verdict: ReleaseVerdict, context: OutcomeContext): { status: HelmReleaseStatus; events: StatusEvent[] } {
  const ctx = { now: context.now, generation: context.generation };
  const status: HelmReleaseStatus = { ...previous };
  if (context.requestedAt) status.lastHandledReconcileAt = context.requestedAt;
  let conditions = previous.conditions ?? [];

  if (verdict.kind === 'unready') {
    conditions = markFailed(conditions, verdict, ctx);
    if (verdict.stalled) status.observedGeneration = context.generation;
    return { status: { ...status, conditions }, events: [{ type: verdict.warning ? 'Warning' : 'Normal', reason: verdict.reason, message: verdict.message }] };
  }

  const { attempt, plan, outcomes } = verdict;
  let history = verdict.history;
  const annotations = {
    'helm.toolkit.fluxcd.io/revision': attempt.chartVersion,
    'helm.toolkit.fluxcd.io/token': attempt.configDigest,
    ...(attempt.ociDigest ? { 'helm.toolkit.fluxcd.io/oci-digest': attempt.ociDigest } : {}),
  };
  const events: StatusEvent[] = [];
  status.helmChart = attempt.helmChart;
  status.storageNamespace = attempt.storageNamespace;

  // Flux forgets old failures when what is asked for changed.
  const changed = attempt.resetAt !== undefined || previous.lastAttemptedGeneration !== context.generation || previous.lastAttemptedRevision !== attempt.chartVersion || previous.lastAttemptedConfigDigest !== attempt.configDigest;
  if (attempt.forceAt) status.lastHandledForceAt = attempt.forceAt;
  if (attempt.resetAt) status.lastHandledResetAt = attempt.resetAt;
  if (changed) Object.assign(status, { installFailures: 0, upgradeFailures: 0, failures: 0 });
  if (plan.action !== 'none') {
    Object.assign(status, { lastAttemptedGeneration: context.generation, lastAttemptedRevision: attempt.chartVersion, lastAttemptedConfigDigest: attempt.configDigest, lastAttemptedValuesChecksum: '' });
    if (attempt.ociDigest) status.lastAttemptedRevisionDigest = attempt.ociDigest;
    else if (previous.lastAttemptedRevisionDigest) status.lastAttemptedRevisionDigest = null;
  }

  let stateError: string | undefined;
  for (const outcome of outcomes) {
    // Drift is reported by events alone (no new release, no condition), as Flux does.
    if (outcome.action === 'drift-detection' || outcome.action === 'drift-correction') {
      if (outcome.event) events.push(outcome.event);
      if (outcome.action === 'drift-detection' && outcome.stateError) stateError = outcome.stateError;
      continue;
    }
    const [succeeded, failed] = eventReasons[outcome.action];
    let condition: { type: string; status: 'True' | 'False'; reason: string; message: string };
    switch (outcome.action) {
      case 'install':
      case 'upgrade': {
        status.lastAttemptedReleaseAction = outcome.action;
        if (outcome.snapshot) history = outcome.action === 'install' ? [outcome.snapshot] : [outcome.snapshot, ...history.filter((s) => s.version !== outcome.snapshot!.version)];
        const message = outcome.ok
          ? (outcome.action === 'install' ? installSucceededMessage : upgradeSucceededMessage)(outcome.snapshot!)
          : (outcome.action === 'install' ? installFailedMessage : upgradeFailedMessage)(attempt, outcome.error ?? '');
        condition = { type: 'Released', status: outcome.ok ? 'True' : 'False', reason: outcome.ok ? succeeded : failed, message };
        if (outcome.ok) {
          conditions = removeCondition(conditions, 'Remediated');
          // A new release awaits its tests (the test step, when it runs, says how they went).
          if (attempt.tests?.enable) conditions = setCondition(conditions, { type: 'TestSuccess', status: 'Unknown', reason: HelmReleaseReason.AwaitingTests, message: testPendingMessage(outcome.snapshot!) }, ctx);
        } else if (outcome.snapshot) {
          // A failure counts when Helm wrote a release for it.
          const counter = outcome.action === 'install' ? 'installFailures' : 'upgradeFailures';
          status[counter] = (status[counter] ?? 0) + 1;
          status.failures = (status.failures ?? 0) + 1;
        }
        break;
      }
      case 'test': {
        history = [outcome.snapshot, ...history.filter((s) => s.version !== outcome.snapshot.version)];
        condition = { type: 'TestSuccess', status: outcome.ok ? 'True' : 'False', reason: outcome.ok ? succeeded : failed, message: outcome.ok ? testSucceededMessage(outcome.snapshot) : testFailedMessage(outcome.snapshot, outcome.error ?? '') };
        if (!outcome.ok) {
          status.failures = (status.failures ?? 0) + 1;
          const action = status.lastAttemptedReleaseAction;
          if (!outcome.ignored && action) {
            const counter = action === 'install' ? 'installFailures' : 'upgradeFailures';
            status[counter] = (status[counter] ?? 0) + 1;
          }
        }
        break;
      }
      case 'unlock':
        history = history.map((s) => (s.version === outcome.snapshot.version ? { ...s, status: 'failed' } : s));
        condition = { type: 'Released', status: 'False', reason: succeeded, message: outcome.ok ? unlockedMessage(outcome.snapshot, outcome.pendingStatus) : unlockFailedMessage(outcome.snapshot, outcome.pendingStatus, outcome.error ?? '') };
        break;
      case 'rollback':
        if (outcome.snapshot) history = [outcome.snapshot, ...history];
        condition = { type: 'Remediated', status: outcome.ok ? 'True' : 'False', reason: outcome.ok ? succeeded : failed, message: outcome.ok ? rollbackSucceededMessage(outcome.to) : rollbackFailedMessage(outcome.to, outcome.error ?? '') };
        break;
      case 'uninstall-remediation':
        history = history.map((s) => (s.version === outcome.snapshot.version ? { ...s, status: 'uninstalled' } : s));
        condition = { type: 'Remediated', status: outcome.ok ? 'True' : 'False', reason: outcome.ok ? succeeded : failed, message: outcome.ok ? uninstallRemediationSucceededMessage(outcome.snapshot) : uninstallRemediationFailedMessage(outcome.snapshot, outcome.error ?? '') };
        break;
      case 'uninstall':
        // The old target's history goes with it, as Flux clears it.
        if (outcome.ok) history = [];
        else status.failures = (status.failures ?? 0) + 1;
        condition = {
          type: 'Released',
          status: 'False',
          reason: outcome.ok ? succeeded : failed,
          message: outcome.missing ? releaseNotFoundMessage(outcome.snapshot) : outcome.ok ? uninstallSucceededMessage(outcome.snapshot) : uninstallFailedMessage(outcome.snapshot, outcome.error ?? ''),
        };
        // Flux records no event for a release someone else uninstalled.
        if (outcome.missing) {
          conditions = setCondition(conditions, condition, ctx);
          continue;
        }
        break;
    }
    conditions = setCondition(conditions, condition, ctx);
    events.push({ type: outcome.ok ? 'Normal' : 'Warning', reason: condition.reason, message: condition.message, annotations });
  }
  status.history = truncateHistory(supersede(history), false);
  const latest = latestSnapshot(status.history);
  if (latest) status.lastReleaseRevision = latest.version;

  // Retries spent, now or before: the release stays as it is.
  const spent = spentRetries(plan, status, attempt);
  if (spent) {
    const message = retriesExceededMessage(spent.action, spent.attempts);
    const ready = findCondition(conditions, 'Released');
    conditions = markFailed(conditions, { reason: ready?.status === 'False' ? ready.reason : HelmReleaseReason.RetriesExceeded, message: ready?.status === 'False' ? ready.message : message, stalled: false }, ctx);
    conditions = removeCondition(conditions, 'Reconciling');
    conditions = setCondition(conditions, { type: 'Stalled', status: 'True', reason: HelmReleaseReason.RetriesExceeded, message }, ctx);
    return { status: { ...status, conditions, observedGeneration: context.generation }, events };
  }

  // Ready summarizes Remediated, then TestSuccess (unless its failures are ignored), then Released.
  if (!attempt.tests?.enable) conditions = removeCondition(conditions, 'TestSuccess');
  const testsCount = attempt.tests?.enable === true && !attempt.tests.ignoreFailures;
  const summary = findCondition(conditions, 'Remediated') ?? (testsCount ? findCondition(conditions, 'TestSuccess') : undefined) ?? findCondition(conditions, 'Released');
  if (summary?.status === 'True' && summary.type !== 'Remediated') conditions = markReady(conditions, summary.message, ctx, summary.reason);
  else if (summary) conditions = markFailed(conditions, { reason: summary.reason, message: summary.message, stalled: false }, ctx);
  else if (latest) conditions = markReady(conditions, installSucceededMessage(latest), ctx, HelmReleaseReason.InstallSucceeded);
  // The cluster could not be compared with the release: not Ready until it can.
  if (stateError) conditions = markFailed(conditions, { reason: HelmReleaseReason.StateError, message: stateErrorMessage(stateError), stalled: false }, ctx);
  if (findCondition(conditions, 'Ready')?.status === 'True') {
    status.observedGeneration = context.generation;
    status.observedPostRenderersDigest = attempt.postRenderersDigest ?? null;
    status.observedCommonMetadataDigest = attempt.commonMetadataDigest ?? null;
  }
  return { status: { ...status, conditions }, events };
}

/** Helm supersedes the deployed release a newer deployed one replaces; the history says so too. */
function supersede(history: Snapshot[]): Snapshot[] {
  const newestDeployed = history.find((snapshot) => snapshot.status === 'deployed');
  return history.map((snapshot) => (snapshot !== newestDeployed && snapshot.status === 'deployed' ? { ...snapshot, status: 'superseded' } : snapshot));
}

function spentRetries(plan: NextAction, status: HelmReleaseStatus, attempt: ReleaseAttempt): { action: ReleaseAction; attempts: number } | undefined {
  if (plan.action === 'stall') return { action: plan.failed, attempts: plan.attempts };
  const action = status.lastAttemptedReleaseAction;
  if (!action) return undefined;
  const count = action === 'install' ? (status.installFailures ?? 0) : (status.upgradeFailures ?? 0);
  const retries = action === 'install' ? attempt.remediation.installRetries : attempt.remediation.upgradeRetries;
  return retries >= 0 && count > retries ? { action, attempts: count } : undefined;
}
