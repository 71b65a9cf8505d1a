// The first step of a GitRepository reconcile: read the object and its Secret, ask the
// remote which commit the ref points at (`git ls-remote`: no clone), and decide whether
// anything changed. When it did, the reconcile's workspace (with the credentials) opens
// on this worker and the clone and store steps run on its own task queue.
import type { Artifact } from '../../artifacts/store.js';
import type { LoopTiming, WorkerLocal } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { resolveRef } from '../../domain/git-ref.js';
import { readGitRepositorySpec, type GitRepositorySpec, type GitVerificationMode } from '../../domain/gitrepository-spec.js';
import { SourceCondition, SourceReason, type FetchResult, type GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { proxyOfSecret } from '../../domain/proxy-secret.js';
import { listRemoteRefs } from '../../git/client.js';
import { prepareCredentials, type GitCredentials } from '../../git/credentials.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { GitRepositoryInclude } from '../../schemas/types.js';
import { cancellationSignal } from '../heartbeat.js';
import { showProgress } from '../progress.js';
import { invalidSpecTiming, readSourceObject } from '../source-object.js';
import { resolveIncludes } from '../source-include.js';
import { fetchFailureOf, type FetchFailure } from './git-failure.js';
import { observedContent, type GitRepositoryContext, type ObservedContent } from './work.js';

export type RemoteCheck =
  | { outcome: 'gone' }
  | { outcome: 'suspended'; timing: LoopTiming; revision?: string }
  /** nothing to fetch (`unchanged`), or a failure: straight to finalizeStatus */
  | { outcome: 'decided'; result: FetchFailure | Extract<FetchResult, { outcome: 'unchanged' }>; generation: number; requestedAt?: string; observed: ObservedContent; timing: LoopTiming }
  /** `verify`: spec.verify is set, so the signature step runs between clone and store */
  | { outcome: 'changed'; local: WorkerLocal; revision: string; generation: number; requestedAt?: string; observed: ObservedContent; timing: LoopTiming; verify?: true };

export function checkRemoteStep(context: GitRepositoryContext) {
  const { objects, store, schema, workspaces, workerQueue } = context;

  return async function checkRemote({ ref }: { ref: FluxObjectRef }): Promise<RemoteCheck> {
    const source = await readSourceObject(objects, store, ref);
    if (!source) return { outcome: 'gone' };
    const { object, generation, requestedAt } = source;
    const previous = await showProgress(objects, ref, (object.status ?? {}) as GitRepositoryStatus, generation);
    const reading = readGitRepositorySpec(object.spec, schema);
    if (!reading.ok) {
      const result: FetchFailure = { outcome: 'failed', reason: reading.field === 'url' ? SourceReason.URLInvalid : SourceReason.InvalidSpec, message: reading.message, stalled: true };
      return { outcome: 'decided', result, generation, requestedAt, observed: {}, timing: invalidSpecTiming };
    }
    const spec = reading.spec;
    const timing = { intervalMs: spec.intervalMs, retryIntervalMs: spec.intervalMs };
    if (spec.suspend) return { outcome: 'suspended', timing, revision: previous.artifact?.revision };
    const decided = (result: FetchFailure | Extract<FetchResult, { outcome: 'unchanged' }>): RemoteCheck => ({ outcome: 'decided', result, generation, requestedAt, observed: observedContent(spec), timing });

    let secret: Record<string, string> | undefined;
    if (spec.secretName) {
      secret = await objects.getSecretData(ref.namespace, spec.secretName);
      if (!secret) return decided({ outcome: 'failed', reason: SourceReason.AuthenticationFailed, message: `failed to get secret '${ref.namespace}/${spec.secretName}': not found`, stalled: false });
    }
    let proxyUrl: string | undefined;
    if (spec.proxySecretName) {
      const proxySecret = `${ref.namespace}/${spec.proxySecretName}`;
      const data = await objects.getSecretData(ref.namespace, spec.proxySecretName);
      const proxy = data ? proxyOfSecret(proxySecret, data) : { ok: false as const, message: `failed to get secret '${proxySecret}': not found` };
      if (!proxy.ok) return decided({ outcome: 'failed', reason: SourceReason.AuthenticationFailed, message: `failed to configure proxy options: ${proxy.message}`, stalled: false });
      proxyUrl = proxy.url;
    }
    let credentials: GitCredentials;
    try {
      credentials = await prepareCredentials(spec.url, secret, { proxyUrl });
    } catch (error) {
      return decided(fetchFailureOf(error));
    }
    let handedOver = false;
    try {
      const refs = await listRemoteRefs(spec.url, { credentials, timeoutMs: spec.timeoutMs, signal: cancellationSignal() });
      const resolution = resolveRef(spec.ref, refs);
      if (resolution.kind === 'notFound') {
        return decided({ outcome: 'failed', reason: SourceReason.GitOperationFailed, message: `failed to checkout and determine revision: ${resolution.message}`, stalled: false });
      }
      const includes = await resolveIncludes(objects, ref.namespace, spec.include);
      if (!includes.ok) return decided({ outcome: 'failed', reason: includes.reason, message: includes.message, stalled: false, condition: SourceCondition.IncludeUnavailable });
      const stored = previous.artifact;
      if (stored && stored.revision === resolution.revision && contentUnchanged(previous, spec, includes.artifacts) && findCondition(previous.conditions, 'ArtifactInStorage')?.status === 'True' && (await store.has(stored))) {
        return decided({ outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, includedArtifacts: includes.artifacts });
      }
      const workspace = await workspaces.open({
        ref,
        spec,
        credentials,
        commit: resolution.commit,
        revision: resolution.revision,
        fetchRef: resolution.fetchRef,
        tag: resolution.tag,
        includedArtifacts: includes.artifacts,
        previousArtifact: stored,
      });
      handedOver = true;
      const changed: RemoteCheck = { outcome: 'changed', local: { workerQueue, workspace: workspace.id }, revision: resolution.revision, generation, requestedAt, observed: observedContent(spec), timing };
      return spec.verify ? { ...changed, verify: true } : changed;
    } catch (error) {
      return decided(fetchFailureOf(error));
    } finally {
      // The workspace disposes of them when it closes; otherwise they go now.
      if (!handedOver) await credentials.dispose();
    }
  };
}

/**
 * Whether the ignore rules, submodules, include, sparse checkout and the included
 * artifacts are the ones the stored artifact was built with, and its signature was
 * checked as spec.verify now asks.
 */
function contentUnchanged(previous: GitRepositoryStatus, spec: GitRepositorySpec, artifacts: readonly Artifact[]): boolean {
  const included = previous.includedArtifacts ?? [];
  return (
    previous.observedIgnore === spec.ignore &&
    (previous.observedRecurseSubmodules ?? false) === spec.recurseSubmodules &&
    JSON.stringify(previous.observedSparseCheckout ?? []) === JSON.stringify(spec.sparseCheckout ?? []) &&
    !verificationNeeded(previous.sourceVerificationMode, spec.verify?.mode) &&
    JSON.stringify(previous.observedInclude ?? []) === JSON.stringify(spec.include satisfies readonly GitRepositoryInclude[]) &&
    included.length === artifacts.length &&
    included.every((artifact, index) => artifact.digest === artifacts[index]!.digest)
  );
}

/**
 * Flux's `requiresVerification`: a check is owed when spec.verify is set and the stored
 * artifact was not verified, or was verified for the tag only and the commit is now
 * wanted too, or the other way round. TagAndHEAD covers both.
 */
function verificationNeeded(observed: GitVerificationMode | undefined, wanted: GitVerificationMode | undefined): boolean {
  if (!wanted) return false;
  if (!observed) return true;
  return (observed === 'Tag' && wanted !== 'Tag') || (observed === 'HEAD' && wanted !== 'HEAD');
}
