// What `get`, `events` and `tree` print: flux's columns, kubectl's ages, the loops'
// next reconcile, the inventory as a nested tree.
import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import { renderTable, humanDuration, age } from '../../cli/table.js';
import { nextReconcile, summarize, summaryTable } from '../../cli/summaries.js';
import { eventTable, fluxEvents, parseFor } from '../../cli/event-rows.js';
import { inventoryReferences, manifestReferences, ownedTree, renderTree } from '../../cli/inventory-tree.js';
import { inventoryOf, type Inventory } from '../../domain/inventory.js';
import type { KubernetesObject } from '../../kube/objects.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('tables', () => {
  it('pads columns three spaces apart, with no trailing spaces', () => {
    expect(renderTable(['NAME', 'READY', 'MESSAGE'], [['a', 'True', ''], ['longer-name', 'False', 'failed']])).toBe(
      'NAME          READY   MESSAGE\na             True\nlonger-name   False   failed\n',
    );
  });

  it('says ages as kubectl does', () => {
    expect([5_000, 119_000, 125_000, 600_000, 3_600_000 * 3, 3_600_000 * 7 + 60_000 * 5, 3_600_000 * 30, 3_600_000 * 24 * 3 + 3_600_000 * 2, 3_600_000 * 24 * 400].map(humanDuration)).toEqual([
      '5s', '119s', '2m5s', '10m', '3h', '7h5m', '30h', '3d2h', '400d',
    ]);
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age(ago(-5_000), now)).toBe('0s');
  });
});

describe('get', () => {
  const kustomization = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'apps', namespace: 'flux-system', creationTimestamp: ago(90_000) },
    spec,
    status,
  });
  const ready = { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:abc', lastTransitionTime: ago(1000) };

  it('reads the revision, suspension and Ready condition each kind reports', () => {
    expect(summarize('Kustomization', kustomization({ conditions: [ready], lastAppliedRevision: 'main@sha1:abc' }, { suspend: true }))).toEqual({
      kind: 'Kustomization', namespace: 'flux-system', name: 'apps', revision: 'main@sha1:abc', suspended: true, ready: 'True',
      reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:abc', createdAt: ago(90_000),
    });
    const source = { ...kustomization({ artifact: { revision: 'v1@sha1:def' } }), kind: 'GitRepository' };
    expect(summarize('GitRepository', source)).toMatchObject({ revision: 'v1@sha1:def', ready: 'False', message: 'waiting to be reconciled' });
    expect(summarize('HelmRelease', kustomization({ history: [{ chartVersion: '6.1.0' }] })).revision).toBe('6.1.0');
  });

  it('shows when each loop reconciles next, and what it is doing', () => {
    expect(nextReconcile(undefined, now)).toBe('-');
    expect(nextReconcile({ phase: 'Reconciling', failures: 0 }, now)).toBe('reconciling');
    expect(nextReconcile({ phase: 'Suspended', failures: 0 }, now)).toBe('suspended');
    expect(nextReconcile({ phase: 'Waiting', failures: 0, nextReconcileAt: new Date(now + 270_000).toISOString() }, now)).toBe('in 4m30s');
    expect(nextReconcile({ phase: 'Waiting', failures: 3, nextReconcileAt: new Date(now + 20_000).toISOString() }, now)).toBe('in 20s (retry 3)');
  });

  it('prints flux’s columns, the namespace with -A and kind/name in `get all`', () => {
    const summary = { ...summarize('Kustomization', kustomization({ conditions: [{ ...ready, message: 'two\nlines' }], lastAppliedRevision: 'main@sha1:abc' })), loop: { phase: 'Reconciling' as const, failures: 0 } };
    expect(summaryTable([summary], { allNamespaces: false, kindPrefix: false, now })).toEqual({
      headers: ['NAME', 'REVISION', 'SUSPENDED', 'READY', 'AGE', 'NEXT RECONCILE', 'MESSAGE'],
      rows: [['apps', 'main@sha1:abc', 'False', 'True', '90s', 'reconciling', 'two lines']],
    });
    const all = summaryTable([summary], { allNamespaces: true, kindPrefix: true, now });
    expect(all.headers[0]).toBe('NAMESPACE');
    expect(all.rows[0]!.slice(0, 2)).toEqual(['flux-system', 'kustomization/apps']);
  });
});

