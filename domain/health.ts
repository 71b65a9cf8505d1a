// Health of a live object by the kstatus rules Flux uses: Current when the object has
// reached the state its spec asks for, InProgress while it is getting there, Failed
// when it will not get there without a change.
import type { KubernetesObject, ObjectReference } from '../kube/objects.js';

export const HealthStatus = {
  Current: 'Current',
  InProgress: 'InProgress',
  Failed: 'Failed',
  NotFound: 'NotFound',
} as const;
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

export interface Health {
  status: HealthStatus;
  message: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const current = (message: string): Health => ({ status: HealthStatus.Current, message });
const inProgress = (message: string): Health => ({ status: HealthStatus.InProgress, message });
const failedHealth = (message: string): Health => ({ status: HealthStatus.Failed, message });

/**
 * Kinds whose health is their existence: kstatus reads no status for them, so they are
 * Current once they exist (an apply that just returned them proves it).
 */
const judgedByExistence = new Set(['v1|Secret', 'v1|ConfigMap', 'v1|ServiceAccount'].concat(
  ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((kind) => `rbac.authorization.k8s.io/v1|${kind}`),
));

export function healthIsExistence(ref: { apiVersion: string; kind: string }): boolean {
  return judgedByExistence.has(`${ref.apiVersion}|${ref.kind}`);
}

export function healthOf(object: KubernetesObject | undefined): Health {
  if (!object) return { status: HealthStatus.NotFound, message: 'not found' };
  const generation = object.metadata.generation;
  const status = (object.status ?? {}) as Record<string, unknown>;
  if (generation !== undefined && status.observedGeneration !== undefined && status.observedGeneration !== generation) {
    return inProgress(`${object.kind} generation ${generation} not yet observed`);
  }
  switch (object.kind) {
    case 'Deployment':
      return deploymentHealth(object, status);
    case 'CustomResourceDefinition': {
      const established = ((status.conditions ?? []) as Condition[]).find((c) => c.type === 'Established');
      return established?.status === 'True' ? current('CRD is established') : inProgress('CRD is not established yet');
    }
    case 'Namespace':
      return status.phase === 'Terminating' ? inProgress('Namespace is terminating') : current('Namespace is active');
    case 'StatefulSet':
      return statefulSetHealth(object, status);
    case 'DaemonSet':
      return daemonSetHealth(status);
    case 'Job':
      return jobHealth(status);
    case 'Pod':
      return podHealth(status);
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound' ? current('PVC is Bound') : inProgress(`PVC is ${String(status.phase ?? 'not Bound')}`);
    default:
      return conditionsHealth(object, status);
  }
}

const countOf = (status: Record<string, unknown>) => (field: string) => (typeof status[field] === 'number' ? (status[field] as number) : 0);
const conditionsOf = (status: Record<string, unknown>) => (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];

function statefulSetHealth(object: KubernetesObject, status: Record<string, unknown>): Health {
  if (status.observedGeneration === undefined) return inProgress('StatefulSet not yet observed by its controller');
  const spec = (object.spec ?? {}) as { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  // kstatus: pods of an OnDelete StatefulSet change only when deleted by hand, so there is nothing to wait for.
  if (spec.updateStrategy?.type === 'OnDelete') return current('StatefulSet is using the ondelete update strategy');
  const wanted = spec.replicas ?? 1;
  const count = countOf(status);
  if (count('readyReplicas') < wanted) return inProgress(`Ready: ${count('readyReplicas')}/${wanted}`);
  if (count('currentReplicas') < wanted && spec.updateStrategy?.type !== 'OnDelete' && !spec.updateStrategy?.rollingUpdate?.partition) {
    return inProgress(`Updated: ${count('currentReplicas')}/${wanted}`);
  }
  if (spec.updateStrategy?.type !== 'OnDelete' && status.updateRevision && status.currentRevision !== status.updateRevision) {
    return inProgress('StatefulSet is rolling out its new revision');
  }
  return current(`All replicas scheduled as expected. Replicas: ${wanted}`);
}

function daemonSetHealth(status: Record<string, unknown>): Health {
  if (status.observedGeneration === undefined) return inProgress('DaemonSet not yet observed by its controller');
  const count = countOf(status);
  const desired = count('desiredNumberScheduled');
  if (count('updatedNumberScheduled') < desired) return inProgress(`Updated: ${count('updatedNumberScheduled')}/${desired}`);
  if (count('numberAvailable') < desired) return inProgress(`Available: ${count('numberAvailable')}/${desired}`);
  if (count('numberReady') < desired) return inProgress(`Ready: ${count('numberReady')}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
}

function jobHealth(status: Record<string, unknown>): Health {
  const conditions = conditionsOf(status);
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return failedHealth(`Job failed: ${failed.message ?? failed.reason ?? ''}`.trim());
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return current('Job Completed');
  return inProgress('Job in progress');
}

function podHealth(status: Record<string, unknown>): Health {
  if (status.phase === 'Succeeded') return current('Pod has completed successfully');
  if (status.phase === 'Failed') return failedHealth('Pod has failed');
  const ready = conditionsOf(status).find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? current('Pod is Ready') : inProgress(`Pod is ${String(status.phase ?? 'Pending')}`);
}

/** Any other kind, custom resources included: Flux's Ready / Stalled / Reconciling conditions. */
function conditionsHealth(object: KubernetesObject, status: Record<string, unknown>): Health {
  const conditions = conditionsOf(status);
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) return failedHealth(`${object.kind} is stalled: ${stalled.message ?? stalled.reason ?? ''}`.trim());
  if (conditions.some((c) => c.type === 'Reconciling' && c.status === 'True')) return inProgress(`${object.kind} is reconciling`);
  const ready = conditions.find((c) => c.type === 'Ready');
  // Unknown is a reconcile under way, False one that has not got there yet: either way not current.
  if (ready && ready.status !== 'True') return inProgress(`${object.kind} is not Ready: ${ready.message ?? ''}`.trim());
  return current('resource is current');
}

function deploymentHealth(object: KubernetesObject, status: Record<string, unknown>): Health {
  if (status.observedGeneration === undefined) return inProgress('Deployment not yet observed by its controller');
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const wanted = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const count = (field: string) => (typeof status[field] === 'number' ? (status[field] as number) : 0);
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];

  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return failedHealth(`Deployment progress deadline exceeded: ${progressing.message ?? ''}`.trim());
  }
  if (count('updatedReplicas') < wanted) return inProgress(`Updated: ${count('updatedReplicas')}/${wanted}`);
  if (count('replicas') > count('updatedReplicas')) {
    return inProgress(`Pending termination: ${count('replicas') - count('updatedReplicas')}`);
  }
  if (count('availableReplicas') < wanted) return inProgress(`Available: ${count('availableReplicas')}/${wanted}`);
  if (count('readyReplicas') < wanted) return inProgress(`Ready: ${count('readyReplicas')}/${wanted}`);
  // Without a completed rollout the counts may still describe the old ReplicaSet.
  if (wanted > 0 && !(progressing?.status === 'True' && progressing.reason === 'NewReplicaSetAvailable')) {
    return inProgress('new ReplicaSet not yet available');
  }
  const available = conditions.find((c) => c.type === 'Available');
  if (wanted > 0 && available?.status !== 'True') return inProgress('Deployment not Available');
  return current(`Deployment is available. Replicas: ${count('replicas')}`);
}

interface HealthCheckReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * What a Kustomization waits for: spec.healthChecks (an entry without apiVersion is an
 * apps/v1 workload, as Flux reads it), or with `wait: true` everything it applied. Never
 * the Kustomization itself, which would wait on its own reconcile to end (Flux guards
 * against that deadlock too).
 */
export function healthTargetsOf(
  self: { namespace: string; name: string },
  from: { healthChecks: readonly HealthCheckReference[] } | { applied: readonly ObjectReference[] },
): ObjectReference[] {
  const targets =
    'applied' in from
      ? [...from.applied]
      : from.healthChecks.map((check) => ({ apiVersion: check.apiVersion ?? 'apps/v1', kind: check.kind, name: check.name, namespace: check.namespace ?? self.namespace }));
  return targets.filter((target) => !(target.kind === 'Kustomization' && target.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && target.name === self.name && target.namespace === self.namespace));
}
