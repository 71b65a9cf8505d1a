// The status and event a Kustomization's reconcile ends with.
import { describe, expect, it } from '@jest/globals';
import { nextKustomizationStatus, KustomizationReason } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { fluxControllersIn, fluxControllersNotice } from '../../domain/flux-controllers.js';
import type { KubernetesObject } from '../../kube/objects.js';

const context = { now: '2026-11-27T12:00:00Z', generation: 3 };
const revision = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const inventory = { entries: [{ id: 'apps_web_apps_Deployment', v: 'v1' }] };

describe('Kustomization status', () => {
  it('reports waiting on a dependency as news once, and not as an error', () => {
    const waiting = { outcome: 'failed' as const, reason: KustomizationReason.DependencyNotReady, message: "dependency 'flux-system/infra' is not ready", stalled: false, revision };
    const first = nextKustomizationStatus({}, waiting, context);
    expect(first.event).toMatchObject({ type: 'Normal', reason: 'DependencyNotReady' });
    expect(findCondition(first.status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'DependencyNotReady' });
    expect(nextKustomizationStatus(first.status, waiting, context).event).toBeUndefined();
  });

  it('reports a failed build as a warning, keeping the last applied revision and inventory', () => {
    const previous = { lastAppliedRevision: 'main@sha1:aaaa', inventory };
    const { status, event } = nextKustomizationStatus(previous, { outcome: 'failed', reason: KustomizationReason.BuildFailed, message: 'kustomize build failed: boom', stalled: false, revision }, context);
    expect(event).toMatchObject({ type: 'Warning', reason: 'BuildFailed', message: 'kustomize build failed: boom' });
    expect(status).toMatchObject({ lastAppliedRevision: 'main@sha1:aaaa', lastAttemptedRevision: revision, inventory });
    expect(status.observedGeneration).toBeUndefined();
  });

  it('names what changed when applied, and stays quiet when nothing did', () => {
    const applied = nextKustomizationStatus({}, { outcome: 'applied', revision, inventory, changes: ['Deployment/apps/web created'], healthChecked: true }, context);
    expect(applied.event?.message).toBe(`Deployment/apps/web created\nApplied revision: ${revision}`);
    expect(applied.status).toMatchObject({ observedGeneration: 3, lastAppliedRevision: revision });
    expect(findCondition(applied.status.conditions, 'Healthy')?.status).toBe('True');
    expect(nextKustomizationStatus(applied.status, { outcome: 'applied', revision, inventory, changes: [], healthChecked: true }, context).event).toBeUndefined();
  });
});

describe('a revision that deploys Flux\'s own controllers', () => {
  const deployment = (name: string, labels: Record<string, string>, image = 'example.com/app:1'): KubernetesObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'flux-system', labels },
    spec: { template: { spec: { containers: [{ name: 'manager', image }] } } },
  });

  it('is told by the Deployments of gotk-components.yaml, not by a name alone', () => {
    const built = [
      deployment('kustomize-controller', { 'app.kubernetes.io/part-of': 'flux' }),
      deployment('source-controller', {}, 'ghcr.io/fluxcd/source-controller:v1.7.4'),
      deployment('helm-controller', {}),
    ];
    expect(fluxControllersIn(built)).toEqual(['flux-system/kustomize-controller', 'flux-system/source-controller']);
  });

  it('is said in Ready\'s message after the revision, and as a Warning event once', () => {
    const notice = fluxControllersNotice(['flux-system/kustomize-controller']);
    expect(notice).toContain('docs/migrating-from-flux.md');
    const result = { outcome: 'applied' as const, revision, inventory, changes: [], healthChecked: false, notice };
    const first = nextKustomizationStatus({}, result, context);
    expect(findCondition(first.status.conditions, 'Ready')?.message).toBe(`Applied revision: ${revision}\n${notice}`);
    expect(first.warning).toMatchObject({ type: 'Warning', reason: 'FluxControllersDeployed', message: notice });
    expect(nextKustomizationStatus(first.status, result, context).warning).toBeUndefined();
  });
});
