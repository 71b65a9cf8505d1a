// The Helm actions of a HelmRelease reconcile, each its own step on the worker that holds
// the reconcile's workspace, each with the real helm: install, upgrade, rollback, the
// uninstall that remediates a failed install, the uninstall of a release whose target
// changed, test (the chart's test hooks, after a release or for one not yet tested), and
// unlock — a release left pending-* by a
// worker that died mid-action is marked failed in Helm's storage, as Flux's unlock does,
// so the next action never meets "another operation is in progress". Each returns what
// Helm left in storage; a Helm error is an outcome, not a step failure.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { goDurationString } from '../../domain/duration.js';
import { snapshotOf, testHooksOf, type StoredRelease } from '../../domain/helmrelease-digest.js';
import type { ReleaseOutcome } from '../../domain/helmrelease-outcome.js';
import { nextAction } from '../../domain/helmrelease-state.js';
import { latestSnapshot, unlockedReleaseDescription, type Snapshot } from '../../domain/helmrelease-status.js';
import { helm, HelmFailure } from '../../helm/helm-cli.js';
import { postRendererFlags, writePostRenderPlan } from '../../helm/post-renderer.js';
import { postRenderPlan } from '../../domain/helmrelease-post-render.js';
import { clusterStateErrorMessage, correctsDrift, driftCorrectionEvent, driftDetectedEvent, hasDriftChanges } from '../../domain/helmrelease-drift.js';
import { correctDrift, detectDrift } from './drift.js';
import { applyReleaseCrds, CrdsError } from './crds.js';
import { encodeRelease, releaseSecretName } from '../../helm/release-storage.js';
import { cancellationSignal } from '../heartbeat.js';
import { latestStoredRelease } from './stored-release.js';
import { releaseHealthFailure } from './health.js';
import { releaseTarget, type HelmReleaseContext, type HelmReleaseWork } from './work.js';

/** What the workflow learns: whether the action worked, and the remediation its failure calls for. */
type Outcome = { ok: boolean; version?: number; remediate?: 'rollback' | 'uninstallRemediation' | 'correctDrift' };

