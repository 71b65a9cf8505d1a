// What applying a build would do to the cluster, planned exactly as the staged apply
// plans (apply/plan.ts): a server-side dry-run of each object with the controller's
// field manager, kubectl's fields shown as the takeover would remove them, compared with
// the live object — only nothing is written. Prune is previewed from the inventory with
// the same rule the reconcile prunes by.
import { comparable, planObject } from '../apply/plan.js';
import { prunable } from '../apply/markers.js';
import { inventoryOf, referenceOfEntry, staleEntries, type Inventory } from '../domain/inventory.js';
import { pruneOrder } from '../domain/apply-order.js';
import type { KubeClient } from '../kube/client.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';
import { createLimiter } from '../common/limiter.js';
import { fieldChanges, type FieldChange } from './field-diff.js';

export interface KustomizationDiff {
  /** `Kind/namespace/name` of objects the apply would create */
  created: string[];
  changed: { object: string; kind: string; changes: FieldChange[] }[];
  /** objects prune would delete */
  pruned: string[];
  /** objects the API server refused in the dry-run, with its reason */
  failed: string[];
}

export function hasDifferences(diff: KustomizationDiff): boolean {
  return diff.created.length + diff.changed.length + diff.pruned.length > 0;
}

/** Whether a missing object's dry-run could not work yet because the build itself brings its namespace or kind. */
function awaitsBuiltDefinition(object: KubernetesObject, built: readonly KubernetesObject[]): boolean {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return built.some((other) => {
    if (other.kind === 'Namespace') return other.metadata.name === object.metadata.namespace;
    const definition = other.kind === 'CustomResourceDefinition' ? (other.spec as { group?: string; names?: { kind?: string } } | undefined) : undefined;
    return definition !== undefined && definition.group === group && definition.names?.kind === object.kind;
  });
}

export async function diffKustomization(
  kube: KubeClient,
  built: readonly KubernetesObject[],
  options: { owner: FluxObjectRef; fieldManager: string; prune: boolean; inventory?: Inventory },
): Promise<KustomizationDiff> {
  const diff: KustomizationDiff = { created: [], changed: [], pruned: [], failed: [] };
  const limited = createLimiter(5);
  // As the API server names each object (a cluster-scoped one without namespace), as the inventory will.
  const named = new Map<KubernetesObject, KubernetesObject>();
  await Promise.all(
    built.map((object) =>
      limited(async () => {
        const plan = await planObject(kube, object, { fieldManager: options.fieldManager, force: false, preview: true });
        const id = describeReference(plan.ref);
        if ('failure' in plan) {
          if (plan.error.notFound && awaitsBuiltDefinition(object, built)) diff.created.push(id);
          else diff.failed.push(`${id}: ${plan.error.message.replace(/^apply [^:]*: /, '')}`);
          return;
        }
        const { live, dryRun } = plan;
        if (dryRun) named.set(object, dryRun);
        // Left alone by the apply (IfNotPresent, excluded: not even created), or to be recreated.
        if (plan.change === 'skip' || (live && !dryRun)) return;
        if (!live) {
          diff.created.push(id);
          return;
        }
        const changes = fieldChanges(comparable(live), comparable(dryRun!));
        if (changes.length > 0) diff.changed.push({ object: id, kind: object.kind, changes });
      }),
    ),
  );
  if (options.prune) {
    for (const ref of pruneOrder(staleEntries(options.inventory, inventoryOf(built.map((object) => named.get(object) ?? object))).map(referenceOfEntry))) {
      const live = await kube.get(ref);
      if (live && prunable(live, options.owner)) diff.pruned.push(describeReference(ref));
    }
  }
  // In the build's order, whatever order the dry-runs finished in.
  const order = new Map(built.map((object, index) => [describeReference(referenceOf(object)), index]));
  const byBuildOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  diff.created.sort(byBuildOrder);
  diff.changed.sort((a, b) => byBuildOrder(a.object, b.object));
  diff.failed.sort();
  return diff;
}
