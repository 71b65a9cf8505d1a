// Git's failures as a GitRepository's status words them: Flux's reasons, the last good
// artifact kept.
import { ArtifactError } from '../../artifacts/fetch.js';
import { SourceCondition, SourceReason, type FetchResult } from '../../domain/gitrepository-status.js';
import { GitError, GitFailure } from '../../git/errors.js';
import { IncludePathError } from '../source-include.js';

export type FetchFailure = Extract<FetchResult, { outcome: 'failed' }>;

/** The failure a git, include or artifact error means; other errors are rethrown for the step to retry. */
export function fetchFailureOf(error: unknown): FetchFailure {
  if (error instanceof IncludePathError) {
    return { outcome: 'failed', reason: 'IllegalPath', message: `include: ${error.message}`, stalled: true, condition: 'StorageOperationFailed' };
  }
  if (error instanceof ArtifactError) {
    return { outcome: 'failed', reason: 'NoArtifact', message: `include: ${error.message}`, stalled: false, condition: SourceCondition.IncludeUnavailable };
  }
  if (error instanceof GitError) {
    const reason = error.failure === GitFailure.AuthenticationFailed || error.failure === GitFailure.HostKeyMismatch ? SourceReason.AuthenticationFailed : SourceReason.GitOperationFailed;
    return { outcome: 'failed', reason, message: error.message, stalled: false };
  }
  throw error;
}
