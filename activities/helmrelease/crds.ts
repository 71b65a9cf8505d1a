// The CRD policy of a HelmRelease install or upgrade, as Flux's helm-controller carries it
// out (internal/action/crds.go) before it runs Helm, which itself always skips crds/:
// Skip writes nothing; Create creates the chart's CRDs that are missing and leaves the
// others as they are; CreateReplace creates the missing ones and replaces the others
// whole (a PUT over the live resourceVersion, not a patch). A CRD the chart no longer
// carries is never deleted. Every CRD written carries the HelmRelease's origin labels and
// must be Established before Helm goes on. Any failure fails the action in Flux's words.
import { setTimeout as delay } from 'node:timers/promises';
import type { CrdPolicy } from '../../domain/helmrelease-spec.js';
import { readChartCrds } from '../../helm/chart-crds.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from '../../kube/objects.js';
import { cancellationSignal } from '../heartbeat.js';
import { releaseTarget, type HelmReleaseContext, type HelmReleaseWork } from './work.js';

/** How long Flux waits for the CRDs it wrote to be Established. */
export const crdEstablishTimeoutMs = 60_000;
/** How often Helm's waiter looks again. */
const pollMs = 2_000;
/** Helm's waiter gives up on an object after this many transient errors in a row. */
const retriesInARow = 30;
/** Helm's field manager in helm-controller (kube.ManagedFieldsManager). */
const fieldManager = 'helm-controller';

export interface CrdsApplied {
  /** names of the CRDs created */
  created: string[];
  /** names of the CRDs replaced */
  replaced: string[];
}

export interface ApplyCrdsOptions {
  /** the HelmRelease, which the origin labels on every CRD written name */
  origin: { namespace: string; name: string };
  /** how long to wait for the CRDs written to be Established */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The chart's CRDs could not be applied: the install or upgrade fails with this, before Helm runs. */
export class CrdsError extends Error {
  override readonly name = 'CrdsError';
}

/**
 * The CRDs of the release's chart package, by the policy of `action`, on the release's
 * cluster as the release's identity (spec.kubeConfig, spec.serviceAccountName).
 */
export async function applyReleaseCrds(context: HelmReleaseContext, work: HelmReleaseWork, action: 'install' | 'upgrade'): Promise<CrdsApplied> {
  const { spec, ref } = work;
  const policy = spec[action].crds;
  if (policy === 'Skip') return { created: [], replaced: [] };
  let crds: KubernetesObject[];
  try {
    crds = await readChartCrds(work.chartPath!);
  } catch (error) {
    throw crdsError(error);
  }
  if (crds.length === 0) return { created: [], replaced: [] };
  const client = await context.clusters.clientFor(releaseTarget(ref.namespace, spec));
  return applyChartCrds(client, crds, policy, { origin: ref, timeoutMs: crdEstablishTimeoutMs, signal: cancellationSignal() });
}

/** Applies `crds` (a chart's crds/ documents, in order) by `policy`; throws CrdsError. */
export async function applyChartCrds(client: KubeClient, crds: readonly KubernetesObject[], policy: CrdPolicy, options: ApplyCrdsOptions): Promise<CrdsApplied> {
  const applied: CrdsApplied = { created: [], replaced: [] };
  if (crds.length === 0 || policy === 'Skip') return applied;
  const writer = writerOf(client);
  const objects = crds.map((crd) => withOriginLabels(crd, options.origin));
  try {
    const written = policy === 'Create' ? await createMissing(writer, objects, applied) : await createOrReplace(writer, objects, applied);
    await waitEstablished(client, written.filter(isCrd), options);
  } catch (error) {
    options.signal?.throwIfAborted();
    throw crdsError(error);
  }
  return applied;
}

type Writer = Pick<KubeClient, 'get'> & Required<Pick<KubeClient, 'create' | 'replace'>>;

function writerOf(client: KubeClient): Writer {
  if (!client.create || !client.replace) throw new Error('this Kubernetes client cannot create or replace objects, which applying CRDs needs');
  return client as Writer;
}

/** Create: one after another; one that exists is left as it is (and not waited for). */
async function createMissing(client: Writer, objects: KubernetesObject[], applied: CrdsApplied): Promise<ObjectReference[]> {
  const written: ObjectReference[] = [];
  for (const object of objects) {
    const ref = referenceOf(object);
    try {
      await client.create(object, { fieldManager });
    } catch (error) {
      if (error instanceof KubeError && error.reason === 'AlreadyExists') continue;
      throw new Error(`failed to create CustomResourceDefinition ${ref.name}: ${causeOf(error, 'create', ref)}`, { cause: error });
    }
    applied.created.push(ref.name);
    written.push(ref);
  }
  return written;
}

/**
 * CreateReplace, as Helm's Update with force: every CRD is read first; then the missing
 * ones are created (the first failure stops) and the others replaced (failures are
 * gathered, and reported together).
 */
async function createOrReplace(client: Writer, objects: KubernetesObject[], applied: CrdsApplied): Promise<ObjectReference[]> {
  const live: (KubernetesObject | undefined)[] = [];
  for (const object of objects) {
    const ref = referenceOf(object);
    try {
      live.push(await client.get(ref));
    } catch (error) {
      throw new Error(`failed to get CustomResourceDefinition ${ref.name}: ${causeOf(error, 'get', ref)}`, { cause: error });
    }
  }
  const written: ObjectReference[] = [];
  const failures: string[] = [];
  for (const [index, object] of objects.entries()) {
    const ref = referenceOf(object);
    const current = live[index];
    if (!current) {
      try {
        await client.create(object, { fieldManager });
      } catch (error) {
        throw new Error(`failed to update CustomResourceDefinition(s): failed to create resource: ${causeOf(error, 'create', ref)}`, { cause: error });
      }
      applied.created.push(ref.name);
    } else {
      try {
        await client.replace({ ...object, metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion } }, { fieldManager });
      } catch (error) {
        failures.push(`failed to replace object: ${causeOf(error, 'replace', ref)}`);
        continue;
      }
      applied.replaced.push(ref.name);
    }
    written.push(ref);
  }
  if (failures.length > 0) throw new Error(`failed to update CustomResourceDefinition(s): ${failures.join(' && ')}`);
  return written;
}

