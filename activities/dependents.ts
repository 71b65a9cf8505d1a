// Telling a source's consumers of its new revision at once: every object that
// references the source gets a reconcile signal (its loop is started if missing).
import type { Client } from '@temporalio/client';
import { createLimiter } from '../common/limiter.js';
import type { FluxKindName, FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';
import { referencesSource } from '../domain/dependents.js';
import { isReconciled } from '../common/loop-kinds.js';
import { reconcileObject } from '../temporal/object-loops.js';
import { reportingFailures } from './failures.js';
import { currentActivity } from './heartbeat.js';

const consumerKinds: FluxKindName[] = ['Kustomization', 'HelmChart', 'HelmRelease', 'GitRepository'];

export interface DependentsNotice {
  source: FluxObjectRef;
  revision: string;
}

/** Sources' notices carry their revision (it cuts a dependent's wait for an older one short); a Kustomization's does not. */
const sourceKinds = new Set<string>(['GitRepository', 'HelmRepository', 'HelmChart', 'OCIRepository', 'Bucket']);

/**
 * How long one list of a kind serves every notice: when a fleet turns Ready together,
 * hundreds of notices share a handful of lists instead of each reading every object. A
 * consumer created meanwhile misses nothing: its own first reconcile sees the source.
 */
const listReuseMs = 5_000;

export function createDependentsActivities(deps: { objects: FluxObjects; client: Client; namespace?: string; taskQueuePrefix?: string }) {
  const lists = new Map<string, { at: number; items: Promise<KubernetesObject[]> }>();
  const listOf = (kind: FluxKindName): Promise<KubernetesObject[]> => {
    const cached = lists.get(kind);
    if (cached && Date.now() - cached.at < listReuseMs) return cached.items;
    const items = deps.objects.list(kind, deps.namespace).then((list) => list.items);
    lists.set(kind, { at: Date.now(), items });
    items.catch(() => lists.get(kind)?.items === items && lists.delete(kind));
    return items;
  };
  return {
    /**
     * Signals every consumer of `source` (in the watched namespace, if one is set), ten at
     * a time; returns the ones signalled, as `Kind/namespace/name`. Heartbeats name those
     * done, so a retried attempt does not signal them again.
     */
    async notifyDependents({ source, revision }: DependentsNotice): Promise<string[]> {
      return reportingFailures(async () => {
        const context = currentActivity();
        const done = new Set<string>((context?.info.heartbeatDetails as string[] | undefined) ?? []);
        const consumers: FluxObjectRef[] = [];
        for (const kind of consumerKinds.filter(isReconciled)) {
          for (const object of await listOf(kind)) {
            if (referencesSource(object, source)) consumers.push({ kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name });
          }
        }
        const request = sourceKinds.has(source.kind) ? { revision } : {};
        const limited = createLimiter(10);
        const id = (ref: FluxObjectRef) => `${ref.kind}/${ref.namespace}/${ref.name}`;
        await Promise.all(
          consumers
            .filter((ref) => !done.has(id(ref)))
            .map((ref) =>
              limited(async () => {
                await reconcileObject(deps.client, ref, { ...request, taskQueuePrefix: deps.taskQueuePrefix });
                done.add(id(ref));
                context?.heartbeat([...done]);
              }),
            ),
        );
        return consumers.map(id);
      });
    },
  };
}
