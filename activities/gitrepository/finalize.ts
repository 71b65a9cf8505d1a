// The one place a GitRepository reconcile's outcome is written: conditions, artifact,
// observedGeneration and the event, from what the steps found.
import type { Artifact } from '../../artifacts/store.js';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { nextGitRepositoryStatus, type FetchResult, type GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
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

export interface GitRepositoryFinalStatus {
  ready: boolean;
  revision?: string;
  message: string;
  /**
   * the stored artifact changed — a new revision, or the same one at a new URL or digest
   * (a consumer that failed to fetch the old URL must retry now)
   */
  newRevision: boolean;
}

export function finalizeStatusStep(context: GitRepositoryContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(verdict: GitRepositoryVerdict): Promise<GitRepositoryFinalStatus | undefined> {
    const { ref, generation, requestedAt, observed } = verdict;
    const result = verdict.result ?? (verdict.local ? workspaces.get(verdict.local.workspace).state.result : undefined);
    if (!result) throw new Error(`GitRepository ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    const object = await objects.get(ref);
    let final: GitRepositoryFinalStatus | undefined;
    if (object) {
      const previous = (object.status ?? {}) as GitRepositoryStatus;
      const { status, event } = nextGitRepositoryStatus(previous, result, { now: new Date().toISOString(), generation, requestedAt, ...observed });
      await objects.patchStatus(ref, withRemovals(status));
      if (event) await objects.recordEvent(object, event, 'source-controller');
      const ready = result.outcome !== 'failed';
      final = {
        ready,
        revision: status.artifact?.revision,
        message: ready ? findCondition(status.conditions, 'Ready')!.message : result.message,
        newRevision: result.outcome === 'stored' && artifactChanged(previous.artifact, result.artifact),
      };
    }
    if (verdict.local) await workspaces.close(verdict.local.workspace);
    return final;
  };
}

function artifactChanged(before: Artifact | undefined, after: Artifact): boolean {
  return before?.revision !== after.revision || before.digest !== after.digest || before.url !== after.url;
}

/** Observations that may go away: a merge patch removes a field only when it is sent as null. */
const removableFields = ['observedIgnore', 'observedInclude', 'observedSparseCheckout', 'sourceVerificationMode', 'includedArtifacts'] as const;

function withRemovals(status: GitRepositoryStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...status };
  for (const field of removableFields) patch[field] = status[field] ?? null;
  return patch;
}
