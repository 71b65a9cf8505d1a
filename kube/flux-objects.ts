// The Flux objects in the cluster: listing and reading them, writing their .status
// through the status subresource, and recording Kubernetes Events about them — the ways
// the controllers and the users' kubectl meet.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { toKubeError } from './errors.js';
import { apiVersionOf, fluxKinds, type FluxKindName, type FluxObjectRef } from './flux-kinds.js';
import type { KubernetesObject } from './objects.js';

export interface FluxEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** e.g. source.toolkit.fluxcd.io/revision */
  annotations?: Record<string, string>;
}

/** A list as the API server answers it: the items and the list's resourceVersion (to watch from). */
export interface FluxObjectList {
  items: KubernetesObject[];
  metadata: { resourceVersion?: string };
}

export interface FluxObjects {
  /** every object of `kind`, in `namespace` or in all; none when the kind's CRD is not installed */
  list(kind: FluxKindName, namespace?: string): Promise<FluxObjectList>;
  get(ref: FluxObjectRef): Promise<KubernetesObject | undefined>;
  /** merge-patches `.status`; a field set to null is removed */
  patchStatus(ref: FluxObjectRef, status: Record<string, unknown>): Promise<void>;
  /** replaces metadata.finalizers (a merge patch: only that field changes) */
  setFinalizers(ref: FluxObjectRef, finalizers: string[]): Promise<void>;
  /** merge-patches metadata.annotations (a Receiver's reconcile.fluxcd.io/requestedAt) */
  annotate(ref: FluxObjectRef, annotations: Record<string, string>): Promise<void>;
  recordEvent(object: KubernetesObject, event: FluxEvent, component: string): Promise<void>;
  /** a Secret's data, decoded; undefined when it does not exist */
  getSecretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** the names of a ServiceAccount's imagePullSecrets; undefined when it does not exist */
  getImagePullSecretNames(namespace: string, name: string): Promise<string[] | undefined>;
}

export interface FluxObjectsOptions {
  /** resolves when the next request may go: the worker shares one rate limit with its applies, as Flux's controllers do */
  throttle?: () => Promise<void>;
  /** the same for events, which have a rate limit of their own, as Flux's event recorder (its own client) has */
  eventThrottle?: () => Promise<void>;
}

export function createFluxObjects(config: KubeConfig, { throttle = async () => undefined, eventThrottle = throttle }: FluxObjectsOptions = {}): FluxObjects {
  const custom = config.makeApiClient(CustomObjectsApi);
  const core = config.makeApiClient(CoreV1Api);
  const coordinates = (ref: FluxObjectRef) => {
    const { group, version, plural } = fluxKinds[ref.kind];
    return { group, version, plural, namespace: ref.namespace, name: ref.name };
  };
  const objectRef = (ref: FluxObjectRef) => ({ apiVersion: apiVersionOf(ref.kind), kind: ref.kind, namespace: ref.namespace, name: ref.name });

  return {
    async list(kind, namespace) {
      await throttle();
      const { group, version, plural } = fluxKinds[kind];
      try {
        return (namespace
          ? await custom.listNamespacedCustomObject({ group, version, plural, namespace })
          : await custom.listClusterCustomObject({ group, version, plural })) as FluxObjectList;
      } catch (error) {
        const failure = toKubeError(error, `list ${plural}${namespace ? ` in ${namespace}` : ''}`);
        if (failure.notFound) return { items: [], metadata: {} };
        throw failure;
      }
    },
    async get(ref) {
      await throttle();
      try {
        return (await custom.getNamespacedCustomObject(coordinates(ref))) as KubernetesObject;
      } catch (error) {
        const failure = toKubeError(error, 'get', objectRef(ref));
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
    async patchStatus(ref, status) {
      await throttle();
      try {
        await custom.patchNamespacedCustomObjectStatus(
          { ...coordinates(ref), body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        throw toKubeError(error, 'update status of', objectRef(ref));
      }
    },
    async setFinalizers(ref, finalizers) {
      await throttle();
      try {
        await custom.patchNamespacedCustomObject(
          { ...coordinates(ref), body: { metadata: { finalizers } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        const failure = toKubeError(error, 'update finalizers of', objectRef(ref));
        if (!failure.notFound) throw failure;
      }
    },
    async annotate(ref, annotations) {
      await throttle();
      try {
        await custom.patchNamespacedCustomObject(
          { ...coordinates(ref), body: { metadata: { annotations } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        throw toKubeError(error, 'annotate', objectRef(ref));
      }
    },
    async recordEvent(object, event, component) {
      await eventThrottle();
      const now = new Date();
      const namespace = object.metadata.namespace ?? 'default';
      try {
        await core.createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${object.metadata.name}.`, namespace, annotations: event.annotations },
            involvedObject: {
              apiVersion: object.apiVersion,
              kind: object.kind,
              name: object.metadata.name,
              namespace,
              uid: object.metadata.uid,
              resourceVersion: object.metadata.resourceVersion,
            },
            type: event.type,
            reason: event.reason,
            message: event.message,
            source: { component },
            reportingComponent: component,
            reportingInstance: component,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (error) {
        throw toKubeError(error, 'record event for', { apiVersion: object.apiVersion, kind: object.kind, namespace, name: object.metadata.name });
      }
    },
    async getSecretData(namespace, name) {
      await throttle();
      try {
        const secret = await core.readNamespacedSecret({ namespace, name });
        return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      } catch (error) {
        const failure = toKubeError(error, 'get', { apiVersion: 'v1', kind: 'Secret', namespace, name });
        if (failure.notFound) return undefined;
        throw failure;
      }
    },

    async getImagePullSecretNames(namespace, name) {
      await throttle();
      try {
        const account = await core.readNamespacedServiceAccount({ namespace, name });
        return (account.imagePullSecrets ?? []).flatMap((reference) => (reference.name ? [reference.name] : []));
      } catch (error) {
        const failure = toKubeError(error, 'get', { apiVersion: 'v1', kind: 'ServiceAccount', namespace, name });
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
  };
}
