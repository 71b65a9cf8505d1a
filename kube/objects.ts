// Plain data about Kubernetes objects: references, and how they are named in messages.
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    resourceVersion?: string;
    uid?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export function referenceOf(object: KubernetesObject): ObjectReference {
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  return namespace ? { apiVersion, kind, name, namespace } : { apiVersion, kind, name };
}

/** `cert-manager.io` of `cert-manager.io/v1`; the core group of `v1` is empty. */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A key naming one object exactly (group and version included), for maps of objects. */
export function referenceKey(ref: ObjectReference): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

/** `Deployment/apps/podinfo` for namespaced objects, `Namespace/apps` for cluster-scoped ones. */
export function describeReference(ref: ObjectReference): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
