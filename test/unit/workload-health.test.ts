// kstatus rules beyond Deployments: when `wait: true` and healthChecks see an object done.
import { describe, expect, it } from '@jest/globals';
import { healthOf, healthTargetsOf, HealthStatus } from '../../domain/health.js';
import type { KubernetesObject } from '../../kube/objects.js';

const object = (kind: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}, generation = 1): KubernetesObject => ({
  apiVersion: 'x/v1',
  kind,
  metadata: { name: 'x', namespace: 'apps', generation },
  spec,
  status,
});

describe('workload health', () => {
  it('StatefulSet: all replicas ready on the update revision', () => {
    const done = { observedGeneration: 1, readyReplicas: 3, currentReplicas: 3, currentRevision: 'r2', updateRevision: 'r2' };
    expect(healthOf(object('StatefulSet', done, { replicas: 3 })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('StatefulSet', { ...done, readyReplicas: 2 }, { replicas: 3 })).message).toBe('Ready: 2/3');
    expect(healthOf(object('StatefulSet', { ...done, currentRevision: 'r1' }, { replicas: 3 })).status).toBe(HealthStatus.InProgress);
  });

  it('StatefulSet with the OnDelete strategy: current at once, as kstatus says, since its pods change only when deleted', () => {
    const starting = { observedGeneration: 1, readyReplicas: 0, currentReplicas: 0, currentRevision: 'r1', updateRevision: 'r2' };
    expect(healthOf(object('StatefulSet', starting, { replicas: 3, updateStrategy: { type: 'OnDelete' } }))).toEqual({ status: 'Current', message: 'StatefulSet is using the ondelete update strategy' });
  });

  it('DaemonSet: every scheduled pod updated, available and ready', () => {
    const done = { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 };
    expect(healthOf(object('DaemonSet', done)).status).toBe(HealthStatus.Current);
    expect(healthOf(object('DaemonSet', { ...done, numberAvailable: 1 })).message).toBe('Available: 1/2');
  });

  it('Job: Complete is current, Failed fails fast', () => {
    expect(healthOf(object('Job', { conditions: [{ type: 'Complete', status: 'True' }] })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('Job', { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] }))).toEqual({ status: 'Failed', message: 'Job failed: BackoffLimitExceeded' });
    expect(healthOf(object('Job', { active: 1 })).status).toBe(HealthStatus.InProgress);
  });

  it('Pod and PersistentVolumeClaim', () => {
    expect(healthOf(object('Pod', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('Pod', { phase: 'Failed' })).status).toBe(HealthStatus.Failed);
    expect(healthOf(object('PersistentVolumeClaim', { phase: 'Bound' })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('PersistentVolumeClaim', { phase: 'Pending' })).message).toBe('PVC is Pending');
  });

  it('CustomResourceDefinition: established', () => {
    expect(healthOf(object('CustomResourceDefinition', { conditions: [{ type: 'Established', status: 'True' }] })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('CustomResourceDefinition', {})).status).toBe(HealthStatus.InProgress);
  });

  it('custom resources by their Ready, Reconciling and Stalled conditions and generation', () => {
    expect(healthOf(object('HelmRelease', { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] })).status).toBe(HealthStatus.Current);
    expect(healthOf(object('HelmRelease', { observedGeneration: 1, conditions: [{ type: 'Reconciling', status: 'True' }] })).status).toBe(HealthStatus.InProgress);
    expect(healthOf(object('HelmRelease', { observedGeneration: 1, conditions: [{ type: 'Stalled', status: 'True', message: 'chart not found' }] }))).toEqual({
      status: 'Failed',
      message: 'HelmRelease is stalled: chart not found',
    });
    expect(healthOf(object('HelmRelease', { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }, {}, 2)).status).toBe(HealthStatus.InProgress);
  });

  it('a custom resource whose Ready is Unknown is still in progress', () => {
    expect(healthOf(object('Certificate', { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'Unknown', message: 'Issuing' }] }))).toEqual({ status: 'InProgress', message: 'Certificate is not Ready: Issuing' });
  });
});

describe('health targets', () => {
  const self = { namespace: 'flux-system', name: 'apps' };

  it('reads a healthChecks entry without apiVersion as an apps/v1 workload in the Kustomization\'s namespace', () => {
    expect(healthTargetsOf(self, { healthChecks: [{ kind: 'Deployment', name: 'web' }] })).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'flux-system' }]);
  });

  it('never waits for the Kustomization itself, which would wait for its own reconcile to end', () => {
    const applied = [
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'apps', namespace: 'flux-system' },
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'infrastructure', namespace: 'flux-system' },
    ];
    expect(healthTargetsOf(self, { applied }).map((target) => target.name)).toEqual(['infrastructure']);
    expect(healthTargetsOf(self, { healthChecks: [{ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'apps' }] })).toEqual([]);
  });
});
