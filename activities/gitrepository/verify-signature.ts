// The signature check of spec.verify, between the clone and the store, as Flux's
// `verifySignature`: the tag object (Tag, TagAndHEAD) and then the commit (HEAD,
// TagAndHEAD) must be signed by a key of the verification Secret. A commit that fails
// is not stored: the last verified artifact stays, and SourceVerified says why.
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { SourceCondition, type SourceVerification } from '../../domain/gitrepository-status.js';
import { SignatureError, verifySignature } from '../../git/signatures.js';
import { cancellationSignal } from '../heartbeat.js';
import type { FetchFailure } from './git-failure.js';
import type { GitRepositoryContext } from './work.js';

const failed = (reason: string, message: string, stalled = false): { failure: FetchFailure } => ({
  failure: { outcome: 'failed', reason, message, stalled, condition: SourceCondition.SourceVerified },
});

export function verifySignatureStep(context: GitRepositoryContext) {
  const { objects, workspaces } = context;
  return async function verifySignatureOfCheckout({ local }: { local: WorkerLocal }): Promise<{ failure?: FetchFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { spec, ref, checkout, commit, tag } = work;
    if (!spec.verify) return {};
    if (!checkout) throw new Error(`the signature of GitRepository ${ref.namespace}/${ref.name} was checked before its commit was checked out`);
    const { mode, secretName } = spec.verify;
    const secret = await objects.getSecretData(ref.namespace, secretName);
    if (!secret) return failed('VerificationError', `PGP public keys secret error: secrets "${secretName}" not found`);
    const keys = Object.values(secret);
    const signal = cancellationSignal(spec.timeoutMs);

    const verified: string[] = [];
    if (mode === 'Tag' || mode === 'TagAndHEAD') {
      // Only a tag object carries a signature: a branch or a lightweight tag has none to check.
      if (!tag?.object) return failed('InvalidVerificationMode', "cannot verify tag object's signature if a tag reference is not specified", true);
      const tagName = `${tag.name}@${tag.object}`;
      try {
        const key = await verifySignature(checkout, { kind: 'tag', id: tag.object }, keys, { signal });
        verified.push(`tag '${tagName}' with key '${key}'`);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        if (error.unsigned) return failed('InvalidGitObject', `cannot verify signature of tag '${tagName}' since it is not signed`);
        return failed('InvalidTagSignature', `signature verification of tag '${tagName}' failed: ${error.message}`);
      }
    }
    if (mode === 'HEAD' || mode === 'TagAndHEAD') {
      try {
        const key = await verifySignature(checkout, { kind: 'commit', id: commit }, keys, { signal });
        verified.push(`commit '${commit}' with key '${key}'`);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        return failed('InvalidCommitSignature', `signature verification of commit '${commit}' failed: ${error.message}`);
      }
    }
    const verification: SourceVerification = { mode, message: `verified signature of\n\t- ${verified.join('\n\t- ')}` };
    work.verification = verification;
    return {};
  };
}
