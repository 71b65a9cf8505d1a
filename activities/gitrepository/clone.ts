// Fetch the one resolved commit (depth 1, submodules with recurseSubmodules, only the
// directories of sparseCheckout) into the workspace, within spec.timeout; cancelling
// the step stops git.
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { checkoutCommit, commitMessage } from '../../git/client.js';
import { cancellationSignal } from '../heartbeat.js';
import { fetchFailureOf, type FetchFailure } from './git-failure.js';
import type { GitRepositoryContext } from './work.js';

export function cloneStep(context: GitRepositoryContext) {
  const { workspaces } = context;
  return async function clone({ local }: { local: WorkerLocal }): Promise<{ failure?: FetchFailure }> {
    const workspace = workspaces.get(local.workspace);
    const work = workspace.state;
    const { spec } = work;
    const checkout = join(workspace.dir, `checkout-${Date.now()}`);
    try {
      const options = { credentials: work.credentials, timeoutMs: spec.timeoutMs, signal: cancellationSignal() };
      const request = { url: spec.url, commit: work.commit, fetchRef: work.fetchRef, recurseSubmodules: spec.recurseSubmodules, sparseCheckout: spec.sparseCheckout };
      await checkoutCommit(checkout, request, options);
      work.commitMessage = await commitMessage(checkout, work.commit);
      work.checkout = checkout;
      return {};
    } catch (error) {
      return { failure: fetchFailureOf(error) };
    }
  };
}