export function releaseActionSteps(context: HelmReleaseContext) {
  const { workspaces } = context;
  const step = (run: (work: HelmReleaseWork, dir: string) => Promise<ReleaseOutcome>) =>
    async function ({ local }: { local: WorkerLocal }): Promise<Outcome> {
      const { dir, state: work } = workspaces.get(local.workspace);
      const outcome = await run(work, dir);
      work.outcomes.push(outcome);
      return { ok: outcome.ok, version: 'snapshot' in outcome ? outcome.snapshot?.version : undefined, remediate: remediationAfter(work, outcome) };
    };

  return {
    install: step(async (work, dir) => {
      const { spec } = work;
      const settings = spec.install;
      const flags = [
        ...waitFlags(settings, spec.waitStrategy),
        ...(settings.createNamespace ? ['--create-namespace'] : []),
        // The chart's CRDs are applied by applyReleaseCrds, by spec's policy, as Flux does.
        '--skip-crds',
        ...(settings.replace ? ['--replace'] : []),
        ...commonFlags(settings),
      ];
      return helmAction(context, work, 'install', ['install', spec.releaseName, work.chartPath!, ...(await valuesFlags(work, dir)), ...(await postRenderFlags(work, dir)), ...timeoutFlags(settings.timeoutMs), ...flags]);
    }),
    upgrade: step(async (work, dir) => {
      const { spec } = work;
      const settings = spec.upgrade;
      const flags = [
        ...waitFlags(settings, spec.waitStrategy),
        settings.preserveValues ? '--reuse-values' : '--reset-values',
        '--history-max',
        String(spec.maxHistory),
        ...(settings.force ? ['--force'] : []),
        ...(settings.cleanupOnFail ? ['--cleanup-on-fail'] : []),
        // The chart's CRDs are applied by applyReleaseCrds, by spec's policy, as Flux does.
        '--skip-crds',
        ...commonFlags(settings),
      ];
      return helmAction(context, work, 'upgrade', ['upgrade', spec.releaseName, work.chartPath!, ...(await valuesFlags(work, dir)), ...(await postRenderFlags(work, dir)), ...timeoutFlags(settings.timeoutMs), ...flags]);
    }),
    rollback: step(async (work) => {
      const { spec } = work;
      const to = (work.plan as { to: Snapshot }).to;
      const settings = spec.rollback;
      const flags = [
        ...waitFlags(settings),
        ...(settings.disableHooks ? ['--no-hooks'] : []),
        ...(settings.force ? ['--force'] : []),
        ...(settings.recreate ? ['--recreate-pods'] : []),
        ...(settings.cleanupOnFail ? ['--cleanup-on-fail'] : []),
        // Flux's rollback keeps every release: no history limit.
        '--history-max',
        '0',
      ];
      const error = await run(work, ['rollback', spec.releaseName, String(to.version), '--namespace', spec.storageNamespace, ...timeoutFlags(settings.timeoutMs), ...flags]);
      const snapshot = await latestOf(context, work);
      return { action: 'rollback', ok: !error, error, to, snapshot: snapshot && snapshot.version > to.version ? snapshot : undefined };
    }),
    test: step(async (work) => {
      const { spec } = work;
      const filters = spec.test.filters.flatMap((filter) => ['--filter', `${filter.exclude ? '!' : ''}name=${filter.name}`]);
      const error = await run(work, ['test', spec.releaseName, '--namespace', spec.storageNamespace, ...timeoutFlags(spec.test.timeoutMs), ...filters]);
      // Helm records each hook's last run in the release it tested (the digest leaves them out).
      const release = await latestStoredRelease(context.clusters, work.connection, work.ref.namespace, spec);
      const tested = release ?? work.current!;
      const last = lastReleaseAction(work);
      return { action: 'test', ok: !error, error, snapshot: { ...snapshotOf(tested, recordedOciDigest(work, tested.version)), testHooks: testHooksOf(tested) }, ignored: !last || spec[last].remediation.ignoreTestFailures };
    }),
    detectDrift: step(async (work) => {
      const client = await releaseClient(context, work);
      const report = await detectDrift(client, work.current!, work.spec.driftDetection, 'helm-controller', cancellationSignal());
      work.drift = report;
      const latest = latestSnapshot(work.previous.history ?? [])!;
      if (hasDriftChanges(report.objects)) return { action: 'drift-detection', ok: false, event: driftDetectedEvent(latest, report.objects) };
      if (report.errors.length > 0) return { action: 'drift-detection', ok: false, stateError: clusterStateErrorMessage(report.errors) };
      return { action: 'drift-detection', ok: true };
    }),
    correctDrift: step(async (work) => {
      const result = await correctDrift(await releaseClient(context, work), work.drift!, cancellationSignal());
      return { action: 'drift-correction', ok: result.errors.length === 0, event: driftCorrectionEvent(latestSnapshot(work.previous.history ?? [])!, result) };
    }),
    uninstallRemediation: step(async (work) => {
      const { spec } = work;
      // The release the failed action left, else the one the reconcile found.
      const failed = [...work.outcomes].reverse().flatMap((outcome) => ('snapshot' in outcome && outcome.snapshot ? [outcome.snapshot] : []))[0];
      const latest = failed ?? (work.current ? snapshotOf(work.current) : latestSnapshot(work.previous.history ?? [])!);
      const { error } = await uninstall(work, spec.releaseName, spec.storageNamespace);
      return { action: 'uninstall-remediation', ok: !error, error, snapshot: latest };
    }),
    /**
     * The release a changed target left behind (another name, namespace or chart),
     * uninstalled where it is stored before the new target is installed, as Flux does.
     */
    uninstallTarget: step(async (work) => {
      const { snapshot, storageNamespace } = work.leftBehind!;
      const { error, missing } = await uninstall(work, snapshot.name, storageNamespace);
      return { action: 'uninstall', ok: !error, error, snapshot, ...(missing ? { missing } : {}) };
    }),
    /**
     * The poller's wait for the release the install or upgrade just made. A release that
     * does not become healthy fails as Helm fails one whose wait failed: marked failed in
     * storage (the release before it left as it was), then counted and remediated.
     */
    async checkHealth({ local }: { local: WorkerLocal }): Promise<Outcome> {
      const { state: work } = workspaces.get(local.workspace);
      const made = work.outcomes.at(-1);
      if (!made || (made.action !== 'install' && made.action !== 'upgrade') || !made.ok) throw new Error('checkHealth follows a successful install or upgrade');
      const release = await latestStoredRelease(context.clusters, work.connection, work.ref.namespace, work.spec);
      if (!release) throw new Error(`the release ${work.spec.releaseName} the ${made.action} made is not in storage`);
      const failure = await releaseHealthFailure(context, work, release, work.spec[made.action]);
      if (failure === undefined) return { ok: true, version: release.version };
      const description = made.action === 'install' ? `Release "${release.name}" failed: ${failure}` : `Upgrade "${release.name}" failed: ${failure}`;
      const failed: StoredRelease = { ...release, info: { ...release.info, status: 'failed', description } };
      await writeRelease(context, work, failed);
      if (made.action === 'upgrade' && work.current) await writeRelease(context, work, work.current);
      const outcome: ReleaseOutcome = { action: made.action, ok: false, error: failure, snapshot: snapshotOf(failed, work.chart.ociDigest) };
      work.outcomes[work.outcomes.length - 1] = outcome;
      return { ok: false, version: release.version, remediate: remediationAfter(work, outcome) };
    },
    unlock: step(async (work) => {
      const current = work.current!;
      const pendingStatus = current.info?.status ?? '';
      const unlocked: StoredRelease = { ...current, info: { ...current.info, status: 'failed', description: unlockedReleaseDescription(pendingStatus) } };
      try {
        await writeRelease(context, work, unlocked);
      } catch (error) {
        return { action: 'unlock', ok: false, error: (error as Error).message, snapshot: snapshotOf(current), pendingStatus };
      }
      work.current = unlocked;
      work.previous = { ...work.previous, history: (work.previous.history ?? []).map((s) => (s.version === unlocked.version ? snapshotOf(unlocked) : s)) };
      return { action: 'unlock', ok: true, snapshot: snapshotOf(unlocked), pendingStatus };
    }),
  };
}

