// Who applies a Kustomization's objects, and where: the field manager Flux's
// kustomize-controller uses (so kubectl's managed fields read the same), and the cluster
// and identity of the spec (serviceAccountName, kubeConfig.secretRef).
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { ClusterTarget } from '../kube/targets.js';
import type { KustomizationSpec } from '../schemas/types.js';

export const fieldManager = 'kustomize-controller';

/**
 * The field manager of `kimbernetes install` and `bootstrap`: their Apply entries are the
 * apply's to take over, as Flux's bootstrap leaves its objects to the kustomize-controller
 * (a repository bootstrapped by Flux brings Flux's own CRDs, which must replace ours).
 */
export const installFieldManager = 'kimbernetes';

/** `defaultServiceAccount`: Flux's --default-service-account, the identity of a Kustomization that names none. */
export function targetOf(ref: FluxObjectRef, spec: Pick<KustomizationSpec, 'serviceAccountName' | 'kubeConfig'>, defaultServiceAccount?: string): ClusterTarget {
  const secret = spec.kubeConfig?.secretRef;
  const serviceAccountName = spec.serviceAccountName || defaultServiceAccount;
  return {
    namespace: ref.namespace,
    ...(serviceAccountName ? { serviceAccountName } : {}),
    ...(secret ? { kubeConfig: { secretName: secret.name, ...(secret.key ? { key: secret.key } : {}) } } : {}),
  };
}
