// The poller wait strategy (helm-controller v1.5's `waitStrategy: poller`): Helm makes the
// release without its own wait, then every object of the release's manifest is judged
// by kstatus rules and spec.healthCheckExprs until the action's timeout, as the kstatus
// waiter Flux hands Helm judges them. Unlike Helm v3's wait, it reads custom resources
// too (a Certificate, a SealedSecret) and a Deployment only counts once every replica
// is updated and available. Hooks are not in the manifest, and not judged (nor by Helm).
import { createLimiter } from '../../common/limiter.js';
import { referenceKey, referenceOf, type KubernetesObject, type ObjectReference } from '../../kube/objects.js';
import type { AppliedVersion } from '../../kube/object-watches.js';
import type { StoredRelease } from '../../domain/helmrelease-digest.js';
import { releaseObjects } from '../../domain/helmrelease-drift.js';
import { HealthCheckError, waitUntilHealthy } from '../health.js';
import { cancellationSignal } from '../heartbeat.js';
import { releaseTarget, type HelmReleaseContext, type HelmReleaseWork } from './work.js';

const pollIntervalMs = 1000;
/** Requests in flight at once while the release's objects are first read, as drift detection reads them. */
const concurrency = 5;

/** Undefined once every object of `release` is healthy; else why not, in the wait's words. */
export async function releaseHealthFailure(context: HelmReleaseContext, work: HelmReleaseWork, release: StoredRelease, settings: { timeoutMs: number; disableWaitForJobs: boolean }): Promise<string | undefined> {
  const deadline = Date.now() + settings.timeoutMs;
  const { spec, ref } = work;
  const target = releaseTarget(ref.namespace, spec);
  const objects = releaseObjects(release).filter((object) => !(settings.disableWaitForJobs && object.kind === 'Job' && object.apiVersion === 'batch/v1'));
  const { refs, applied } = await resolveScopes(await context.clusters.clientFor(target), objects, release.namespace);
  try {
    await waitUntilHealthy(await context.clusters.liveObjectsFor(target), { objects: refs, applied, deadline, expressions: spec.healthCheckExprs }, pollIntervalMs);
    return undefined;
  } catch (error) {
    if (error instanceof HealthCheckError) return error.message;
    throw error;
  }
}

/**
 * Each object's reference as the API server has it: a namespaced one without a namespace
 * is in the release's (as Helm puts it), a cluster-scoped one comes back without one.
 * What the server returned is the version the watched copy must have caught up with.
 */
async function resolveScopes(
  client: { get(ref: ObjectReference): Promise<KubernetesObject | undefined> },
  objects: KubernetesObject[],
  releaseNamespace: string,
): Promise<{ refs: ObjectReference[]; applied: Map<string, AppliedVersion> }> {
  const limited = createLimiter(concurrency);
  const found = await Promise.all(
    objects.map((object) =>
      limited(async () => {
        cancellationSignal()?.throwIfAborted();
        const defaulted = referenceOf(object.metadata.namespace ? object : { ...object, metadata: { ...object.metadata, namespace: releaseNamespace } });
        const live = await client.get(defaulted);
        return { ref: live ? referenceOf(live) : defaulted, live };
      }),
    ),
  );
  const applied = new Map<string, AppliedVersion>();
  for (const { ref, live } of found) if (live) applied.set(referenceKey(ref), { uid: live.metadata.uid, generation: live.metadata.generation });
  return { refs: found.map((entry) => entry.ref), applied };
}
