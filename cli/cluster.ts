// What the CLI asks of the Kubernetes API: reading and listing Flux objects,
// merge-patching their spec and annotations (as `flux suspend` and `flux reconcile` do),
// their events, the server's version, the CRDs it serves and a Helm release's manifest. The requests go out over
// kube/rest.ts, so `get`, `reconcile` and friends start without loading the Kubernetes
// client library.
import type { CoreV1Event } from '@kubernetes/client-node';
import { KubeError } from '../kube/errors.js';
import { apiVersionOf, fluxKinds, type FluxKindName, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import { restJson, type KubeEndpoint } from '../kube/rest.js';
import { decodeRelease, releaseSecretName } from '../helm/release-storage.js';
import { cliFieldManager } from './kinds.js';

export interface ServedCrd {
  storageVersion?: string;
  servedVersions: string[];
  established: boolean;
}

export interface CliCluster {
  /** objects of `kind` in `namespace`, or in every namespace */
  list(kind: FluxKindName, namespace?: string): Promise<KubernetesObject[]>;
  /** a Flux object; undefined when it does not exist */
  get(ref: FluxObjectRef): Promise<KubernetesObject | undefined>;
  /** merge-patches a Flux object; undefined when it does not exist */
  patch(ref: FluxObjectRef, body: Record<string, unknown>): Promise<KubernetesObject | undefined>;
  /** events in `namespace`, or in every namespace */
  events(namespace?: string): Promise<CoreV1Event[]>;
  /** `v1.34.4` */
  serverVersion(): Promise<string>;
  /** a CustomResourceDefinition by name; undefined when it is not installed */
  crd(name: string): Promise<ServedCrd | undefined>;
  /** the manifest of a Helm release as Helm's storage Secret holds it; undefined when it is not there */
  releaseManifest(namespace: string, name: string, version: number): Promise<string | undefined>;
}

interface Crd {
  spec: { versions: { name: string; served: boolean; storage: boolean }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** undefined when the API server answered 404 */
async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof KubeError && error.notFound) return undefined;
    throw error;
  }
}

export function createCliCluster(endpoint: () => Promise<KubeEndpoint>): CliCluster {
  const objectRef = (ref: FluxObjectRef) => ({ apiVersion: apiVersionOf(ref.kind), kind: ref.kind, namespace: ref.namespace, name: ref.name });
  const collection = (kind: FluxKindName, namespace?: string) => {
    const { group, version, plural } = fluxKinds[kind];
    return `/apis/${group}/${version}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`;
  };
  const objectPath = (ref: FluxObjectRef) => `${collection(ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;

  return {
    async list(kind, namespace) {
      const action = `list ${fluxKinds[kind].plural}${namespace ? ` in namespace ${namespace}` : ''}`;
      return (await restJson<{ items: KubernetesObject[] }>(await endpoint(), { path: collection(kind, namespace) }, action)).items;
    },
    async get(ref) {
      return unlessNotFound(restJson<KubernetesObject>(await endpoint(), { path: objectPath(ref) }, 'get', objectRef(ref)));
    },
    async patch(ref, body) {
      const request = { method: 'PATCH', path: objectPath(ref), query: { fieldManager: cliFieldManager }, body, contentType: 'application/merge-patch+json' } as const;
      return unlessNotFound(restJson<KubernetesObject>(await endpoint(), request, 'patch', objectRef(ref)));
    },
    async events(namespace) {
      const path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events';
      return (await restJson<{ items: CoreV1Event[] }>(await endpoint(), { path }, `list events${namespace ? ` in namespace ${namespace}` : ''}`)).items;
    },
    async serverVersion() {
      return (await restJson<{ gitVersion: string }>(await endpoint(), { path: '/version' }, 'read the server version')).gitVersion;
    },
    async releaseManifest(namespace, name, version) {
      const secret = { apiVersion: 'v1', kind: 'Secret', namespace, name: releaseSecretName(name, version) };
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secret.name)}`;
      const read = await unlessNotFound(restJson<{ data?: { release?: string } }>(await endpoint(), { path }, 'get', secret));
      const value = read?.data?.release;
      return value === undefined ? undefined : decodeRelease(Buffer.from(value, 'base64').toString('utf8')).manifest;
    },
    async crd(name) {
      const object = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name };
      const crd = await unlessNotFound(restJson<Crd>(await endpoint(), { path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` }, 'get', object));
      if (!crd) return undefined;
      return {
        storageVersion: crd.spec.versions.find((v) => v.storage)?.name,
        servedVersions: crd.spec.versions.filter((v) => v.served).map((v) => v.name),
        established: (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True'),
      };
    },
  };
}
