// Flux's staged server-side apply. Per stage (definitions, classes, the rest): every
// object is dry-run applied first, concurrently, and only if all of the stage passes are
// the objects that drifted applied for real; a stage of definitions is waited for until
// established before the next one starts. So an invalid object fails the reconcile with
// nothing of its stage written, and an unchanged object costs a read and a dry-run.
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import { ownershipTakeover } from '../kube/managed-fields.js';
import { applyStages, ApplyStage, stageOf } from '../domain/apply-order.js';
import { healthOf, HealthStatus } from '../domain/health.js';
import { ApplyAction, applyActionOf } from './apply.js';
import { createLimiter } from './concurrency.js';
import { ownerLabels } from '../kustomize/render.js';

export const annotations = {
  ssa: 'kustomize.toolkit.fluxcd.io/ssa',
  reconcile: 'kustomize.toolkit.fluxcd.io/reconcile',
  force: 'kustomize.toolkit.fluxcd.io/force',
} as const;

/** Objects the API server refused; nothing of their stage was applied. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
}

export interface StagedApplyOptions {
  fieldManager: string;
  /** spec.force: recreate objects whose immutable fields changed */
  force: boolean;
  /** requests in flight at once for one Kustomization */
  concurrency?: number;
  /** how long a stage of CRDs and Namespaces may take to become established */
  establishTimeoutMs?: number;
}

type Plan =
  | { object: KubernetesObject; ref: ObjectReference; live?: KubernetesObject; change: 'none' | 'apply' | 'recreate' }
  | { failure: string };

// The API server's ways of saying a field cannot be changed in place.
const immutableField = /immutable|may not be changed|cannot be changed|updates to .* spec for fields other than .* are forbidden/i;

/** Applies `objects` stage by stage; returns `Kind/ns/name created|configured` for what changed. */
export async function stagedApply(kube: KubeClient, objects: KubernetesObject[], options: StagedApplyOptions): Promise<string[]> {
  const { fieldManager } = options;
  const limited = createLimiter(options.concurrency ?? 10);
  const all = <T, R>(items: T[], body: (item: T) => Promise<R>) => Promise.all(items.map((item) => limited(() => body(item))));
  const changes: string[] = [];

  async function plan(object: KubernetesObject): Promise<Plan> {
    const ref = referenceOf(object);
    const policy = object.metadata.annotations?.[annotations.ssa];
    const live = await kube.get(ref);
    // As in Flux: what is missing is always created; an existing object is left alone when
    // Git says IfNotPresent, or when the object in the cluster is excluded.
    if (live && (policy === 'IfNotPresent' || excluded(live))) return { object, ref, live, change: 'none' };
    if (live && policy !== 'Merge') {
      const managedFields = ownershipTakeover(live, fieldManager);
      if (managedFields) await kube.setManagedFields(ref, managedFields, live.metadata.resourceVersion, fieldManager);
    }
    try {
      const dryRun = await kube.apply(object, { fieldManager, force: true, dryRun: true });
      return { object, ref, live, change: !live || drifted(live, dryRun) ? 'apply' : 'none' };
    } catch (error) {
      if (!(error instanceof KubeError) || error.retryable) throw error;
      const recreate = options.force || object.metadata.annotations?.[annotations.force] === 'Enabled';
      if (live && recreate && error.status === 422 && immutableField.test(error.message)) return { object, ref, live, change: 'recreate' };
      return { failure: `${describeReference(ref)} dry-run failed: ${error.message.replace(/^apply [^:]*: /, '')}` };
    }
  }

  async function execute(step: Extract<Plan, { change: string }>): Promise<void> {
    if (step.change === 'none') return;
    let before = step.live;
    if (step.change === 'recreate') {
      await kube.delete(step.ref);
      await waitGone(kube, step.ref);
      before = undefined;
    }
    const after = await kube.apply(step.object, { fieldManager, force: true });
    const action = applyActionOf(before, after);
    if (action !== ApplyAction.Unchanged) changes.push(`${describeReference(step.ref)} ${action}`);
  }

  for (const stage of applyStages(objects)) {
    const plans = await all(stage, plan);
    const failures = plans.flatMap((p) => ('failure' in p ? [p.failure] : []));
    if (failures.length > 0) throw new ApplyError(failures.join('\n'));
    const steps = plans as Extract<Plan, { change: string }>[];
    await all(steps, execute);
    // Definitions must be served before anything that uses them is applied.
    if (stageOf(stage[0]!) === ApplyStage.Definitions) {
      const present = steps.filter((step) => step.change !== 'none' || step.live).map((step) => step.ref);
      await waitEstablished(kube, present, options.establishTimeoutMs ?? 60_000);
    }
  }
  return changes;
}

/** An object in the cluster marked to be left alone: not applied, not pruned. */
export function excluded(live: KubernetesObject): boolean {
  const marks = live.metadata.annotations ?? {};
  return marks[annotations.reconcile] === 'disabled' || marks[annotations.ssa] === 'Ignore';
}

/** Whether prune may delete this live object: still labelled as `owner`'s, and not kept by an annotation. */
export function prunable(live: KubernetesObject, owner: { name: string; namespace: string }): boolean {
  const labels = live.metadata.labels ?? {};
  if (labels[ownerLabels.name] !== owner.name || labels[ownerLabels.namespace] !== owner.namespace) return false;
  return live.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] !== 'disabled' && !excluded(live);
}

/** Whether applying would change the live object (bookkeeping fields aside). */
export function drifted(live: KubernetesObject, dryRun: KubernetesObject): boolean {
  return JSON.stringify(comparable(live)) !== JSON.stringify(comparable(dryRun));
}

// Fields the server changes on every write, and status, which is not ours to apply.
const bookkeeping = new Set(['managedFields', 'resourceVersion', 'generation']);

export function comparable(object: KubernetesObject): unknown {
  const metadata = Object.fromEntries(Object.entries(object.metadata).filter(([key]) => !bookkeeping.has(key)));
  return { ...object, status: undefined, metadata };
}

async function waitGone(kube: KubeClient, ref: ObjectReference): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (await kube.get(ref)) {
    if (Date.now() > deadline) throw new ApplyError(`${describeReference(ref)} is still terminating after 60s; cannot recreate it`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitEstablished(kube: KubeClient, refs: ObjectReference[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const ref of refs) {
    while (healthOf(await kube.get(ref)).status !== HealthStatus.Current) {
      if (Date.now() > deadline) throw new Error(`${describeReference(ref)} is not established after ${Math.round(timeoutMs / 1000)}s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
