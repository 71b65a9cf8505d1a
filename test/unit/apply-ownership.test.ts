// Taking over kubectl's fields so drift correction can remove them, the client-side rate
// limit, and what counts as drift.
import { describe, expect, it } from '@jest/globals';
import { ownershipTakeover, type ManagedFieldsEntry } from '../../kube/managed-fields.js';
import { createTokenBucket } from '../../kube/rate-limit.js';
import { drifted } from '../../apply/plan.js';
import type { KubernetesObject } from '../../kube/objects.js';

const configMap = (managedFields: ManagedFieldsEntry[], extra: Partial<KubernetesObject['metadata']> = {}): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'apps', resourceVersion: '7', managedFields, ...extra },
  data: { region: 'eu' },
});

const ours: ManagedFieldsEntry = {
  manager: 'kustomize-controller',
  operation: 'Apply',
  apiVersion: 'v1',
  time: '2026-11-27T10:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:data': { 'f:region': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
};
const kubectlLabel: ManagedFieldsEntry = {
  manager: 'kubectl-label',
  operation: 'Update',
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:metadata': { 'f:labels': { 'f:edited': {} } } },
};

describe('taking over kubectl\'s fields', () => {
  it('moves a kubectl edit into our apply entry, so the next apply can drop it', () => {
    const takeover = ownershipTakeover(configMap([ours, kubectlLabel]), 'kustomize-controller');
    expect(takeover).toEqual([
      {
        ...ours,
        fieldsV1: { 'f:data': { 'f:region': {} }, 'f:metadata': { 'f:labels': { 'f:app': {}, 'f:edited': {} } } },
      },
    ]);
  });

  it('keeps other controllers\' fields and status subresources as they are', () => {
    const hpa: ManagedFieldsEntry = { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } };
    const status: ManagedFieldsEntry = { manager: 'kubectl', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } };
    expect(ownershipTakeover(configMap([ours, hpa, status]), 'kustomize-controller')).toBeUndefined();
    expect(ownershipTakeover(configMap([ours, hpa, status, kubectlLabel]), 'kustomize-controller')).toEqual([hpa, status, expect.objectContaining({ manager: 'kustomize-controller', operation: 'Apply' })]);
  });

  it('adopts an object kubectl created, and takes back our own non-apply updates', () => {
    const created: ManagedFieldsEntry = { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:old': {} } } };
    const ourUpdate: ManagedFieldsEntry = { manager: 'kustomize-controller', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:x': {} } } };
    const [entry, ...rest] = ownershipTakeover(configMap([created, ourUpdate]), 'kustomize-controller')!;
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:old': {}, 'f:x': {} } } });
  });
});

describe('taking over another applier\'s fields', () => {
  it('takes the install\'s applied fields, never a CLI patch such as a suspend', () => {
    const install: ManagedFieldsEntry = { manager: 'kimbernetes', operation: 'Apply', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:legacy': {} } } };
    const suspend: ManagedFieldsEntry = { manager: 'kimbernetes', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:spec': { 'f:suspend': {} } } };
    const takeover = ownershipTakeover(configMap([ours, install, suspend]), 'kustomize-controller', { appliers: ['kimbernetes'] })!;
    expect(takeover).toEqual([suspend, expect.objectContaining({ manager: 'kustomize-controller', fieldsV1: { 'f:data': { 'f:region': {}, 'f:legacy': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } } })]);
    expect(ownershipTakeover(configMap([ours, install]), 'kustomize-controller')).toBeUndefined();
  });
});

describe('drift', () => {
  const live = configMap([ours]);
  it('ignores what the server changes on every write', () => {
    const dryRun = { ...live, metadata: { ...live.metadata, resourceVersion: '8', managedFields: [{ ...ours, time: '2026-11-27T11:00:00Z' }] } };
    expect(drifted(live, dryRun)).toBe(false);
  });
  it('sees a changed value or a removed label', () => {
    expect(drifted(live, { ...live, data: { region: 'us' } })).toBe(true);
    expect(drifted({ ...live, metadata: { ...live.metadata, labels: { edited: 'yes' } } }, live)).toBe(true);
  });
});

describe('client-side rate limit', () => {
  it('lets a burst through at once, then spaces requests at the rate', async () => {
    let now = 0;
    const waits: number[] = [];
    const take = createTokenBucket({ qps: 10, burst: 3 }, { now: () => now, sleep: async (ms) => void waits.push(ms) });
    for (let i = 0; i < 5; i += 1) await take();
    expect(waits.map(Math.round)).toEqual([100, 200]);
    now = 10_000; // a quiet while refills the bucket, up to the burst
    waits.length = 0;
    for (let i = 0; i < 3; i += 1) await take();
    expect(waits).toEqual([]);
  });

  it('refuses a limit that would never let a request through', () => {
    expect(() => createTokenBucket({ qps: 0, burst: 1 })).toThrow(/qps > 0/);
  });
});
