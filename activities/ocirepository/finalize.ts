// The one place an OCIRepository reconcile's outcome is written: conditions, artifact,
// status.url, the observed ignore rules and layer selector, observedGeneration and the
// event, from what the steps found.
import { nextOCIRepositoryStatus, type OCIRepositoryResult, type OCIRepositoryStatus } from '../../domain/ocirepository-status.js';
import type { SourceFinalStatus, SourceVerdict } from '../../workflows/source-loop.js';
import { replacingMap, writeSourceStatus } from '../source-status.js';
import type { OCIRepositoryContext, OCIRepositoryObserved } from './work.js';

export type OCIRepositoryVerdict = SourceVerdict<OCIRepositoryResult, OCIRepositoryObserved>;

export function finalizeArtifactStatusStep(context: OCIRepositoryContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: OCIRepositoryVerdict): Promise<SourceFinalStatus | undefined> {
    const { ref, generation, requestedAt } = verdict;
    const result = verdict.result ?? (verdict.local ? workspaces.get(verdict.local.workspace).state.result : undefined);
    if (!result) throw new Error(`OCIRepository ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    const now = new Date().toISOString();
    const next = (previous: OCIRepositoryStatus) => nextOCIRepositoryStatus(previous, result, { now, generation, requestedAt });
    const final = await writeSourceStatus<OCIRepositoryStatus>(objects, ref, result, next, withRemovals);
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}

/** What may go away: a merge patch removes a field, or a key of a map, only when it is sent as null. */
function withRemovals(status: OCIRepositoryStatus, previous: OCIRepositoryStatus): Record<string, unknown> {
  return {
    ...status,
    ...(status.artifact ? { artifact: { ...status.artifact, metadata: replacingMap(previous.artifact?.metadata, status.artifact.metadata) } } : {}),
    observedIgnore: status.observedIgnore ?? null,
    observedLayerSelector: replacingMap(previous.observedLayerSelector as Record<string, unknown> | undefined, status.observedLayerSelector as Record<string, unknown> | undefined),
  };
}