/**
 * A failed install or upgrade that wrote a release is remediated in the same reconcile, as
 * Flux's atomic release goes on to its Failed state: uninstall after an install, rollback
 * (or uninstall) after an upgrade, while retries last or remediateLastFailure asks for it.
 */
function remediationAfter(work: HelmReleaseWork, outcome: ReleaseOutcome): Outcome['remediate'] {
  // Drift is corrected in enabled mode, only reported in warn mode.
  if (outcome.action === 'drift-detection') return !outcome.ok && !outcome.stateError && correctsDrift(work.spec.driftDetection) ? 'correctDrift' : undefined;
  if (outcome.ok || outcome.action === 'drift-correction' || !outcome.snapshot) return undefined;
  // A failed test counts against the remediation of the action that made the release, unless it ignores test failures.
  const failed = outcome.action === 'install' || outcome.action === 'upgrade' ? outcome.action : outcome.action === 'test' && !outcome.ignored ? lastReleaseAction(work) : undefined;
  if (!failed) return undefined;
  const counter = failed === 'install' ? 'installFailures' : 'upgradeFailures';
  work.counts = { ...work.counts, [counter]: work.counts[counter] + 1 };
  const history = [outcome.snapshot, ...(work.previous.history ?? []).filter((s) => s.version !== outcome.snapshot!.version)];
  const plan = nextAction({ state: 'Failed' }, work.counts, failed, history, { install: work.spec.install.remediation, upgrade: work.spec.upgrade.remediation });
  if (plan.action === 'rollback') {
    work.plan = plan;
    return 'rollback';
  }
  if (plan.action === 'uninstall-remediation') return 'uninstallRemediation';
  return undefined;
}

/** The install or upgrade this reconcile made, else the last one the status records (GetActiveRemediation). */
function lastReleaseAction(work: HelmReleaseWork): 'install' | 'upgrade' | undefined {
  const made = [...work.outcomes].reverse().find((outcome) => outcome.action === 'install' || outcome.action === 'upgrade');
  return (made?.action as 'install' | 'upgrade' | undefined) ?? work.previous.lastAttemptedReleaseAction;
}

interface WaitSettings {
  disableWait: boolean;
  disableWaitForJobs: boolean;
}

/** Helm's own wait, unless the poller (checkHealth) waits instead: rollbacks and uninstalls always wait as Helm does. */
function waitFlags(settings: WaitSettings, strategy: 'poller' | 'legacy' = 'legacy'): string[] {
  if (settings.disableWait || strategy === 'poller') return [];
  return ['--wait', ...(settings.disableWaitForJobs ? [] : ['--wait-for-jobs'])];
}

function commonFlags(settings: { disableHooks: boolean; disableOpenAPIValidation: boolean; disableSchemaValidation: boolean; disableTakeOwnership: boolean }): string[] {
  return [
    ...(settings.disableHooks ? ['--no-hooks'] : []),
    ...(settings.disableOpenAPIValidation ? ['--disable-openapi-validation'] : []),
    ...(settings.disableSchemaValidation ? ['--skip-schema-validation'] : []),
    ...(settings.disableTakeOwnership ? [] : ['--take-ownership']),
  ];
}

function timeoutFlags(timeoutMs: number): string[] {
  return ['--timeout', goDurationString(timeoutMs)];
}

