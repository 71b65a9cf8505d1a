// The first step of a HelmRelease reconcile, on the shared helm-controller queue: read the
// object and its spec, check its dependencies, apply the HelmChart its chart template
// makes and wait for that chart's artifact, compose the values, find the release Helm has
// in storage and decide what to do (helm-controller's reconcileRelease up to its atomic
// release). When there is a Helm action to run, the reconcile's workspace opens on this
// worker (values and kubeconfig stay in it) and the later steps run on its own queue.
import type { Artifact } from '../../artifacts/store.js';
import type { LoopTiming } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { configDigest, snapshotOf } from '../../domain/helmrelease-digest.js';
import type { HelmReleaseStatus, ReleaseVerdict } from '../../domain/helmrelease-outcome.js';
import { helmChartFromTemplate, helmChartReferenceOf, isTemplatedChart, readHelmReleaseSpec, type HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import { nextAction, releaseStateOf, releaseTargetChanged, type NextAction } from '../../domain/helmrelease-state.js';
import { HelmReleaseReason } from '../../domain/helmrelease-status.js';
import { forceAtAnnotation, pendingRequest, resetAtAnnotation } from '../../domain/helmrelease-requests.js';
import { composeValues, ValuesReferenceError } from '../../domain/helmrelease-values.js';
import type { GoMap } from '../../domain/go-yaml.js';
import { HelmFailure } from '../../helm/helm-cli.js';
import { fluxKinds, type FluxObjectRef } from '../../kube/flux-kinds.js';
import { ArtifactError, fetchArtifactBytes } from '../../artifacts/fetch.js';
import { ChartFilesError, loadPackagedChart, type ChartMetadata } from '../../helm/chart-files.js';
import { ociChartVersion } from '../../domain/helmrelease-oci-chart.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { commonMetadataDigest, postRenderersDigest } from '../../domain/helmrelease-post-render.js';
import type { CommonMetadata, PostRenderer } from '../../schemas/types.js';
import { detectsDrift } from '../../domain/helmrelease-drift.js';
import { compileHealthExpressions } from '../../domain/health-expressions.js';
import { checkDependsOn } from '../depends-on.js';
import { readFinalizedObject } from '../finalized-object.js';
import { showProgress } from '../progress.js';
import { releaseConnection, releaseKubeconfig } from './connection.js';
import { latestStoredRelease } from './stored-release.js';
import { dependencyRetryMs, finalizer, type HelmReleaseContext } from './work.js';

export type ReleaseResolution =
  | { outcome: 'gone' }
  | { outcome: 'deleting' }
  | { outcome: 'suspended'; timing: LoopTiming }
  /** nothing for Helm to do, or a prerequisite failed: straight to finalizeStatus */
  | { outcome: 'decided'; verdict: ReleaseVerdict; generation: number; requestedAt?: string; timing: LoopTiming; retryAfterMs?: number }
  | {
      outcome: 'act';
      local: { workerQueue: string; workspace: string };
      plan: NextAction['action'];
      /** spec.test.enable: a release made now is tested in the same reconcile */
      test?: boolean;
      /** the actions whose release the poller wait strategy judges, in the checkHealth step */
      checkHealth?: ('install' | 'upgrade')[];
      /** the release target changed: the old release is uninstalled before the plan runs */
      uninstallTarget?: boolean;
      revision: string;
      generation: number;
      requestedAt?: string;
      timing: LoopTiming;
      timeoutMs: number;
    };

const invalidSpecTiming: LoopTiming = { intervalMs: 600_000, retryIntervalMs: 600_000 };

export function resolveReleaseStep(context: HelmReleaseContext) {
  const { objects, schema, workspaces, workerQueue } = context;
  return async function resolveRelease({ ref }: { ref: FluxObjectRef }): Promise<ReleaseResolution> {
    const read = await readFinalizedObject(objects, ref, finalizer);
    if (read.outcome !== 'live') return read;
    const { object, generation, requestedAt } = read;
    const unready = (reason: string, message: string, options: { stalled?: boolean; warning?: boolean; retryAfterMs?: number; timing: LoopTiming }): ReleaseResolution => ({
      outcome: 'decided',
      verdict: { kind: 'unready', reason, message, stalled: options.stalled ?? false, warning: options.warning ?? true },
      generation,
      requestedAt,
      timing: options.timing,
      retryAfterMs: options.retryAfterMs,
    });
    const reading = readHelmReleaseSpec(object.spec, schema, { name: ref.name, namespace: ref.namespace });
    if (!reading.ok) return unready('InvalidSpec', reading.message, { stalled: true, timing: invalidSpecTiming });
    const spec = reading.spec;
    const timing: LoopTiming = { intervalMs: spec.intervalMs, retryIntervalMs: spec.intervalMs };
    if (spec.suspend) return { outcome: 'suspended', timing };
    const previous = await showProgress(objects, ref, (object.status ?? {}) as HelmReleaseStatus, generation);
    if (spec.storageNamespace !== spec.releaseNamespace) {
      const message = `storageNamespace '${spec.storageNamespace}' differs from the release namespace '${spec.releaseNamespace}': the helm CLI stores a release where it installs it; remove spec.storageNamespace or set it to '${spec.releaseNamespace}'`;
      return unready('InvalidSpec', message, { stalled: true, timing });
    }

    // The poller's expressions are checked before anything else is done, as a Kustomization's are.
    if (spec.waitStrategy === 'poller') {
      const expressions = compileHealthExpressions(spec.healthCheckExprs);
      if (!expressions.ok) return unready(HelmReleaseReason.InvalidCELExpression, expressions.message, { stalled: true, timing });
    }

    const waiting = await checkDependsOn(objects, { self: { kind: 'HelmRelease', namespace: ref.namespace, name: ref.name }, dependsOn: spec.dependsOn, additive: context.additiveCELDependencyCheck });
    if (waiting?.failure === 'invalid') return unready(HelmReleaseReason.InvalidCELExpression, waiting.message, { stalled: true, timing });
    if (waiting) return unready(HelmReleaseReason.DependencyNotReady, waiting.message, { warning: false, retryAfterMs: waiting.failure === 'cycle' ? spec.intervalMs : dependencyRetryMs, timing });

    const chart = await resolveChart(context, ref, object, spec);
    // A chart this reconcile just woke is usually ready in seconds: look again soon (its
    // notice may miss a consumer this new, whose list the notices share for a few seconds).
    if ('failure' in chart) return unready(chart.failure.reason, chart.failure.message, { retryAfterMs: chart.woken ? wokenChartRetryMs : dependencyRetryMs, timing });

    let values: GoMap;
    try {
      values = await valuesOf(context, ref.namespace, spec);
    } catch (error) {
      if (!(error instanceof ValuesReferenceError)) throw error;
      return unready(HelmReleaseReason.ValuesError, error.message, { timing });
    }

    // Flux digests the fields as written: an absent field is no digest, an empty list one.
    const written = object.spec as { postRenderers?: PostRenderer[]; commonMetadata?: CommonMetadata };
    const postRender = { postRenderersDigest: postRenderersDigest(written.postRenderers), commonMetadataDigest: commonMetadataDigest(written.commonMetadata) };

    let kubeconfig: string;
    try {
      kubeconfig = await releaseKubeconfig(context, ref.namespace, spec);
    } catch (error) {
      if (!(error instanceof HelmFailure)) throw error;
      return unready(HelmReleaseReason.RESTClientError, error.message, { timing });
    }
    const workspace = await workspaces.open({
      ref,
      spec,
      generation,
      previous,
      values,
      chart: chart.chart,
      postRender,
      connection: { kubeconfigPath: '', home: '' },
      plan: { action: 'none' },
      counts: { installFailures: 0, upgradeFailures: 0 },
      requests: {},
      outcomes: [],
    });
    const connection = await releaseConnection(workspace.dir, kubeconfig, ref.namespace, spec);
    workspace.state.connection = connection;
    let current;
    try {
      current = await latestStoredRelease(context.clusters, connection, ref.namespace, spec);
    } catch (error) {
      await workspaces.close(workspace.id);
      if (!(error instanceof HelmFailure)) throw error;
      return unready(HelmReleaseReason.GetLastReleaseFailed, `failed to get last release revision: ${error.message}`, { timing });
    }
    workspace.state.current = current;
    // A release recorded under another name, namespace or chart is uninstalled first; the
    // new target then starts with no history, as Flux's does after its uninstall.
    const leftBehind = releaseTargetChanged(previous.storageNamespace, previous.history ?? [], { releaseName: spec.releaseName, releaseNamespace: spec.releaseNamespace, chartName: chart.chart.name });
    if (leftBehind) {
      workspace.state.leftBehind = { snapshot: leftBehind, storageNamespace: previous.storageNamespace! };
      workspace.state.previous = { ...previous, history: [] };
    }
    const history = leftBehind ? [] : (previous.history ?? []);
    // The remediation of the last action decides whether a failed test counts (GetActiveRemediation).
    const active = previous.lastAttemptedReleaseAction && spec[previous.lastAttemptedReleaseAction].remediation;
    const tests = { enable: spec.test.enable, ignoreFailures: active ? active.ignoreTestFailures : true };
    // A new generation that changed how the release is post-rendered is out of sync too.
    const readyGeneration = findCondition(previous.conditions, 'Ready')?.observedGeneration;
    const postRenderChanged =
      readyGeneration !== generation &&
      ((previous.observedPostRenderersDigest ?? '') !== (postRender.postRenderersDigest ?? '')
        ? 'postrenderers digest has changed'
        : (previous.observedCommonMetadataDigest ?? '') !== (postRender.commonMetadataDigest ?? '')
          ? 'common metadata digest has changed'
          : undefined);
    const state = releaseStateOf(current, history, { chartName: chart.chart.name, chartVersion: chart.chart.version, values, tests, postRenderChanged: postRenderChanged || undefined });
    const annotations = object.metadata.annotations as Record<string, string> | undefined;
    const forceAt = pendingRequest(annotations, forceAtAnnotation, previous.lastHandledForceAt);
    const resetAt = pendingRequest(annotations, resetAtAnnotation, previous.lastHandledResetAt);
    const countsReset = resetAt !== undefined || previous.lastAttemptedGeneration !== generation || previous.lastAttemptedRevision !== chart.chart.version || previous.lastAttemptedConfigDigest !== configDigest(values);
    const counts = countsReset ? { installFailures: 0, upgradeFailures: 0 } : { installFailures: previous.installFailures ?? 0, upgradeFailures: previous.upgradeFailures ?? 0 };
    const decided = nextAction(state, counts, previous.lastAttemptedReleaseAction, history, { install: spec.install.remediation, upgrade: spec.upgrade.remediation }, forceAt !== undefined);
    // In sync by Helm's storage: with drift detection on, the cluster is compared too.
    const plan: NextAction = decided.action === 'none' && state.state === 'InSync' && current && history.length > 0 && detectsDrift(spec.driftDetection) ? { action: 'detect-drift' } : decided;
    workspace.state.plan = plan;
    workspace.state.counts = counts;
    workspace.state.requests = { forceAt, resetAt };
    if (!leftBehind && (plan.action === 'none' || plan.action === 'stall')) {
      const verdict: ReleaseVerdict = {
        kind: 'released',
        attempt: { ...attemptOf(spec, chart.chart, values), ...postRender, forceAt, resetAt },
        plan,
        outcomes: [],
        history: current && history.length === 0 ? [snapshotOf(current)] : history,
      };
      // Nothing for Helm to do: the workspace (and the kubeconfig in it) goes now.
      await workspaces.close(workspace.id);
      return { outcome: 'decided', verdict, generation, requestedAt, timing };
    }
    const waitedByPoller = pollerWaits(spec);
    return {
      outcome: 'act',
      local: { workerQueue, workspace: workspace.id },
      plan: plan.action,
      ...(spec.test.enable ? { test: true } : {}),
      ...(waitedByPoller.length > 0 ? { checkHealth: waitedByPoller } : {}),
      ...(leftBehind ? { uninstallTarget: true } : {}),
      revision: chart.chart.version,
      generation,
      requestedAt,
      timing,
      timeoutMs: Math.max(spec.install.timeoutMs, spec.upgrade.timeoutMs, spec.test.timeoutMs, spec.rollback.timeoutMs, spec.uninstall.timeoutMs),
    };
  };
}

export function attemptOf(spec: HelmReleaseSpec, chart: { name: string; version: string; helmChart?: string; ociDigest?: string }, values?: GoMap) {
  return {
    chartName: chart.name,
    chartVersion: chart.version,
    ...(chart.ociDigest ? { ociDigest: chart.ociDigest } : {}),
    configDigest: values ? configDigest(values) : '',
    releaseName: spec.releaseNameUnshortened,
    releaseNamespace: spec.releaseNamespace,
    storageNamespace: spec.storageNamespace,
    helmChart: chart.helmChart,
    remediation: { installRetries: spec.install.remediation.retries, upgradeRetries: spec.upgrade.remediation.retries },
    tests: { enable: spec.test.enable, ignoreFailures: spec.test.ignoreFailures },
  };
}

/** The chart to release: the source's artifact, its name and version; for an OCIRepository also its package and digest. */
export interface ResolvedChartSource {
  name: string;
  version: string;
  artifact: Artifact;
  helmChart?: string;
  /** an OCIRepository's chart: the manifest digest its version carries, and the package as downloaded */
  ociDigest?: string;
  package?: Buffer;
}

type ResolvedChart = { chart: ResolvedChartSource } | { failure: { reason: string; message: string }; woken?: boolean };

const wokenChartRetryMs = 5_000;

/** The chart source the release reads: the HelmChart its template makes (applied now), or chartRef's HelmChart or OCIRepository. */
async function resolveChart(context: HelmReleaseContext, ref: FluxObjectRef, object: KubernetesObject, spec: HelmReleaseSpec): Promise<ResolvedChart> {
  let sourceRef: FluxObjectRef;
  let woken = false;
  // The templated chart is read once, right after its apply; a chartRef's is read below.
  let read: KubernetesObject | undefined;
  if (spec.chart) {
    const template = helmChartFromTemplate({ name: ref.name, namespace: ref.namespace }, spec.chart, ((object.spec as { interval?: string }).interval ?? '10m'));
    await context.kube.apply(template as unknown as KubernetesObject, { fieldManager: 'helm-controller', force: true });
    sourceRef = { kind: 'HelmChart', namespace: template.metadata.namespace, name: template.metadata.name };
    // A new or changed HelmChart is reconciled now (the watcher would start its loop too, later).
    read = await context.objects.get(sourceRef);
    const observed = (read?.status as { observedGeneration?: number } | undefined)?.observedGeneration;
    if (read && observed !== read.metadata.generation && context.requestReconcile) {
      await context.requestReconcile(sourceRef);
      woken = true;
    }
    await deletePreviousTemplatedChart(context, ref, object, helmChartReferenceOf({ name: ref.name, namespace: ref.namespace }, spec.chart));
  } else if (spec.chartRef?.kind === 'HelmChart' || spec.chartRef?.kind === 'OCIRepository') {
    sourceRef = { kind: spec.chartRef.kind, namespace: spec.chartRef.namespace, name: spec.chartRef.name };
    // Moving from a template to a chartRef: the templated chart goes, as in Flux.
    await deletePreviousTemplatedChart(context, ref, object, undefined);
  } else {
    return { failure: { reason: HelmReleaseReason.ArtifactFailed, message: `chartRef of kind '${spec.chartRef?.kind}' is not supported yet` } };
  }
  const id = `${sourceRef.namespace}/${sourceRef.name}`;
  const source = read ?? (await context.objects.get(sourceRef));
  if (!source) return { failure: { reason: HelmReleaseReason.ArtifactFailed, message: `could not get Source object: ${fluxKinds[sourceRef.kind].plural}.source.toolkit.fluxcd.io "${sourceRef.name}" not found` } };
  const status = (source.status ?? {}) as { observedGeneration?: number; conditions?: []; artifact?: Artifact; observedChartName?: string };
  const ready = findCondition(status.conditions, 'Ready');
  const notReady = (detail: string) => ({ failure: { reason: 'SourceNotReady', message: `${sourceRef.kind} '${id}' is not ready: ${detail}` }, woken });
  if (status.observedGeneration !== source.metadata.generation) return notReady(ready?.status === 'False' ? ready.message : 'latest generation of object has not been reconciled');
  const stalled = findCondition(status.conditions, 'Stalled');
  if (stalled?.status === 'True') return notReady(stalled.message);
  if (!status.artifact) return notReady('does not have an artifact');
  if (sourceRef.kind === 'OCIRepository') return ociChart(status.artifact);
  // status.helmChart names the templated chart only, as Flux's does.
  return { chart: { name: status.observedChartName ?? sourceRef.name, version: status.artifact.revision, artifact: status.artifact, helmChart: spec.chart ? id : undefined } };
}

/** An OCIRepository's artifact loaded as a chart, its version carrying the digest (helm-controller's mutateChartWithSourceRevision). */
async function ociChart(artifact: Artifact): Promise<ResolvedChart> {
  let loaded: { metadata: ChartMetadata; package: Buffer };
  try {
    loaded = await loadPackagedChart(await fetchArtifactBytes(artifact.url, artifact.digest));
  } catch (error) {
    if (!(error instanceof ChartFilesError || error instanceof ArtifactError)) throw error;
    return { failure: { reason: HelmReleaseReason.ArtifactFailed, message: `Could not load chart: ${error.message}` } };
  }
  const version = ociChartVersion(loaded.metadata.version, artifact.revision);
  if (!version.ok) return { failure: { reason: 'ChartMutateError', message: version.message } };
  return { chart: { name: loaded.metadata.name, version: version.version, artifact, ociDigest: version.ociDigest, package: loaded.package } };
}

/** Deletes the templated HelmChart status.helmChart names unless it is still the one wanted. */
async function deletePreviousTemplatedChart(context: HelmReleaseContext, ref: FluxObjectRef, object: KubernetesObject, wanted: string | undefined): Promise<void> {
  const previous = ((object.status ?? {}) as HelmReleaseStatus).helmChart;
  if (!previous || previous === wanted || !isTemplatedChart(ref, previous)) return;
  const [namespace = ref.namespace, name = ''] = previous.split('/');
  await context.kube.delete({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', namespace, name });
}

/** The values from valuesFrom's ConfigMaps and Secrets, then spec.values, in Flux's order. */
async function valuesOf(context: HelmReleaseContext, namespace: string, spec: HelmReleaseSpec): Promise<GoMap> {
  const data = new Map<string, Record<string, string> | undefined>();
  for (const reference of spec.valuesFrom) {
    const key = `${reference.kind}/${reference.name}`;
    if (data.has(key)) continue;
    if (reference.kind === 'Secret') data.set(key, await context.objects.getSecretData(namespace, reference.name));
    else data.set(key, ((await context.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: reference.name })) as { data?: Record<string, string> } | undefined)?.data);
  }
  return composeValues(namespace, spec, (kind, name) => data.get(`${kind}/${name}`));
}

/** The install and upgrade the poller waits for: each that does not disable waiting. */
function pollerWaits(spec: HelmReleaseSpec): ('install' | 'upgrade')[] {
  if (spec.waitStrategy !== 'poller') return [];
  return (['install', 'upgrade'] as const).filter((action) => !spec[action].disableWait);
}