/**
 * Helm's waiter for CRDs: every 2s until each is Established (or its names were refused,
 * which Helm lets pass), transient API errors tolerated, within `timeoutMs`.
 */
async function waitEstablished(client: KubeClient, refs: ObjectReference[], { timeoutMs, signal }: ApplyCrdsOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const errors = new Map<ObjectReference, number>();
  let pending = refs;
  for (;;) {
    const next: ObjectReference[] = [];
    for (const ref of pending) {
      let crd: KubernetesObject | undefined;
      try {
        crd = await client.get(ref);
      } catch (error) {
        const count = (errors.get(ref) ?? 0) + 1;
        errors.set(ref, count);
        if (!isTransient(error) || count > retriesInARow) throw new Error(`failed to wait for CustomResourceDefinition(s): ${causeOf(error, 'get', ref)}`, { cause: error });
        next.push(ref);
        continue;
      }
      errors.delete(ref);
      if (!crd) throw new Error(`failed to wait for CustomResourceDefinition(s): customresourcedefinitions.apiextensions.k8s.io "${ref.name}" not found`);
      if (!isEstablished(crd)) next.push(ref);
    }
    if (next.length === 0) return;
    pending = next;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('failed to wait for CustomResourceDefinition(s): context deadline exceeded');
    await delay(Math.min(pollMs, left), undefined, { signal });
  }
}

function isEstablished(crd: KubernetesObject): boolean {
  const conditions = (crd.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
  return conditions.some(({ type, status }) => (type === 'Established' && status === 'True') || (type === 'NamesAccepted' && status === 'False'));
}

/** Helm's waiter retries what the server may answer differently soon: no answer, throttling, 5xx but 501. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof KubeError)) return true;
  return error.status === 0 || error.status === 429 || (error.status >= 500 && error.status !== 501);
}

/** Only CustomResourceDefinitions have something to wait for; other kinds in crds/ are ready once written. */
function isCrd(ref: ObjectReference): boolean {
  return ref.kind === 'CustomResourceDefinition' && ref.apiVersion.startsWith('apiextensions.k8s.io/');
}

function withOriginLabels(object: KubernetesObject, origin: { namespace: string; name: string }): KubernetesObject {
  const labels = { ...object.metadata.labels, 'helm.toolkit.fluxcd.io/name': origin.name, 'helm.toolkit.fluxcd.io/namespace': origin.namespace };
  return { ...object, metadata: { ...object.metadata, labels } };
}

/** The API server's reason alone: Flux's messages name the CRD themselves. */
function causeOf(error: unknown, action: string, ref: ObjectReference): string {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = `${action} ${describeReference(ref)}: `;
  return error instanceof KubeError && message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function crdsError(error: unknown): CrdsError {
  return new CrdsError(`failed to apply CustomResourceDefinitions: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
