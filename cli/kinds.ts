// The words Flux users type for each kind (`source git`, `source oci`, `source helm`, `kustomization`/`ks`,
// `helmrelease`/`hr`, `receiver`), and how messages name an object.
import { installFieldManager } from '../apply/target.js';
import type { FluxKindName, FluxObjectRef } from '../kube/flux-kinds.js';

/** The field manager of every write the CLI makes (its applies are the reconcile's to take over). */
export const cliFieldManager = installFieldManager;

export interface KindWords {
  kind: FluxKindName;
  /** `reconcile source git`, `suspend kustomization`: singular first */
  singular: readonly (readonly string[])[];
  /** `get sources git`, `get kustomizations`: plural first */
  plural: readonly (readonly string[])[];
}

export const gitRepositoryWords: KindWords = { kind: 'GitRepository', singular: [['source', 'sources'], ['git']], plural: [['sources', 'source'], ['git']] };
export const helmRepositoryWords: KindWords = { kind: 'HelmRepository', singular: [['source', 'sources'], ['helm']], plural: [['sources', 'source'], ['helm']] };
export const ociRepositoryWords: KindWords = { kind: 'OCIRepository', singular: [['source', 'sources'], ['oci']], plural: [['sources', 'source'], ['oci']] };
export const helmChartWords: KindWords = { kind: 'HelmChart', singular: [['source', 'sources'], ['chart']], plural: [['sources', 'source'], ['chart']] };
export const kustomizationWords: KindWords = { kind: 'Kustomization', singular: [['kustomization', 'kustomizations', 'ks']], plural: [['kustomizations', 'kustomization', 'ks']] };
export const helmReleaseWords: KindWords = { kind: 'HelmRelease', singular: [['helmrelease', 'helmreleases', 'hr']], plural: [['helmreleases', 'helmrelease', 'hr']] };
export const receiverWords: KindWords = { kind: 'Receiver', singular: [['receiver', 'receivers', 'rcv']], plural: [['receivers', 'receiver', 'rcv']] };

/** The kinds `reconcile`, `suspend`, `resume` and `get` know, in `get all` order. */
export const objectKinds: readonly KindWords[] = [gitRepositoryWords, ociRepositoryWords, helmRepositoryWords, helmChartWords, kustomizationWords, helmReleaseWords, receiverWords];

/** `Kustomization 'flux-system/apps'`, as errors name an object. */
export function quoted(ref: FluxObjectRef): string {
  return `${ref.kind} '${ref.namespace}/${ref.name}'`;
}

/** `Kustomization 'flux-system/apps' not found`. */
export function notFoundMessage(ref: FluxObjectRef): string {
  return `${quoted(ref)} not found`;
}
