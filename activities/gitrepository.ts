// The source-controller's reconcile of one GitRepository, as one activity: read the
// object, resolve the ref on the remote, skip the clone when the revision is the one
// already stored, otherwise check out, pack and store the artifact; then write status
// and an event. Failures of git or of the spec end up on the object's status (the last
// good artifact kept); only failures to reach the Kubernetes API make the activity retry.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whileHeartbeating } from './concurrency.js';
import type { FluxObjects } from '../kube/status.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import { apiVersionOf, describeFluxObject } from '../kube/flux-kinds.js';
import { specSchemaFor } from '../kube/crd-schemas.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { listFiles } from '../artifacts/archive.js';
import { readGitRepositorySpec, type GitRepositorySpec } from '../domain/gitrepository-spec.js';
import { resolveRef } from '../domain/git-ref.js';
import { commitSubject, nextGitRepositoryStatus, SourceCondition, SourceReason, type FetchResult, type GitRepositoryStatus } from '../domain/gitrepository-status.js';
import type { GitRepositoryInclude } from '../schemas/types.js';
import type { Artifact } from '../artifacts/store.js';
import { ArtifactError } from '../artifacts/fetch.js';
import { copyIncludes, IncludePathError, resolveIncludes } from './source-include.js';
import { findCondition } from '../domain/conditions.js';
import { sourceIgnore } from '../domain/source-ignore.js';
import { prepareCredentials } from '../git/credentials.js';
import { checkoutCommit, commitMessage, listRemoteRefs } from '../git/client.js';
import { GitError, GitFailure } from '../git/errors.js';
import ignore from 'ignore';
import { reportingFailures } from './failures.js';
import { showProgress } from './progress.js';
import { requestedAtAnnotation } from '../domain/watch-changes.js';

export interface GitRepositoryReconcile {
  ref: FluxObjectRef;
}

export interface GitRepositoryOutcome extends ReconcileOutcome {
  /**
   * the stored artifact changed in this reconcile — a new revision, or the same one at a
   * new URL or digest (a consumer that failed to fetch the old URL must retry now)
   */
  newRevision: boolean;
}


