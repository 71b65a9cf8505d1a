// Flux's kustomize-controller flags that set what a Kustomization may reach beyond its
// own namespace: platform teams running a shared cluster set them so that tenants cannot
// read another namespace's sources, apply with the controller's own identity, or pull
// bases from the network; and one lends every Kustomization the controller's SOPS age
// keys.
export interface AccessFlags {
  /** --no-cross-namespace-refs: a sourceRef may not name another namespace */
  noCrossNamespaceRefs: boolean;
  /** --default-service-account: the identity of Kustomizations that name none */
  defaultServiceAccount?: string;
  /** --no-remote-bases: kustomizations may not name remote bases or components */
  noRemoteBases: boolean;
  /**
   * --sops-age-secret: a Secret of the controller's namespace (RUNTIME_NAMESPACE) whose
   * `.agekey` entries decrypt for Kustomizations whose spec.decryption names no secretRef
   */
  sopsAgeSecret?: { namespace: string; name: string };
}

export const defaultAccessFlags: AccessFlags = { noCrossNamespaceRefs: false, noRemoteBases: false };

/** Flux's refusal of a cross-namespace sourceRef, or undefined when it is allowed. */
export function crossNamespaceRefusal(flags: AccessFlags, namespace: string, source: { kind: string; namespace: string; name: string }): string | undefined {
  if (!flags.noCrossNamespaceRefs || source.namespace === namespace) return undefined;
  return `can't access '${source.kind}/${source.namespace}/${source.name}', cross-namespace references have been blocked`;
}
