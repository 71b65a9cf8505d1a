// Health of a live object by the kstatus rules Flux uses: Current when the object has
// reached the state its spec asks for, InProgress while it is getting there, Failed
// when it will not get there without a change.
import type { KubernetesObject } from '../kube/objects.js';

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
const failed = (message: string): Health => ({ status: HealthStatus.Failed, message });

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
    default:
      return current('resource is current');
  }
}

function deploymentHealth(object: KubernetesObject, status: Record<string, unknown>): Health {
  if (status.observedGeneration === undefined) return inProgress('Deployment not yet observed by its controller');
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const wanted = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const count = (field: string) => (typeof status[field] === 'number' ? (status[field] as number) : 0);
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];

  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return failed(`Deployment progress deadline exceeded: ${progressing.message ?? ''}`.trim());
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
