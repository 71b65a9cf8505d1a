// kstatus rules for Deployments: when is a rollout done, still going, or failed.
import { describe, expect, it } from '@jest/globals';
import { healthOf, HealthStatus } from '../../domain/health.js';
import type { KubernetesObject } from '../../kube/objects.js';

function deployment(status: Record<string, unknown>, { replicas = 2, generation = 3 } = {}): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'apps', generation },
    spec: { replicas },
    status,
  };
}

const rolledOut = {
  observedGeneration: 3,
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  conditions: [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
    { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
  ],
};

describe('Deployment health', () => {
  it('is Current when every replica of the new ReplicaSet is available', () => {
    expect(healthOf(deployment(rolledOut)).status).toBe(HealthStatus.Current);
  });

  it('is NotFound when the object does not exist', () => {
    expect(healthOf(undefined).status).toBe(HealthStatus.NotFound);
  });

  it('waits for the controller to observe the new generation', () => {
    const health = healthOf(deployment({ ...rolledOut, observedGeneration: 2 }));
    expect(health).toEqual({ status: HealthStatus.InProgress, message: 'Deployment generation 3 not yet observed' });
  });

  it('waits while a Deployment has no status yet', () => {
    expect(healthOf(deployment({})).status).toBe(HealthStatus.InProgress);
  });

  it('waits for updated, available and ready replicas', () => {
    expect(healthOf(deployment({ ...rolledOut, updatedReplicas: 1 }))).toEqual({ status: 'InProgress', message: 'Updated: 1/2' });
    expect(healthOf(deployment({ ...rolledOut, replicas: 3 }))).toEqual({ status: 'InProgress', message: 'Pending termination: 1' });
    expect(healthOf(deployment({ ...rolledOut, availableReplicas: 0 }))).toEqual({ status: 'InProgress', message: 'Available: 0/2' });
    expect(healthOf(deployment({ ...rolledOut, readyReplicas: 1 }))).toEqual({ status: 'InProgress', message: 'Ready: 1/2' });
  });

  it('waits until the new ReplicaSet is available', () => {
    const conditions = [
      { type: 'Available', status: 'True' },
      { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
    ];
    expect(healthOf(deployment({ ...rolledOut, conditions })).status).toBe(HealthStatus.InProgress);
  });

  it('fails when the progress deadline is exceeded', () => {
    const conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "podinfo-5d" has timed out progressing.' }];
    const health = healthOf(deployment({ ...rolledOut, availableReplicas: 0, conditions }));
    expect(health.status).toBe(HealthStatus.Failed);
    expect(health.message).toContain('has timed out progressing');
  });

  it('counts a missing replica count as one replica', () => {
    const object = deployment({ ...rolledOut, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    delete (object.spec as Record<string, unknown>).replicas;
    expect(healthOf(object).status).toBe(HealthStatus.Current);
  });
});
