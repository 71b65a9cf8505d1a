// Where and as whom a Kustomization applies: `serviceAccountName` impersonates that
// ServiceAccount, so the API server's RBAC decides what a tenant may change; and
// `kubeConfig.secretRef` applies to another cluster (a second real local cluster here),
// health checks and prune included.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../kube/client.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import { findCondition } from '../../domain/conditions.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { createKwokCluster, type KwokCluster } from '../../local/kwok.js';
import { requireBinary } from '../../tools/paths.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

const run = promisify(execFile);

describe('Kustomization targets', () => {
  let workers: TestWorkers;
  let remote: KwokCluster;
  let remoteKube: KubeClient;
  let taskQueuePrefix: string;
  const suffix = uniqueSuffix();
  const flux = `flux-${suffix}`;
  const tenant = `tenant-${suffix}`;
  const elsewhere = `elsewhere-${suffix}`;
  const ks = (name: string) => ({ kind: 'Kustomization' as const, namespace: flux, name });
  const status = async (name: string) => ((await workers.objects.get(ks(name)))?.status ?? {}) as KustomizationStatus;
  const ready = (s: KustomizationStatus) => findCondition(s.conditions, 'Ready');
  const configMapIn = (namespace: string, name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  owner: git\n`;
  const configMap = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  const kustomization = (name: string, spec: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: flux },
    spec: { interval: '1h', retryInterval: '1h', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' }, ...spec },
  });
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });

  async function reconciled(name: string, accept: (s: KustomizationStatus) => boolean, what: string) {
    await reconcileObject(workers.client, ks(name), { taskQueuePrefix });
    return eventually(() => status(name), accept, { what, timeoutMs: 90_000 });
  }

  beforeAll(async () => {
    // The remote cluster starts while this file's workers come up.
    const remoteCluster = createKwokCluster({ name: `remote-${suffix}`, workdir: mkdtempSync(join(tmpdir(), 'kimbernetes-remote-')), nodes: 1 });
    workers = await startTestWorkers('kustomization-targets', [TaskQueue.Source, TaskQueue.Kustomize], { namespace: flux });
    remote = await remoteCluster;
    remoteKube = createKubeClient(loadKubeConfig(remote.kubeconfigPath));
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);

    const repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({
      'tenant/settings.yaml': configMapIn(tenant, 'settings'),
      'escalating/settings.yaml': configMapIn(elsewhere, 'settings'),
      'remote/settings.yaml': configMapIn('default', `remote-${suffix}`),
    });
    for (const namespace of [flux, tenant, elsewhere]) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } });
    // The tenant's ServiceAccount may manage ConfigMaps in its own namespace, nothing else.
    await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: flux } });
    await apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'configmaps', namespace: tenant }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }] });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer', namespace: tenant },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: flux }],
    });
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace: flux, name: 'fleet' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    for (const namespace of [tenant, elsewhere, flux]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await remote?.stop();
  });

  it('applies as the ServiceAccount it names, within what RBAC allows it', async () => {
    await apply(kustomization('tenant', { path: './tenant', serviceAccountName: 'deployer' }));
    const applied = await reconciled('tenant', (s) => ready(s)?.status === 'True', 'tenant Ready');
    expect(applied.inventory?.entries.map((e) => e.id)).toEqual([`${tenant}_settings__ConfigMap`]);
    const live = await workers.kube.get(configMap(tenant, 'settings'));
    const managers = (live?.metadata.managedFields as { manager: string }[]).map((entry) => entry.manager);
    expect(managers).toContain('kustomize-controller');

    await apply(kustomization('escalating', { path: './escalating', serviceAccountName: 'deployer' }));
    const refused = await reconciled('escalating', (s) => ready(s)?.status === 'False', 'escalation refused');
    expect(ready(refused)?.reason).toBe('ReconciliationFailed');
    expect(ready(refused)?.message).toContain(`system:serviceaccount:${flux}:deployer`);
    expect(ready(refused)?.message).toContain('forbidden');
    expect(await workers.kube.get(configMap(elsewhere, 'settings'))).toBeUndefined();
  });

  it('applies to a remote cluster from a kubeconfig Secret, and prunes there when deleted', async () => {
    await apply(kustomization('remote', { path: './remote', wait: true, timeout: '1m', kubeConfig: { secretRef: { name: 'remote-kubeconfig' } } }));
    const missing = await reconciled('remote', (s) => ready(s)?.status === 'False', 'missing kubeconfig reported');
    expect(ready(missing)?.message).toContain(`kubeconfig Secret '${flux}/remote-kubeconfig' not found`);

    // A self-contained kubeconfig, as users store them: certificates inline, no file paths.
    const { stdout: kubeconfig } = await run(requireBinary('kubectl'), ['config', 'view', '--raw', '--minify', '--flatten', '--kubeconfig', remote.kubeconfigPath]);
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'remote-kubeconfig', namespace: flux }, stringData: { value: kubeconfig } });
    const applied = await reconciled('remote', (s) => ready(s)?.status === 'True', 'remote Ready');
    expect(findCondition(applied.conditions, 'Healthy')?.status).toBe('True');
    expect((await remoteKube.get(configMap('default', `remote-${suffix}`)))?.data).toEqual({ owner: 'git' });
    expect(await workers.kube.get(configMap('default', `remote-${suffix}`))).toBeUndefined();

    await workers.kube.delete({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace: flux, name: 'remote' });
    await reconcileObject(workers.client, ks('remote'), { taskQueuePrefix });
    await eventually(() => remoteKube.get(configMap('default', `remote-${suffix}`)), (object) => object === undefined, { what: 'pruned on the remote cluster' });
  });

  it('refuses a kubeconfig that would run a program on the worker', async () => {
    const exec = `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]\nusers: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/sh } } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n`;
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'exec-kubeconfig', namespace: flux }, stringData: { value: exec } });
    await apply(kustomization('exec', { path: './remote', kubeConfig: { secretRef: { name: 'exec-kubeconfig' } } }));
    const refused = await reconciled('exec', (s) => ready(s)?.status === 'False', 'exec refused');
    expect(ready(refused)?.message).toContain("uses 'exec', which a kubeconfig from a Secret may not");
  });
});
