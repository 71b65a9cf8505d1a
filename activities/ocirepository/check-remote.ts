// The first step of an OCIRepository reconcile: read the object and its Secrets, ask the
// registry which manifest the reference names (a semver range chooses among the tags; a
// tag's digest comes from a HEAD), and decide whether anything changed (Flux: the revision,
// the ignore rules or the layer selector). When it did, the workspace opens on this worker
// and the pull and store steps run on its own task queue.
import type { LoopTiming } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { OciArtifactError, ociRevision, parseOciRepositoryUrl, selectSemverTag, type OciRepositoryAddress } from '../../domain/oci-artifact.js';
import { readOCIRepositorySpec } from '../../domain/ocirepository-spec.js';
import { ociContentChanged, OCIRepositoryReason, type OCIRepositoryResult, type OCIRepositoryStatus } from '../../domain/ocirepository-status.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import { ociRegistryClient, OciRegistryError } from '../../oci/registry.js';
import type { SourceCheck } from '../../workflows/source-loop.js';
import { cancellationSignal } from '../heartbeat.js';
import { showProgress } from '../progress.js';
import { invalidSpecTiming, readSourceObject } from '../source-object.js';
import { readOciRepositoryRegistry } from './registry-options.js';
import type { OCIRepositoryContext, OCIRepositoryObserved } from './work.js';

export type ArtifactCheck = SourceCheck<OCIRepositoryResult, OCIRepositoryObserved>;
type Failure = Extract<OCIRepositoryResult, { outcome: 'failed' }>;

export function checkRemoteStep(context: OCIRepositoryContext) {
  const { objects, store, schema, workspaces, workerQueue } = context;

  return async function checkRemote({ ref }: { ref: FluxObjectRef }): Promise<ArtifactCheck> {
    const source = await readSourceObject(objects, store, ref);
    if (!source) return { outcome: 'gone' };
    const { object, generation, requestedAt } = source;
    const decided = (result: OCIRepositoryResult, timing: LoopTiming): ArtifactCheck => ({ outcome: 'decided', result, generation, requestedAt, observed: {}, timing });
    const reading = readOCIRepositorySpec(object.spec, schema);
    if (!reading.ok) {
      const reason = reading.field === 'url' ? OCIRepositoryReason.URLInvalid : OCIRepositoryReason.InvalidSpec;
      return decided({ outcome: 'failed', reason, message: reading.message, stalled: true }, invalidSpecTiming);
    }
    const spec = reading.spec;
    const timing = { intervalMs: spec.intervalMs, retryIntervalMs: spec.intervalMs };
    const previous = await showProgress(objects, ref, (object.status ?? {}) as OCIRepositoryStatus, generation);
    if (spec.suspend) return { outcome: 'suspended', timing, revision: previous.artifact?.revision };
    const failed = (reason: string, message: string, stalled = false): ArtifactCheck => decided({ outcome: 'failed', reason, message, stalled } satisfies Failure, timing);

    let address: OciRepositoryAddress;
    try {
      address = parseOciRepositoryUrl(spec.url);
    } catch (error) {
      if (!(error instanceof OciArtifactError)) throw error;
      return failed(OCIRepositoryReason.URLInvalid, `URL validation failed for '${spec.url}': ${error.message}`, true);
    }
    const registryOptions = await readOciRepositoryRegistry(objects, ref.namespace, spec, address.host);
    if (!registryOptions.ok) return failed(OCIRepositoryReason.AuthenticationFailed, registryOptions.message);
    const registry = ociRegistryClient(address.host, { ...registryOptions.options, signal: cancellationSignal() });

    let tag: string | undefined;
    const { reference } = spec;
    if ('semver' in reference) {
      try {
        tag = selectSemverTag(await registry.tags(address.repository), reference.semver, reference.semverFilter);
      } catch (error) {
        if (!(error instanceof OciArtifactError || error instanceof OciRegistryError)) throw error;
        return failed(OCIRepositoryReason.ReadOperationFailed, `failed to determine the artifact tag for '${spec.url}': ${error.message}`);
      }
    } else if ('tag' in reference) {
      tag = reference.tag;
    }
    let digest: string;
    try {
      if (tag === undefined) {
        digest = (reference as { digest: string }).digest;
        if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return failed(OCIRepositoryReason.OCIArtifactPullFailed, `failed to determine artifact digest: cannot parse hash: "${digest}"`);
      } else {
        digest = await registry.digestOf(address.repository, tag);
      }
    } catch (error) {
      if (!(error instanceof OciRegistryError)) throw error;
      return failed(OCIRepositoryReason.OCIArtifactPullFailed, `failed to determine artifact digest: ${error.message}`);
    }
    const revision = ociRevision(tag, digest);

    const stored = previous.artifact;
    if (stored?.revision === revision && !ociContentChanged(previous, spec) && findCondition(previous.conditions, 'ArtifactInStorage')?.status === 'True' && (await store.has(stored))) {
      return decided({ outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, fetchedFrom: spec.url }, timing);
    }
    const workspace = await workspaces.open({ ref, spec, address, registry: registryOptions.options, revision, digest });
    return { outcome: 'changed', local: { workerQueue, workspace: workspace.id }, revision, generation, requestedAt, observed: {}, timing };
  };
}
