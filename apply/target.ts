// Who applies a Kustomization's objects, and where: the field manager Flux's
// kustomize-controller uses (so kubectl's managed fields read the same), and the cluster
// and identity of the spec (serviceAccountName, kubeConfig.secretRef).
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { ClusterTarget } from '../kube/targets.js';
import type { KustomizationSpec } from '../schemas/types.js';

export const fieldManager = 'kustomize-controller';

export function targetOf(ref: FluxObjectRef, spec: Pick<KustomizationSpec, 'serviceAccountName' | 'kubeConfig'>): ClusterTarget {
  const secret = spec.kubeConfig?.secretRef;
  return {
    namespace: ref.namespace,
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(secret ? { kubeConfig: { secretName: secret.name, ...(secret.key ? { key: secret.key } : {}) } } : {}),
  };
}
