// The first step of a HelmRepository reconcile: read the object and its Secrets,
// download `<url>/index.yaml` and decide whether anything changed (Flux compares the
// digest of the bytes served with the stored revision). When it did, the index stays in
// the reconcile's workspace on this worker and the store step runs on its own queue.
import type { LoopTiming } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { readHelmRepositorySpec } from '../../domain/helmrepository-spec.js';
import { HelmRepositoryReason, type HelmRepositoryStatus, type IndexResult } from '../../domain/helmrepository-status.js';
import { downloadIndex, indexRevision, indexUrl, IndexError } from '../../helm/repository-index.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import type { SourceCheck } from '../../workflows/source-loop.js';
import { readHelmRepositoryClient } from '../helm-repository-client.js';
import { cancellationSignal } from '../heartbeat.js';
import { showProgress } from '../progress.js';
import { invalidSpecTiming, readSourceObject } from '../source-object.js';
import type { HelmRepositoryContext, HelmRepositoryObserved } from './work.js';

export type IndexCheck = SourceCheck<IndexResult, HelmRepositoryObserved>;
type Failure = Extract<IndexResult, { outcome: 'failed' }>;

export function fetchIndexStep(context: HelmRepositoryContext) {
  const { objects, store, schema, workspaces, workerQueue } = context;

  return async function fetchIndex({ ref }: { ref: FluxObjectRef }): Promise<IndexCheck> {
    const source = await readSourceObject(objects, store, ref);
    if (!source) return { outcome: 'gone' };
    const { object, generation, requestedAt } = source;
    const reading = readHelmRepositorySpec(object.spec, schema);
    const decided = (result: IndexResult, timing: LoopTiming): IndexCheck => ({ outcome: 'decided', result, generation, requestedAt, observed: {}, timing });
    if (!reading.ok) {
      const reason = reading.field === 'url' ? HelmRepositoryReason.URLInvalid : HelmRepositoryReason.InvalidSpec;
      return decided({ outcome: 'failed', reason, message: reading.message, stalled: true }, invalidSpecTiming);
    }
    const spec = reading.spec;
    const timing = { intervalMs: spec.intervalMs, retryIntervalMs: spec.intervalMs };
    if (spec.type === 'oci') {
      // Flux keeps no artifact and no status for an OCI HelmRepository: HelmCharts pull from it.
      await store.removeAll(ref);
      if (object.status && Object.keys(object.status).length > 0) await objects.patchStatus(ref, { conditions: null, artifact: null, url: null, observedGeneration: null });
      return { outcome: 'suspended', timing };
    }
    const previous = await showProgress(objects, ref, (object.status ?? {}) as HelmRepositoryStatus, generation);
    if (spec.suspend) return { outcome: 'suspended', timing, revision: previous.artifact?.revision };
    const failed = (reason: string, message: string, stalled = false): IndexCheck => decided({ outcome: 'failed', reason, message, stalled } satisfies Failure, timing);

    if (spec.url.startsWith('oci')) {
      return failed(HelmRepositoryReason.URLInvalid, "invalid Helm repository URL: 'oci' URL scheme cannot be used with 'default' HelmRepository type", true);
    }
    try {
      indexUrl(spec.url);
    } catch (error) {
      return failed(HelmRepositoryReason.URLInvalid, `invalid Helm repository URL: ${(error as Error).message}`, true);
    }
    const client = await readHelmRepositoryClient(objects, ref.namespace, spec);
    if (!client.ok) return failed(HelmRepositoryReason.AuthenticationFailed, client.message);

    let index: Buffer;
    try {
      index = await downloadIndex(spec.url, { ...client.options, timeoutMs: spec.timeoutMs, passCredentials: spec.passCredentials, signal: cancellationSignal() });
    } catch (error) {
      if (error instanceof IndexError) return failed(HelmRepositoryReason.Failed, error.message);
      throw error;
    }
    const revision = indexRevision(index);
    const stored = previous.artifact;
    if (stored?.revision === revision && findCondition(previous.conditions, 'ArtifactInStorage')?.status === 'True' && (await store.has(stored))) {
      return decided({ outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, url: previous.url, fetchedFrom: spec.url }, timing);
    }
    const workspace = await workspaces.open({ ref, spec, index, revision });
    return { outcome: 'changed', local: { workerQueue, workspace: workspace.id }, revision, generation, requestedAt, observed: {}, timing };
  };
}
