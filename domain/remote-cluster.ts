// The remote clusters a Kustomization or HelmRelease may name. Only a kubeconfig in a
// Secret (spec.kubeConfig.secretRef) can be reached; Flux's secret-less configMapRef
// needs a cloud provider's workload identity, which a worker does not have. Refused in so
// many words: falling back to the worker's own cluster would apply there instead.
import type { KubeConfigReference } from '../schemas/types.js';

/** Why spec.kubeConfig cannot be used, or undefined when it can (or is not set). */
export function kubeConfigRefusal(kubeConfig: KubeConfigReference | undefined): { field: string; message: string } | undefined {
  if (!kubeConfig?.configMapRef || kubeConfig.secretRef) return undefined;
  return {
    field: 'kubeConfig.configMapRef',
    message: `spec.kubeConfig.configMapRef: secret-less access to a cloud provider's cluster (ConfigMap '${kubeConfig.configMapRef.name}') is not supported; give the cluster's kubeconfig in a Secret with spec.kubeConfig.secretRef`,
  };
}
