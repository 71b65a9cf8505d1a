// spec.commonMetadata, as Flux sets it on the built objects before the apply
// (fluxcd/pkg ssa SetCommonMetadata): merged into each object's own labels and
// annotations, its values winning. Only the top-level metadata: pod templates and
// selectors are left alone, so taking over a workload does not roll it.
import type { KubernetesObject } from '../kube/objects.js';

export interface CommonMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function withCommonMetadata(object: KubernetesObject, common: CommonMetadata | undefined): KubernetesObject {
  if (!common || (!common.labels && !common.annotations)) return object;
  const metadata = { ...object.metadata };
  if (common.labels && Object.keys(common.labels).length > 0) metadata.labels = { ...metadata.labels, ...common.labels };
  if (common.annotations && Object.keys(common.annotations).length > 0) metadata.annotations = { ...metadata.annotations, ...common.annotations };
  return { ...object, metadata };
}