export function createGitRepositoryActivities(deps: { objects: FluxObjects; store: ArtifactStore }) {
  const { objects, store } = deps;
  const specSchema = specSchemaFor(apiVersionOf('GitRepository'), 'GitRepository');
  if (!specSchema) throw new Error(`schemas/ has no CustomResourceDefinition serving GitRepository ${apiVersionOf('GitRepository')}`);

  async function fetchSource(ref: FluxObjectRef, spec: GitRepositorySpec, previous: GitRepositoryStatus): Promise<FetchResult> {
    let secret: Record<string, string> | undefined;
    if (spec.secretName) {
      secret = await objects.getSecretData(ref.namespace, spec.secretName);
      if (!secret) {
        return { outcome: 'failed', reason: SourceReason.AuthenticationFailed, message: `failed to get secret '${ref.namespace}/${spec.secretName}': not found`, stalled: false };
      }
    }
    let credentials;
    try {
      credentials = await prepareCredentials(spec.url, secret);
    } catch (error) {
      return gitFailure(error);
    }
    const work = await mkdtemp(join(tmpdir(), 'kimbernetes-source-'));
    try {
      const options = { credentials, timeoutMs: spec.timeoutMs };
      const refs = await listRemoteRefs(spec.url, options);
      const resolution = resolveRef(spec.ref, refs);
      if (resolution.kind === 'notFound') {
        return { outcome: 'failed', reason: SourceReason.GitOperationFailed, message: `failed to checkout and determine revision: ${resolution.message}`, stalled: false };
      }
      const includes = await resolveIncludes(objects, ref.namespace, spec.include);
      if (!includes.ok) {
        return { outcome: 'failed', reason: includes.reason, message: includes.message, stalled: false, condition: SourceCondition.IncludeUnavailable };
      }
      const contentConfigUnchanged =
        previous.observedIgnore === spec.ignore &&
        (previous.observedRecurseSubmodules ?? false) === spec.recurseSubmodules &&
        sameIncludes(previous, spec.include, includes.artifacts);
      const stored = previous.artifact;
      if (
        stored &&
        stored.revision === resolution.revision &&
        contentConfigUnchanged &&
        findCondition(previous.conditions, 'ArtifactInStorage')?.status === 'True' &&
        (await store.has(stored))
      ) {
        return { outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, includedArtifacts: includes.artifacts };
      }
      const checkout = join(work, 'checkout');
      await checkoutCommit(checkout, { url: spec.url, commit: resolution.commit, fetchRef: resolution.fetchRef, recurseSubmodules: spec.recurseSubmodules }, options);
      const message = await commitMessage(checkout, resolution.commit);
      await copyIncludes(checkout, spec.include, includes.artifacts);
      const artifact = await store.archive(checkout, ref, resolution.revision, await ignoreRules(checkout, spec.ignore));
      await store.garbageCollect(ref, artifact);
      return { outcome: 'stored', artifact, commitSubject: commitSubject(message), includedArtifacts: includes.artifacts };
    } catch (error) {
      return gitFailure(error);
    } finally {
      await credentials.dispose();
      await rm(work, { recursive: true, force: true });
    }
  }

  return {
    async reconcileGitRepository({ ref }: GitRepositoryReconcile): Promise<GitRepositoryOutcome> {
      return reportingFailures(() => whileHeartbeating(async (): Promise<GitRepositoryOutcome> => {
        const object = await objects.get(ref);
        if (!object) {
          // Deleted: its artifacts go with it, as Flux's finalizer does.
          await store.removeAll(ref);
          return { exists: false, suspended: false, ready: false, newRevision: false, message: `${describeFluxObject(ref)} not found`, intervalMs: 0 };
        }
        const generation = object.metadata.generation ?? 0;
        const requestedAt = object.metadata.annotations?.[requestedAtAnnotation];
        let previous = (object.status ?? {}) as GitRepositoryStatus;
        previous = await showProgress(objects, ref, previous, generation);
        const reading = readGitRepositorySpec(object.spec, specSchema);
        const intervalMs = reading.ok ? reading.spec.intervalMs : 60_000;
        if (reading.ok && reading.spec.suspend) {
          return { exists: true, suspended: true, ready: false, revision: previous.artifact?.revision, newRevision: false, message: 'suspended', intervalMs };
        }
        const result: FetchResult = reading.ok
          ? await fetchSource(ref, reading.spec, previous)
          : { outcome: 'failed', reason: reading.field === 'url' ? SourceReason.URLInvalid : SourceReason.InvalidSpec, message: reading.message, stalled: true };
        const { status, event } = nextGitRepositoryStatus(previous, result, {
          now: new Date().toISOString(),
          generation,
          requestedAt,
          ignore: reading.ok ? reading.spec.ignore : undefined,
          recurseSubmodules: reading.ok ? reading.spec.recurseSubmodules : undefined,
          include: reading.ok ? reading.spec.include : undefined,
        });
        await objects.patchStatus(ref, { ...status });
        if (event) await objects.recordEvent(object, event, 'source-controller');
        const ready = result.outcome !== 'failed';
        return {
          exists: true,
          suspended: false,
          ready,
          revision: status.artifact?.revision,
          newRevision: result.outcome === 'stored' && artifactChanged(previous.artifact, result.artifact),
          message: ready ? findCondition(status.conditions, 'Ready')!.message : result.message,
          intervalMs,
        };
      }));
    },
  };
}

function artifactChanged(before: Artifact | undefined, after: Artifact): boolean {
  return before?.revision !== after.revision || before.digest !== after.digest || before.url !== after.url;
}

function gitFailure(error: unknown): FetchResult {
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

/** Whether spec.include and the included artifacts are the ones the stored artifact was built with. */
function sameIncludes(previous: GitRepositoryStatus, include: readonly GitRepositoryInclude[], artifacts: readonly Artifact[]): boolean {
  const observed = previous.observedInclude ?? [];
  const included = previous.includedArtifacts ?? [];
  return (
    JSON.stringify(observed) === JSON.stringify(include) &&
    included.length === artifacts.length &&
    included.every((artifact, index) => artifact.digest === artifacts[index]!.digest)
  );
}

/** Flux's rules: .sourceignore files anywhere in the checkout, then spec.ignore. */
async function ignoreRules(root: string, specIgnore: string | undefined) {
  const files = await listFiles(root, ignore().add(['.git/']));
  const sourceIgnores = await Promise.all(
    files
      .filter((path) => path === '.sourceignore' || path.endsWith('/.sourceignore'))
      .map(async (path) => ({ dir: path.split('/').slice(0, -1).join('/'), content: await readFile(join(root, path), 'utf8') })),
  );
  return sourceIgnore(sourceIgnores, specIgnore);
}
