// The one place a GitRepository reconcile's outcome is written: conditions, artifact,
// observedGeneration and the event, from what the steps found.
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { nextGitRepositoryStatus, type FetchResult, type GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { SourceFinalStatus } from '../../workflows/source-loop.js';
import { writeSourceStatus } from '../source-status.js';
import type { GitRepositoryContext, ObservedContent } from './work.js';

export interface GitRepositoryVerdict {
  ref: FluxObjectRef;
  generation: number;
  requestedAt?: string;
  observed: ObservedContent;
  /** what the steps decided; the workspace's stored artifact when absent */
  result?: FetchResult;
  local?: WorkerLocal;
}

/** What the loop learns of the reconcile's end (workflows/source-loop.ts). */
export type GitRepositoryFinalStatus = SourceFinalStatus;

export function finalizeStatusStep(context: GitRepositoryContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: GitRepositoryVerdict): Promise<GitRepositoryFinalStatus | undefined> {
    const { ref, generation, requestedAt, observed } = verdict;
    const result = verdict.result ?? (verdict.local ? workspaces.get(verdict.local.workspace).state.result : undefined);
    if (!result) throw new Error(`GitRepository ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    const now = new Date().toISOString();
    const next = (previous: GitRepositoryStatus) => nextGitRepositoryStatus(previous, result, { now, generation, requestedAt, ...observed });
    const final = await writeSourceStatus<GitRepositoryStatus>(objects, ref, result, next, withRemovals);
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}

/** Observations that may go away: a merge patch removes a field only when it is sent as null. */
const removableFields = ['observedIgnore', 'observedInclude', 'observedSparseCheckout', 'sourceVerificationMode', 'includedArtifacts'] as const;

function withRemovals(status: GitRepositoryStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...status };
  for (const field of removableFields) patch[field] = status[field] ?? null;
  return patch;
}
