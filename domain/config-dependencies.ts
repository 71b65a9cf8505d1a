// Flux's "Reacting immediately to configuration dependencies": a ConfigMap or Secret
// labelled `reconcile.fluxcd.io/watch: Enabled` wakes, whenever it changes — created,
// edited, deleted, optional or not — the Kustomizations of its own namespace that read
// it, rather than leaving the change to their next interval. They read it by the
// references kustomize-controller indexes Kustomizations by (kustomization_manager.go
// SetupWithManager, requestsForConfigDependency): postBuild.substituteFrom,
// decryption.secretRef, kubeConfig.secretRef and kubeConfig.configMapRef.
import type { KubernetesObject } from '../kube/objects.js';
import type { KustomizationSpec } from '../schemas/types.js';

/** The ConfigMaps and Secrets watched: Flux's default --watch-configs-label-selector. */
export const watchLabelSelector = 'reconcile.fluxcd.io/watch=Enabled';

export interface ConfigIdentity {
  kind: 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
}

/** The ConfigMaps and Secrets a Kustomization reads; all are in its own namespace. */
function configsReadBy(kustomization: KubernetesObject): ConfigIdentity[] {
  const namespace = kustomization.metadata.namespace ?? 'default';
  const spec = (kustomization.spec ?? {}) as Partial<KustomizationSpec>;
  const configs: ConfigIdentity[] = [];
  const add = (kind: ConfigIdentity['kind'], name: string | undefined) => {
    if (name) configs.push({ kind, namespace, name });
  };
  for (const reference of spec.postBuild?.substituteFrom ?? []) add(reference.kind, reference.name);
  add('Secret', spec.decryption?.secretRef?.name);
  add('Secret', spec.kubeConfig?.secretRef?.name);
  add('ConfigMap', spec.kubeConfig?.configMapRef?.name);
  return configs;
}

/** Of `kustomizations`, those that read `config`. */
export function kustomizationsReading(config: ConfigIdentity, kustomizations: readonly KubernetesObject[]): { namespace: string; name: string }[] {
  return kustomizations
    .filter((kustomization) => configsReadBy(kustomization).some((read) => read.kind === config.kind && read.namespace === config.namespace && read.name === config.name))
    .map((kustomization) => ({ namespace: kustomization.metadata.namespace ?? 'default', name: kustomization.metadata.name }));
}
