// The order of a staged apply, as Flux's ssa package has it (ApplyAllStaged and its
// ReconcileOrder): cluster definitions first (CRDs, Namespaces, ClusterRoles) and waited
// for, then `*Class` kinds, then everything else; within a stage, kinds in Flux's order,
// webhook configurations last, so a webhook is registered only after what it guards
// (its Deployment, its Service) was applied. Prune goes the other way round, so a
// Namespace or CRD is deleted only after what lived in it.
import { apiGroupOf, type ObjectReference } from '../kube/objects.js';

export const ApplyStage = { Definitions: 0, Classes: 1, Resources: 2 } as const;
export type ApplyStage = (typeof ApplyStage)[keyof typeof ApplyStage];

type Typed = Pick<ObjectReference, 'apiVersion' | 'kind'>;

/** CRDs, Namespaces and ClusterRoles of their own API groups (fluxcd/pkg ssa utils.IsClusterDefinition). */
function isClusterDefinition({ apiVersion, kind }: Typed): boolean {
  const lower = kind.toLowerCase();
  if (lower === 'customresourcedefinition') return apiVersion.startsWith('apiextensions.k8s.io/');
  if (lower === 'namespace') return apiVersion === 'v1';
  if (lower === 'clusterrole') return apiVersion.startsWith('rbac.authorization.k8s.io/');
  return false;
}

export function stageOf(ref: Typed): ApplyStage {
  if (isClusterDefinition(ref)) return ApplyStage.Definitions;
  if (ref.kind.endsWith('Class')) return ApplyStage.Classes;
  return ApplyStage.Resources;
}

// Flux's ReconcileOrder: these kinds first, in this order; the webhooks last; any other
// kind between them.
const firstKinds = [
  'CustomResourceDefinition',
  'Namespace',
  'ClusterClass',
  'RuntimeClass',
  'PriorityClass',
  'StorageClass',
  'VolumeSnapshotClass',
  'IngressClass',
  'GatewayClass',
  'ResourceQuota',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Service',
  'LimitRange',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const lastKinds = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** A kind's place in Flux's order: negative for the first kinds, 0 for the rest, positive for the last. */
export function kindRank(kind: string): number {
  const first = firstKinds.indexOf(kind);
  if (first >= 0) return first - firstKinds.length;
  const last = lastKinds.indexOf(kind);
  return last >= 0 ? last + 1 : 0;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Ordered = Typed & { metadata: { name: string; namespace?: string } };

/** Flux's order of objects: by kind rank, group, kind, then namespace and name. */
export function compareApplyOrder(a: Ordered, b: Ordered): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    byteOrder(apiGroupOf(a.apiVersion), apiGroupOf(b.apiVersion)) ||
    byteOrder(a.kind, b.kind) ||
    byteOrder(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    byteOrder(a.metadata.name, b.metadata.name)
  );
}

/** Objects grouped by stage, each stage in Flux's order. */
export function applyStages<T extends Ordered>(objects: readonly T[]): T[][] {
  const stages: T[][] = [[], [], []];
  for (const object of objects) stages[stageOf(object)]!.push(object);
  return stages.map((stage) => [...stage].sort(compareApplyOrder)).filter((stage) => stage.length > 0);
}

/**
 * A stage in runs of the same kind rank, in order: Flux applies a stage one object after
 * another; objects of one run may go at once, as nothing in Flux's order puts one before
 * another (every kind outside Flux's list shares one run).
 */
export function rankRuns<T>(stage: readonly T[], kindOf: (item: T) => string): T[][] {
  const runs: T[][] = [];
  for (const item of stage) {
    const run = runs.at(-1);
    if (run && kindRank(kindOf(run[0]!)) === kindRank(kindOf(item))) run.push(item);
    else runs.push([item]);
  }
  return runs;
}

/** Deletion order for pruning: resources, then classes, then Namespaces and CRDs last. */
export function pruneOrder<T extends Typed>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => stageOf(b) - stageOf(a));
}
