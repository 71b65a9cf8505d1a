// Telling a source's consumers of its new revision at once: every object that
// references the source gets a reconcile signal (its loop is started if missing).
import type { Client } from '@temporalio/client';
import type { FluxKindName, FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import { referencesSource } from '../domain/dependents.js';
import { isReconciled, reconcileObject } from '../temporal/object-loops.js';
import { reportingFailures } from './failures.js';

const consumerKinds: FluxKindName[] = ['Kustomization', 'HelmChart', 'HelmRelease', 'GitRepository'];

export interface DependentsNotice {
  source: FluxObjectRef;
  revision: string;
}

export function createDependentsActivities(deps: { objects: FluxObjects; client: Client; namespace?: string; taskQueuePrefix?: string }) {
  return {
    /** Signals every consumer of `source` (in the watched namespace, if one is set); returns the ones signalled, as `Kind/namespace/name`. */
    async notifyDependents({ source }: DependentsNotice): Promise<string[]> {
      return reportingFailures(async () => {
        const notified: string[] = [];
        for (const kind of consumerKinds.filter(isReconciled)) {
          for (const object of (await deps.objects.list(kind, deps.namespace)).items) {
            if (!referencesSource(object, source)) continue;
            const ref = { kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name };
            await reconcileObject(deps.client, ref, { taskQueuePrefix: deps.taskQueuePrefix });
            notified.push(`${kind}/${ref.namespace}/${ref.name}`);
          }
        }
        return notified;
      });
    },
  };
}
