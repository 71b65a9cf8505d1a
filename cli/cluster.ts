// What the CLI asks of the Kubernetes API beyond reading one object: listing Flux
// objects, merge-patching their spec and annotations (as `flux suspend` and `flux
// reconcile` do), their events, the server's version and the CRDs it serves.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  type CoreV1Event,
  type KubeConfig,
} from '@kubernetes/client-node';
import { toKubeError } from '../kube/errors.js';
import { apiVersionOf, fluxKinds, type FluxKindName, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';

import { cliFieldManager } from './kinds.js';

export interface ServedCrd {
  storageVersion?: string;
  servedVersions: string[];
  established: boolean;
}

export interface CliCluster {
  /** objects of `kind` in `namespace`, or in every namespace */
  list(kind: FluxKindName, namespace?: string): Promise<KubernetesObject[]>;
  /** merge-patches a Flux object; undefined when it does not exist */
  patch(ref: FluxObjectRef, body: Record<string, unknown>): Promise<KubernetesObject | undefined>;
  /** events in `namespace`, or in every namespace */
  events(namespace?: string): Promise<CoreV1Event[]>;
  /** `v1.34.4` */
  serverVersion(): Promise<string>;
  /** a CustomResourceDefinition by name; undefined when it is not installed */
  crd(name: string): Promise<ServedCrd | undefined>;
}

export function createCliCluster(config: KubeConfig): CliCluster {
  const custom = config.makeApiClient(CustomObjectsApi);
  const core = config.makeApiClient(CoreV1Api);
  const objectRef = (ref: FluxObjectRef) => ({ apiVersion: apiVersionOf(ref.kind), kind: ref.kind, namespace: ref.namespace, name: ref.name });

  return {
    async list(kind, namespace) {
      const { group, version, plural } = fluxKinds[kind];
      try {
        const list = (namespace
          ? await custom.listNamespacedCustomObject({ group, version, plural, namespace })
          : await custom.listClusterCustomObject({ group, version, plural })) as { items: KubernetesObject[] };
        return list.items;
      } catch (error) {
        throw toKubeError(error, `list ${plural}${namespace ? ` in namespace ${namespace}` : ''}`);
      }
    },
    async patch(ref, body) {
      const { group, version, plural } = fluxKinds[ref.kind];
      try {
        return (await custom.patchNamespacedCustomObject(
          { group, version, plural, namespace: ref.namespace, name: ref.name, body, fieldManager: cliFieldManager },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )) as KubernetesObject;
      } catch (error) {
        const failure = toKubeError(error, 'patch', objectRef(ref));
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
    async events(namespace) {
      try {
        const list = namespace ? await core.listNamespacedEvent({ namespace }) : await core.listEventForAllNamespaces();
        return list.items;
      } catch (error) {
        throw toKubeError(error, `list events${namespace ? ` in namespace ${namespace}` : ''}`);
      }
    },
    async serverVersion() {
      try {
        return (await config.makeApiClient(VersionApi).getCode()).gitVersion;
      } catch (error) {
        throw toKubeError(error, 'read the server version');
      }
    },
    async crd(name) {
      try {
        const crd = await config.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
        return {
          storageVersion: crd.spec.versions.find((v) => v.storage)?.name,
          servedVersions: crd.spec.versions.filter((v) => v.served).map((v) => v.name),
          established: (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
        };
      } catch (error) {
        const failure = toKubeError(error, 'get', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
  };
}
