// The one place a HelmRepository reconcile's outcome is written: conditions, artifact,
// status.url, observedGeneration and the event, from what the steps found.
import { nextHelmRepositoryStatus, type HelmRepositoryStatus, type IndexResult } from '../../domain/helmrepository-status.js';
import type { SourceFinalStatus, SourceVerdict } from '../../workflows/source-loop.js';
import { writeSourceStatus } from '../source-status.js';
import type { HelmRepositoryContext, HelmRepositoryObserved } from './work.js';

export type HelmRepositoryVerdict = SourceVerdict<IndexResult, HelmRepositoryObserved>;

export function finalizeIndexStatusStep(context: HelmRepositoryContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: HelmRepositoryVerdict): Promise<SourceFinalStatus | undefined> {
    const { ref, generation, requestedAt } = verdict;
    const result = verdict.result ?? (verdict.local ? workspaces.get(verdict.local.workspace).state.result : undefined);
    if (!result) throw new Error(`HelmRepository ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    const now = new Date().toISOString();
    const final = await writeSourceStatus<HelmRepositoryStatus>(objects, ref, result, (previous) => nextHelmRepositoryStatus(previous, result, { now, generation, requestedAt }));
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}
