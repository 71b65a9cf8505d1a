// Pack the checkout (with its includes) by Flux's ignore rules into a reproducible
// tar.gz, store it, and collect old artifacts (the current and the previous one stay).
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { commitSubject } from '../../domain/gitrepository-status.js';
import { copyIncludes } from '../source-include.js';
import { ignoreRules } from '../source-ignore-rules.js';
import { fetchFailureOf, type FetchFailure } from './git-failure.js';
import type { GitRepositoryContext } from './work.js';

export function storeArtifactStep(context: GitRepositoryContext) {
  const { store, workspaces } = context;
  return async function storeArtifact({ local }: { local: WorkerLocal }): Promise<{ digest?: string; failure?: FetchFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { checkout, spec, ref } = work;
    if (!checkout) throw new Error(`the artifact of GitRepository ${ref.namespace}/${ref.name} was stored before its commit was checked out`);
    try {
      await copyIncludes(checkout, spec.include, work.includedArtifacts);
    } catch (error) {
      return { failure: fetchFailureOf(error) };
    }
    const artifact = await store.archive(checkout, ref, work.revision, await ignoreRules(checkout, spec.ignore));
    await store.garbageCollect(ref, artifact);
    work.result = { outcome: 'stored', artifact, commitSubject: commitSubject(work.commitMessage ?? ''), includedArtifacts: work.includedArtifacts, verification: work.verification };
    return { digest: artifact.digest };
  };
}
