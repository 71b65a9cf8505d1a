// What applying a build would do to the cluster, found the way the staged apply finds
// drift: a server-side dry-run of each object with the controller's field manager,
// compared with the live object. Prune is previewed from the inventory with the same
// rule the reconcile prunes by.
import { comparable, excluded, prunable, annotations } from '../activities/staged-apply.js';
import { inventoryOf, referenceOfEntry, staleEntries, type Inventory } from '../domain/inventory.js';
import { pruneOrder } from '../domain/apply-order.js';
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import { describeReference, referenceOf, type KubernetesObject } from '../kube/objects.js';
import { createLimiter } from '../activities/concurrency.js';
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
  await Promise.all(
    built.map((object) =>
      limited(async () => {
        const ref = referenceOf(object);
        const id = describeReference(ref);
        const live = await kube.get(ref);
        // Left alone by the apply, as the staged apply leaves them.
        if (live && (object.metadata.annotations?.[annotations.ssa] === 'IfNotPresent' || excluded(live))) return;
        let dryRun: KubernetesObject;
        try {
          dryRun = await kube.apply(object, { fieldManager: options.fieldManager, force: true, dryRun: true });
        } catch (error) {
          if (!(error instanceof KubeError) || error.retryable) throw error;
          if (!live && error.notFound && awaitsBuiltDefinition(object, built)) diff.created.push(id);
          else diff.failed.push(`${id}: ${error.message.replace(/^apply [^:]*: /, '')}`);
          return;
        }
        if (!live) {
          diff.created.push(id);
          return;
        }
        const changes = fieldChanges(comparable(live), comparable(dryRun));
        if (changes.length > 0) diff.changed.push({ object: id, kind: object.kind, changes });
      }),
    ),
  );
  if (options.prune) {
    for (const ref of pruneOrder(staleEntries(options.inventory, inventoryOf([...built])).map(referenceOfEntry))) {
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
