// Flux's staged server-side apply. Per stage (definitions, classes, the rest): every
// object is planned (dry-run applied) first, concurrently, and only if all of the stage
// passes are the objects that drifted applied for real, in Flux's kind order (webhook
// configurations last); definitions and classes are waited for until established before
// the next stage starts. So an invalid object fails the reconcile with nothing of its
// stage written, and an unchanged object costs a read and a dry-run. The inventory is
// made of the server's view of each object (a cluster-scoped object has no namespace,
// whatever the build gave it), as Flux makes it from its change set, without the objects
// a marker skipped.
import type { KubeClient } from '../kube/client.js';
import { describeReference, referenceKey, type KubernetesObject, type ObjectReference } from '../kube/objects.js';
import type { AppliedVersion } from '../kube/object-watches.js';
import { applyStages, ApplyStage, rankRuns, stageOf } from '../domain/apply-order.js';
import { inventoryOf, type Inventory } from '../domain/inventory.js';
import { healthOf, HealthStatus } from '../domain/health.js';
import { createLimiter } from '../common/limiter.js';
import { ApplyAction, applyActionOf } from './actions.js';
import { planObject, type ObjectPlan, type PlanOptions } from './plan.js';

/** Objects the API server refused; nothing of their stage was applied. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

export interface StagedApplyOptions extends Omit<PlanOptions, 'preview'> {
  /** requests in flight at once for one Kustomization */
  concurrency?: number;
  /** how long a stage of CRDs and Namespaces may take to become established */
  establishTimeoutMs?: number;
  /** told how far the apply got, for the activity's heartbeat */
  onProgress?: (progress: ApplyProgress) => void;
}

export interface ApplyProgress {
  stage: number;
  stages: number;
  planned: number;
  applied: number;
  objects: number;
}

export interface StagedApplyResult {
  /** `Kind/ns/name created|configured` for what changed */
  changes: string[];
  /** by referenceKey: each object's uid and generation as the apply left them, for the health wait */
  applied: Map<string, AppliedVersion>;
  /** the objects applied (or unchanged), as the API server named them; skipped ones are not in it */
  inventory: Inventory;
  /** the objects a marker left alone (excluded, IfNotPresent and there): neither inventoried, pruned nor waited for */
  skipped: Inventory;
}

type Planned = Exclude<ObjectPlan, { failure: string }>;

export async function stagedApply(kube: KubeClient, objects: KubernetesObject[], options: StagedApplyOptions): Promise<StagedApplyResult> {
  const { fieldManager } = options;
  const limited = createLimiter(options.concurrency ?? 10);
  const all = <T, R>(items: T[], body: (item: T) => Promise<R>) => Promise.all(items.map((item) => limited(() => body(item))));
  const changes: string[] = [];
  const applied = new Map<string, AppliedVersion>();
  const remember = (ref: ObjectReference, object: KubernetesObject | undefined) => {
    if (object) applied.set(referenceKey(ref), { uid: object.metadata.uid, generation: object.metadata.generation });
  };
  const stages = applyStages(objects);
  const progress: ApplyProgress = { stage: 0, stages: stages.length, planned: 0, applied: 0, objects: objects.length };
  const report = () => options.onProgress?.({ ...progress });

  const named: KubernetesObject[] = [];
  const skipped: KubernetesObject[] = [];

  async function execute(step: Planned): Promise<void> {
    if (step.change === 'skip') return;
    if (step.change === 'none') return remember(step.ref, step.live);
    let before = step.live;
    if (step.change === 'recreate') {
      await kube.delete(step.ref);
      await waitGone(kube, step.ref);
      before = undefined;
    }
    const after = await kube.apply(step.object, { fieldManager, force: true });
    remember(step.ref, after);
    if (step.change === 'recreate') step.dryRun = after;
    progress.applied += 1;
    const action = applyActionOf(before, after);
    if (action !== ApplyAction.Unchanged) changes.push(`${describeReference(step.ref)} ${action}`);
  }

  for (const [index, stage] of stages.entries()) {
    progress.stage = index + 1;
    report();
    const plans = await all(stage, async (object) => {
      const plan = await planObject(kube, object, options);
      progress.planned += 1;
      return plan;
    });
    const failures = plans.flatMap((p) => ('failure' in p ? [p.failure] : []));
    if (failures.length > 0) throw new ApplyError(failures.join('\n'));
    const steps = plans as Planned[];
    // Flux applies a stage one object after another in its kind order; runs of one rank go at once.
    for (const run of rankRuns(steps, (step) => step.object.kind)) await all(run, execute);
    for (const step of steps) {
      if (step.change === 'skip') skipped.push(step.object);
      else named.push(step.dryRun ?? step.object);
    }
    // Definitions and classes must be served before anything that uses them is applied.
    if (stageOf(stage[0]!) !== ApplyStage.Resources) {
      const present = steps.filter((step) => step.change !== 'skip' && (step.change !== 'none' || step.live)).map((step) => step.ref);
      await waitEstablished(kube, present, options.establishTimeoutMs ?? 60_000);
    }
  }
  report();
  return { changes, applied, inventory: inventoryOf(named), skipped: inventoryOf(skipped) };
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
      if (Date.now() > deadline) throw new ApplyError(`${describeReference(ref)} is not established after ${Math.round(timeoutMs / 1000)}s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
