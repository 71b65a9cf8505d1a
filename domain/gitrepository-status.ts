// The one place a GitRepository's status is decided, from what the last reconcile found:
// Flux's conditions, reasons and messages, observedGeneration only on Ready or Stalled,
// the last good artifact kept through failures, and the event to record.
import type { Artifact } from '../artifacts/store.js';
import type { GitVerificationMode } from './gitrepository-spec.js';
import type { GitRepositoryInclude } from '../schemas/types.js';
import { findCondition, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import { failedSourceStatus } from './source-failure.js';

export const SourceCondition = {
  ArtifactInStorage: 'ArtifactInStorage',
  FetchFailed: 'FetchFailed',
  IncludeUnavailable: 'IncludeUnavailable',
  /** positive polarity: True when the signature checked out, False when it did not */
  SourceVerified: 'SourceVerified',
} as const;

export const SourceReason = {
  GitOperationFailed: 'GitOperationFailed',
  AuthenticationFailed: 'AuthenticationFailed',
  URLInvalid: 'URLInvalid',
  InvalidSpec: 'InvalidSpec',
  NewArtifact: 'NewArtifact',
  Succeeded: 'Succeeded',
} as const;

export interface GitRepositoryStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: Artifact;
  observedIgnore?: string;
  observedRecurseSubmodules?: boolean;
  observedInclude?: GitRepositoryInclude[];
  observedSparseCheckout?: string[];
  /** the spec.verify mode the stored artifact was verified with */
  sourceVerificationMode?: GitVerificationMode;
  includedArtifacts?: Artifact[];
  lastHandledReconcileAt?: string;
}

/** What a signature check found, for the SourceVerified condition. */
export interface SourceVerification {
  mode: GitVerificationMode;
  message: string;
}

export type FetchResult =
  /** `verification`: absent when spec.verify is not set */
  | { outcome: 'stored'; artifact: Artifact; commitSubject: string; includedArtifacts?: Artifact[]; verification?: SourceVerification }
  | { outcome: 'unchanged'; artifact: Artifact; includedArtifacts?: Artifact[] }
  /** `condition`: the negative condition the failure sets; FetchFailed when absent */
  | { outcome: 'failed'; reason: string; message: string; stalled: boolean; condition?: string };

export interface StatusContext {
  now: string;
  generation: number;
  requestedAt?: string;
  ignore?: string;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

export interface StatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  annotations?: Record<string, string>;
}

export function storedMessage(revision: string): string {
  return `stored artifact for revision '${revision}'`;
}

export function nextGitRepositoryStatus(
  previous: GitRepositoryStatus,
  result: FetchResult,
  context: StatusContext,
): { status: GitRepositoryStatus; event?: StatusEvent } {
  // A failed signature check is looked at afresh by every reconcile, as in Flux; a
  // successful one stands for the stored artifact until the next check.
  const verified = findCondition(previous.conditions, SourceCondition.SourceVerified);
  const conditions = verified?.status === 'False' ? removeCondition(previous.conditions ?? [], SourceCondition.SourceVerified) : (previous.conditions ?? []);
  const base: GitRepositoryStatus = { ...previous };
  if (context.requestedAt) base.lastHandledReconcileAt = context.requestedAt;

  if (result.outcome === 'failed') return failedSourceStatus(base, conditions, result, context);

  const { artifact } = result;
  const message = storedMessage(artifact.revision);
  const ctx = { now: context.now, generation: context.generation };
  let next = removeCondition(removeCondition(conditions, SourceCondition.FetchFailed), SourceCondition.IncludeUnavailable);
  next = setCondition(next, { type: SourceCondition.ArtifactInStorage, status: 'True', reason: SourceReason.Succeeded, message }, ctx);
  if (result.outcome === 'stored') {
    next = result.verification
      ? setCondition(next, { type: SourceCondition.SourceVerified, status: 'True', reason: SourceReason.Succeeded, message: result.verification.message }, ctx)
      : removeCondition(next, SourceCondition.SourceVerified);
  }
  next = markReady(next, message, ctx);
  const status: GitRepositoryStatus = {
    ...base,
    conditions: next,
    artifact,
    observedGeneration: context.generation,
    observedIgnore: context.ignore,
    observedRecurseSubmodules: context.recurseSubmodules ?? false,
    observedInclude: context.include?.length ? context.include : undefined,
    observedSparseCheckout: context.sparseCheckout?.length ? context.sparseCheckout : undefined,
    includedArtifacts: result.includedArtifacts?.length ? result.includedArtifacts : undefined,
  };
  if (result.outcome === 'stored') status.sourceVerificationMode = result.verification?.mode;

  const annotations = { 'source.toolkit.fluxcd.io/revision': artifact.revision, 'source.toolkit.fluxcd.io/digest': artifact.digest };
  const wasFailing = [SourceCondition.FetchFailed, SourceCondition.IncludeUnavailable].some((type) => findCondition(conditions, type)?.status === 'True');
  if (result.outcome === 'stored' && previous.artifact?.digest !== artifact.digest) {
    return { status, event: { type: 'Normal', reason: SourceReason.NewArtifact, message: `stored artifact for commit '${result.commitSubject}'`, annotations } };
  }
  if (wasFailing) {
    return { status, event: { type: 'Normal', reason: SourceReason.Succeeded, message: `stored artifact for commit '${artifact.revision}'`, annotations } };
  }
  return { status };
}

/** The first line of a commit message, cut to 50 characters as Flux shows it. */
export function commitSubject(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return [...first].length > 50 ? `${[...first].slice(0, 50).join('')}...` : first;
}
