// An object as `flux export` prints it: what a user would commit to Git, without status
// and without the fields the API server keeps (uid, resourceVersion, managedFields, ...).
import type { KubernetesObject } from '../kube/objects.js';

/** Written by `kubectl apply`; it describes the last apply, not the object. */
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

export function exportable(object: KubernetesObject): KubernetesObject {
  const { name, namespace, labels } = object.metadata;
  const annotations = Object.fromEntries(Object.entries(object.metadata.annotations ?? {}).filter(([key]) => key !== lastAppliedAnnotation));
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    ...(object.spec !== undefined ? { spec: object.spec } : {}),
  };
}