/** The values as a JSON file (YAML to helm) only this user can read, removed with the workspace. */
async function valuesFlags(work: HelmReleaseWork, dir: string): Promise<string[]> {
  const path = join(dir, 'values.json');
  await writeFile(path, JSON.stringify(work.values), { mode: 0o600 });
  return ['--namespace', work.spec.releaseNamespace, '--values', path];
}

/** Every release is post-rendered, as Flux's are: spec.postRenderers, commonMetadata, then the origin labels. */
async function postRenderFlags(work: HelmReleaseWork, dir: string): Promise<string[]> {
  const plan = postRenderPlan({ name: work.ref.name, namespace: work.ref.namespace }, { postRenderers: work.spec.postRenderers, commonMetadata: work.spec.commonMetadata });
  return postRendererFlags(await writePostRenderPlan(dir, plan));
}

/** Runs helm; Helm's error text when it failed. */
async function run(work: HelmReleaseWork, args: string[]): Promise<string | undefined> {
  try {
    await helm(work.connection, args, cancellationSignal());
    return undefined;
  } catch (error) {
    if (error instanceof HelmFailure) return error.message;
    throw error;
  }
}

async function helmAction(context: HelmReleaseContext, work: HelmReleaseWork, action: 'install' | 'upgrade', args: string[]): Promise<ReleaseOutcome> {
  try {
    await applyReleaseCrds(context, work, action);
  } catch (error) {
    // Before Helm: nothing written, nothing counted.
    if (error instanceof CrdsError) return { action, ok: false, error: error.message };
    throw error;
  }
  const error = await run(work, args);
  const snapshot = await latestOf(context, work, work.chart.ociDigest);
  // Only a release this action wrote counts as its outcome.
  const wrote = snapshot && (!work.current || snapshot.version > work.current.version);
  return { action, ok: !error, error, snapshot: wrote ? snapshot : undefined };
}

/** The OCI digest a release's snapshot was recorded with (by this reconcile's action, else in the history): a test keeps it. */
function recordedOciDigest(work: HelmReleaseWork, version: number): string | undefined {
  const made = work.outcomes.flatMap((outcome) => ('snapshot' in outcome && outcome.snapshot ? [outcome.snapshot] : []));
  return [...made, ...(work.previous.history ?? [])].find((snapshot) => snapshot.version === version)?.ociDigest;
}

/** The latest release in storage, as the history records it. */
async function latestOf(context: HelmReleaseContext, work: HelmReleaseWork, ociDigest?: string): Promise<Snapshot | undefined> {
  const release = await latestStoredRelease(context.clusters, work.connection, work.ref.namespace, work.spec);
  return release && snapshotOf(release, ociDigest);
}

/** `helm uninstall` of the release `name` stored in `namespace`: done, Helm's error, or `missing` (nothing to uninstall, which is done too). */
async function uninstall(work: HelmReleaseWork, name: string, namespace: string): Promise<{ error?: string; missing?: true }> {
  try {
    await helm(work.connection, uninstallArgs(name, namespace, work.spec.uninstall), cancellationSignal());
    return {};
  } catch (error) {
    if (!(error instanceof HelmFailure)) throw error;
    return error.notFound ? { missing: true } : { error: error.message };
  }
}

/** `helm uninstall` as spec.uninstall asks for it. */
export function uninstallArgs(name: string, namespace: string, settings: HelmReleaseWork['spec']['uninstall']): string[] {
  const flags = [...(settings.disableWait ? [] : ['--wait']), ...(settings.disableHooks ? ['--no-hooks'] : []), ...(settings.keepHistory ? ['--keep-history'] : []), '--cascade', settings.deletionPropagation];
  return ['uninstall', name, '--namespace', namespace, ...timeoutFlags(settings.timeoutMs), ...flags];
}

/** The release's cluster, as the HelmRelease's identity (serviceAccountName, kubeConfig) reaches it. */
function releaseClient(context: HelmReleaseContext, work: HelmReleaseWork) {
  const { spec, ref } = work;
  return context.clusters.clientFor(releaseTarget(ref.namespace, spec));
}

/** Writes `release` back to its Secret, as Helm's Secret driver would, with its status label. */
async function writeRelease(context: HelmReleaseContext, work: HelmReleaseWork, release: StoredRelease): Promise<void> {
  const client = await releaseClient(context, work);
  await client.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: releaseSecretName(release.name, release.version), namespace: work.spec.storageNamespace, labels: { name: release.name, owner: 'helm', status: release.info?.status ?? 'failed', version: String(release.version) } },
      type: 'helm.sh/release.v1',
      stringData: { release: encodeRelease(release) },
    },
    { fieldManager: 'helm-controller', force: true },
  );
}

