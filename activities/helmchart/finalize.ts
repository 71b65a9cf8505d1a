// The one place a HelmChart reconcile's outcome is written: conditions, artifact,
// status.url, the observed source revision, chart name and values files,
// observedGeneration and the event, from what the steps found.
import { nextHelmChartStatus, type ChartResult, type HelmChartObserved, type HelmChartStatus } from '../../domain/helmchart-status.js';
import type { SourceFinalStatus, SourceVerdict } from '../../workflows/source-loop.js';
import { writeSourceStatus } from '../source-status.js';
import type { HelmChartContext } from './work.js';

export type HelmChartVerdict = SourceVerdict<ChartResult, HelmChartObserved>;

export function finalizeChartStatusStep(context: HelmChartContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: HelmChartVerdict): Promise<SourceFinalStatus | undefined> {
    const { ref, generation, requestedAt, observed } = verdict;
    const result = verdict.result ?? (verdict.local ? workspaces.get(verdict.local.workspace).state.result : undefined);
    if (!result) throw new Error(`HelmChart ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    const now = new Date().toISOString();
    const next = (previous: HelmChartStatus) => nextHelmChartStatus(previous, result, { now, generation, requestedAt, ...observed });
    const final = await writeSourceStatus<HelmChartStatus>(objects, ref, result, next, withRemovals);
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}

/** observedValuesFiles goes away without ignoreMissingValuesFiles: a merge patch removes it only when sent as null. */
function withRemovals(status: HelmChartStatus): Record<string, unknown> {
  return { ...status, observedValuesFiles: status.observedValuesFiles ?? null };
}