describe('events', () => {
  const event = (kind: string, apiVersion: string, name: string, reason: string, seconds: number): CoreV1Event => ({
    metadata: { namespace: 'flux-system' },
    involvedObject: { kind, apiVersion, name, namespace: 'flux-system' },
    reason,
    type: 'Normal',
    message: `${reason} happened`,
    lastTimestamp: new Date(now - seconds * 1000),
  });
  const events = [
    event('Kustomization', 'kustomize.toolkit.fluxcd.io/v1', 'apps', 'ReconciliationSucceeded', 10),
    event('Pod', 'v1', 'web-1', 'Scheduled', 50),
    event('GitRepository', 'source.toolkit.fluxcd.io/v1', 'fleet', 'NewArtifact', 30),
  ];

  it('lists only the events of Flux objects, oldest first, or of one object', () => {
    expect(fluxEvents(events).map((e) => e.object)).toEqual(['GitRepository/fleet', 'Kustomization/apps']);
    expect(fluxEvents(events, { kind: 'kustomization', name: 'apps' }).map((e) => e.reason)).toEqual(['ReconciliationSucceeded']);
    expect(parseFor('Kustomization/apps')).toEqual({ kind: 'Kustomization', name: 'apps' });
    expect(parseFor('apps')).toBeUndefined();
  });

  it('prints flux events’ columns', () => {
    expect(eventTable(fluxEvents(events), { allNamespaces: false, now })).toEqual({
      headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
      rows: [
        ['30s', 'Normal', 'NewArtifact', 'GitRepository/fleet', 'NewArtifact happened'],
        ['10s', 'Normal', 'ReconciliationSucceeded', 'Kustomization/apps', 'ReconciliationSucceeded happened'],
      ],
    });
  });
});

describe('tree', () => {
  const ks = (name: string) => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace: 'flux-system' } });
  const object = (kind: string, name: string, namespace?: string) => ({ apiVersion: 'v1', kind, metadata: { name, namespace } });
  const inventories: Record<string, Inventory> = {
    'flux-system': inventoryOf([ks('infrastructure'), ks('apps'), object('Namespace', 'shared')]),
    infrastructure: inventoryOf([object('Namespace', 'cert-manager'), object('ConfigMap', 'issuer', 'cert-manager')]),
    // A loop back to the root is drawn once, not followed.
    apps: inventoryOf([object('ConfigMap', 'web', 'apps'), ks('flux-system')]),
  };

  it('nests the inventories of the Kustomizations a Kustomization applied', async () => {
    const tree = await ownedTree({ ...ks('flux-system'), name: 'flux-system', namespace: 'flux-system' }, async (ref) => {
      const inventory = inventories[ref.name];
      return inventory && inventoryReferences(inventory);
    });
    expect(renderTree(tree)).toBe(
      [
        'Kustomization/flux-system/flux-system',
        '├── Kustomization/flux-system/infrastructure',
        '│   ├── Namespace/cert-manager',
        '│   └── ConfigMap/cert-manager/issuer',
        '├── Kustomization/flux-system/apps',
        '│   ├── ConfigMap/apps/web',
        '│   └── Kustomization/flux-system/flux-system',
        '└── Namespace/shared',
        '',
      ].join('\n'),
    );
  });

  it("draws a HelmRelease's objects from its release manifest, in the release namespace unless cluster-scoped", async () => {
    const manifest = [
      '---\n# Source: cache/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: cache\n',
      '---\n# Source: cache/templates/role.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cache-reader\n',
      '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cache\n  namespace: other\n',
    ].join('');
    const release = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'apps', name: 'cache' };
    const tree = await ownedTree(release, async () => manifestReferences(manifest, 'apps'));
    expect(renderTree(tree)).toBe(['HelmRelease/apps/cache', '├── Service/apps/cache', '├── ClusterRole/cache-reader', '└── Deployment/other/cache', ''].join('\n'));
  });
});
