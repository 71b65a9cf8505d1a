// Telling a source's consumers of its new revision at once: every object that
// references the source gets a reconcile signal (its loop is started if missing).
import type { Client } from '@temporalio/client';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { fluxKinds, type FluxKindName, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import { toKubeError } from '../kube/errors.js';
import { referencesSource } from '../domain/dependents.js';
import { isReconciled, reconcileObject } from '../workers/object-workflows.js';
import { reportingFailures } from './failures.js';

const consumerKinds: FluxKindName[] = ['Kustomization', 'HelmChart', 'HelmRelease', 'GitRepository'];

export interface DependentsNotice {
  source: FluxObjectRef;
  revision: string;
}

export function createDependentsActivities(deps: { kubeConfig: KubeConfig; client: Client; taskQueuePrefix?: string }) {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);

  async function list(kind: FluxKindName): Promise<KubernetesObject[]> {
    const { group, version, plural } = fluxKinds[kind];
    try {
      return ((await custom.listClusterCustomObject({ group, version, plural })) as { items: KubernetesObject[] }).items;
    } catch (error) {
      const failure = toKubeError(error, `list ${plural}`);
      if (failure.notFound) return []; // that kind's CRD is not installed
      throw failure;
    }
  }

  return {
    /** Signals every consumer of `source`; returns the ones signalled, as `Kind/namespace/name`. */
    async notifyDependents({ source }: DependentsNotice): Promise<string[]> {
      return reportingFailures(async () => {
        const notified: string[] = [];
        for (const kind of consumerKinds.filter(isReconciled)) {
          for (const object of await list(kind)) {
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
