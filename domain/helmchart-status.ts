// The one place a HelmChart's status is decided, from what the last reconcile found, in
// Flux's words (source-controller helmchart_controller.go): the chart's artifact and
// `status.url`, Ready and ArtifactInStorage with the build's summary ("pulled 'podinfo'
// chart with version '6.0.3'") and reason (ChartPullSucceeded, ChartPackageSucceeded),
// the observed source revision, chart name and values files; on a failure FetchFailed or
// BuildFailed (each clearing the other) with the last good artifact kept.
import type { Artifact } from '../artifacts/store.js';
import { findCondition, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import type { StatusContext, StatusEvent } from './gitrepository-status.js';
import { buildReason, buildSummary, type ChartBuild } from './helmchart-build.js';
import { failedSourceStatus } from './source-failure.js';

export const HelmChartReason = {
  SourceUnavailable: 'SourceUnavailable',
  NoSourceArtifact: 'NoSourceArtifact',
  UnsupportedSourceKind: 'UnsupportedSourceKind',
  AuthenticationFailed: 'AuthenticationFailed',
  /** an OCI HelmRepository whose URL Helm's client cannot be built for */
  Failed: 'Failed',
  URLInvalid: 'URLInvalid',
  InvalidSpec: 'InvalidSpec',
  StorageOperationFailed: 'ArchiveOperationFailed',
} as const;

export interface HelmChartStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: Artifact;
  /** the stable URL of the newest chart, `…/latest.tar.gz` */
  url?: string;
  observedSourceArtifactRevision?: string;
  observedChartName?: string;
  /** only with ignoreMissingValuesFiles: the values files that were found */
  observedValuesFiles?: string[];
  lastHandledReconcileAt?: string;
}

export type ChartResult =
  | { outcome: 'stored'; artifact: Artifact; url: string; build: ChartBuild }
  | { outcome: 'unchanged'; artifact: Artifact; build: ChartBuild }
  | { outcome: 'failed'; reason: string; message: string; stalled: boolean; condition?: string };

/** What every HelmChart reconcile observes, whatever its outcome. */
export interface HelmChartObserved {
  /** the source's artifact revision, when it has one */
  sourceRevision?: string;
  ignoreMissingValuesFiles: boolean;
}

const failureConditions = ['FetchFailed', 'BuildFailed', 'StorageOperationFailed'];

export function nextHelmChartStatus(
  previous: HelmChartStatus,
  result: ChartResult,
  context: Pick<StatusContext, 'now' | 'generation' | 'requestedAt'> & HelmChartObserved,
): { status: HelmChartStatus; event?: StatusEvent } {
  const base: HelmChartStatus = { ...previous };
  if (context.requestedAt) base.lastHandledReconcileAt = context.requestedAt;
  if (context.sourceRevision) base.observedSourceArtifactRevision = context.sourceRevision;
  const ctx = { now: context.now, generation: context.generation };

  if (result.outcome === 'failed') {
    // A fetch failure and a build failure replace each other.
    const other = result.condition === 'BuildFailed' ? 'FetchFailed' : 'BuildFailed';
    return failedSourceStatus(base, removeCondition(previous.conditions ?? [], other), result, ctx);
  }

  const { artifact, build } = result;
  const message = buildSummary(build);
  const reason = buildReason(build);
  const conditions = previous.conditions ?? [];
  let next = failureConditions.reduce(removeCondition, conditions);
  next = removeCondition(next, 'ArtifactOutdated');
  next = setCondition(next, { type: 'ArtifactInStorage', status: 'True', reason, message }, ctx);
  next = markReady(next, message, ctx, reason);
  const status: HelmChartStatus = { ...base, conditions: next, artifact, observedGeneration: context.generation };
  if (result.outcome === 'stored') {
    status.url = result.url;
    status.observedChartName = build.name;
    status.observedValuesFiles = context.ignoreMissingValuesFiles ? build.valuesFiles : undefined;
  }

  const wasFailing = failureConditions.some((type) => findCondition(conditions, type)?.status === 'True');
  const annotations = { 'source.toolkit.fluxcd.io/revision': artifact.revision, 'source.toolkit.fluxcd.io/digest': artifact.digest };
  if (previous.artifact?.digest !== artifact.digest || wasFailing) return { status, event: { type: 'Normal', reason, message, annotations } };
  return { status };
}
