// deploy/, the worker pools inside a cluster: built with the real kustomize, applied to
// the local cluster with server-side apply, every object created, the pods admitted
// under the restricted Pod Security Standard and Available on the kwok nodes, and each
// pool's ServiceAccount allowed what its controller needs and refused what it does not,
// as the API server's own authorizer answers (SubjectAccessReview) and as the
// source-controller pool finds when it runs with its ServiceAccount's token.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { allTaskQueues, TaskQueue } from '../../common/task-queues.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../kube/client.js';
import { describeReference, referenceOf, type KubernetesObject } from '../../kube/objects.js';
import { requireBinary } from '../../tools/paths.js';
import { parseSettings } from '../../workers/settings.js';
import { startDiscovery } from '../../workers/discovery.js';
import { findCondition, type Condition } from '../../domain/conditions.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { eventually } from '../harness/eventually.js';
import { startTestWorkers, uniqueSuffix } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';

const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));
const namespace = 'kimbernetes-system';

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
}
interface Deployment extends KubernetesObject {
  spec: { template: { spec: { serviceAccountName: string; containers: Container[] } } };
  status?: { availableReplicas?: number; conditions?: unknown[] };
}

/** An action on a resource, as `kubectl auth can-i` names it: `update gitrepositories/status`. */
interface Access {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

const access = (verb: string, resource: string, group = ''): Access => ({ verb, group, resource, namespace: 'default' });
const createDeployments = access('create', 'deployments', 'apps');
const deleteNamespaces = { ...access('delete', 'namespaces'), namespace: undefined };
const bindClusterRoles = { ...access('create', 'clusterrolebindings', 'rbac.authorization.k8s.io'), namespace: undefined };
const source = 'source.toolkit.fluxcd.io';
const kustomize = 'kustomize.toolkit.fluxcd.io';
const image = 'image.toolkit.fluxcd.io';
const notification = 'notification.toolkit.fluxcd.io';

/** What each pool's ServiceAccount may and may not do. */
const expectedAccess: Record<TaskQueue, { allowed: Access[]; denied: Access[] }> = {
  'source-controller': {
    allowed: [
      access('update', 'gitrepositories/status', source),
      access('watch', 'gitrepositories', source),
      access('get', 'secrets'),
      access('list', 'kustomizations', kustomize),
      access('list', 'receivers', notification),
      access('create', 'events'),
    ],
    denied: [
      createDeployments,
      deleteNamespaces,
      bindClusterRoles,
      access('list', 'secrets'),
      access('create', 'gitrepositories', source),
      access('update', 'kustomizations/status', kustomize),
      access('impersonate', 'serviceaccounts'),
    ],
  },
  'kustomize-controller': {
    allowed: [
      createDeployments,
      deleteNamespaces,
      access('update', 'kustomizations/status', kustomize),
      access('get', 'secrets'),
      access('impersonate', 'serviceaccounts'),
    ],
    denied: [],
  },
  'helm-controller': {
    allowed: [createDeployments, deleteNamespaces, access('update', 'helmreleases/status', 'helm.toolkit.fluxcd.io')],
    denied: [],
  },
  'notification-controller': {
    allowed: [access('update', 'receivers/status', notification), access('patch', 'kustomizations', kustomize), access('get', 'secrets')],
    denied: [createDeployments, deleteNamespaces, bindClusterRoles, access('update', 'gitrepositories/status', source), access('list', 'secrets')],
  },
  'image-reflector-controller': {
    allowed: [access('update', 'imagepolicies/status', image), access('get', 'serviceaccounts'), access('get', 'secrets')],
    denied: [createDeployments, deleteNamespaces, bindClusterRoles, access('update', 'imageupdateautomations/status', image)],
  },
  'image-automation-controller': {
    allowed: [access('update', 'imageupdateautomations/status', image), access('get', 'gitrepositories', source), access('list', 'imagepolicies', image)],
    denied: [createDeployments, deleteNamespaces, bindClusterRoles, access('update', 'gitrepositories/status', source), access('patch', 'imagepolicies', image)],
  },
};

describe('deploy/ in a cluster', () => {
  let objects: KubernetesObject[];
  let kubeConfig: KubeConfig;
  let kube: KubeClient;
  const fieldManager = 'kimbernetes-deploy-test';

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(requireBinary('kustomize'), ['build', deployDir], { maxBuffer: 16 << 20 });
    objects = parseAllDocuments(stdout).map((document) => document.toJS() as KubernetesObject);
    kubeConfig = loadKubeConfig(sharedEnvironment().kubeconfigPath);
    kube = createKubeClient(kubeConfig);
    // kustomize lists the Namespace first, so namespaced objects find it.
    for (const object of objects) await kube.apply(object, { fieldManager });
  });

  afterAll(async () => {
    if (!kube) return;
    for (const object of (objects ?? []).filter((o) => !o.metadata.namespace)) await kube.delete(referenceOf(object));
    await eventually(() => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }), (live) => live === undefined, {
      what: `namespace ${namespace} deleted`,
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
  });

  const deployments = () => objects.filter((object): object is Deployment => object.kind === 'Deployment');

  it('creates every object of the build', async () => {
    const kinds = new Set(objects.map((object) => object.kind));
    expect([...kinds].sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'NetworkPolicy', 'Service', 'ServiceAccount'].sort(),
    );
    const missing: string[] = [];
    for (const object of objects) {
      if (!(await kube.get(referenceOf(object)))) missing.push(describeReference(referenceOf(object)));
    }
    expect(missing).toEqual([]);
  });

  it('runs one Deployment per pool, as its own ServiceAccount, with settings the worker accepts', () => {
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, (o as { data?: Record<string, string> }).data ?? {}]));
    expect(deployments().map((d) => d.metadata.name).sort()).toEqual([...allTaskQueues].sort());
    for (const deployment of deployments()) {
      const { serviceAccountName, containers } = deployment.spec.template.spec;
      expect(serviceAccountName).toBe(deployment.metadata.name);
      expect(containers).toHaveLength(1);
      const container = containers[0]!;
      expect(container).toMatchObject({ image: 'kimbernetes:latest' });
      // The container's environment as the kubelet gives it, and $(VAR) in args expanded.
      const env: Record<string, string> = {};
      for (const from of container.envFrom ?? []) Object.assign(env, configMaps.get(from.configMapRef?.name ?? ''));
      for (const variable of container.env ?? []) {
        if (variable.value !== undefined) env[variable.name] = variable.value;
        if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[variable.name] = deployment.metadata.namespace!;
      }
      const args = (container.args ?? []).map((arg) => arg.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? ''));
      const settings = parseSettings(args, env);
      expect(settings.pools).toEqual([deployment.metadata.name]);
      expect(settings.temporal.address).toMatch(/^[\w.-]+:\d+$/);
      if (deployment.metadata.name === 'source-controller') {
        expect(settings.storage.advertisedUrl).toBe(`http://source-controller.${namespace}.svc.cluster.local.`);
      }
    }
  });

  it("gives each pool's ServiceAccount what its controller needs, and no more", async () => {
    const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
    const answers: string[] = [];
    const expected: string[] = [];
    for (const [pool, { allowed, denied }] of Object.entries(expectedAccess)) {
      for (const [want, list] of [['yes', allowed], ['no', denied]] as const) {
        for (const { verb, group, resource, namespace: where } of list) {
          const [plural, subresource] = resource.split('/');
          const review = await authorization.createSubjectAccessReview({
            body: {
              spec: {
                user: `system:serviceaccount:${namespace}:${pool}`,
                groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
                resourceAttributes: { verb, group, resource: plural, subresource, namespace: where },
              },
            },
          });
          const question = `${pool} can ${verb} ${resource}${group ? `.${group}` : ''}`;
          answers.push(`${question}: ${review.status?.allowed ? 'yes' : 'no'}`);
          expected.push(`${question}: ${want}`);
        }
      }
    }
    expect(answers).toEqual(expected);
  });

  /** An error's message and those of its causes: a workflow's failure names the activity's. */
  const causes = (error: unknown): string => {
    const messages: string[] = [];
    for (let e = error; e instanceof Error; e = e.cause) messages.push(e.message);
    return messages.join(': ');
  };

  /** The cluster as the pool's ServiceAccount sees it, through a token the API server issued. */
  async function serviceAccountKubeConfig(pool: TaskQueue): Promise<KubeConfig> {
    const request = await kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: pool,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = kubeConfig.getCurrentCluster()!;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [cluster],
      users: [{ name: pool, token: request.status!.token }],
      contexts: [{ name: pool, cluster: cluster.name, user: pool }],
      currentContext: pool,
    });
    return config;
  }

  it('runs the source-controller pool with its ServiceAccount: it watches, fetches, reports, wakes consumers and resyncs', async () => {
    const shared = sharedEnvironment();
    const tenant = `deploy-${uniqueSuffix()}`;
    const asPool = await serviceAccountKubeConfig(TaskQueue.Source);
    const workers = await startTestWorkers('deploy', [TaskQueue.Source], { kubeConfig: asPool, namespace: tenant });
    const taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const discovery = await startDiscovery({ address: shared.temporalAddress, namespace: shared.temporalNamespace }, asPool, [TaskQueue.Source], {
      namespace: tenant,
      taskQueuePrefix,
    });
    const repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({ 'app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n' }, 'add the app');
    const loops = [`gitrepository/${tenant}/fleet`, `kustomization/${tenant}/app`];
    try {
      await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: tenant } }, { fieldManager });
      await kube.apply(
        { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: tenant }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
        { fieldManager },
      );
      await kube.apply(
        {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: { name: 'app', namespace: tenant },
          spec: { interval: '1h', path: './app', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
        },
        { fieldManager },
      );
      // Watched (list, watch), fetched and reported (status, events) as the ServiceAccount.
      const gitRepository = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', namespace: tenant, name: 'fleet' };
      await eventually(
        async () => ((await kube.get(gitRepository))?.status as { conditions?: Condition[] } | undefined)?.conditions,
        (conditions) => findCondition(conditions, 'Ready')?.status === 'True',
        { what: 'GitRepository Ready' },
      );
      const events = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: tenant });
      expect(events.items.map((event) => `${event.reason}: ${event.message}`)).toContain("NewArtifact: stored artifact for commit 'add the app'");
      // Its consumers found (list kustomizations) and their loop started; else why not.
      const [sourceLoop, consumerLoop] = loops.map((id) => workers.client.workflow.getHandle(id));
      const woken = await eventually(
        async () => {
          if (await consumerLoop!.describe().then(() => true, () => false)) return 'started';
          const source = await sourceLoop!.describe();
          if (source.status.name !== 'RUNNING') return `the source's loop ${source.status.name}: ${await sourceLoop!.result().then(() => '', causes)}`;
          return (source.raw.pendingActivities ?? []).map((activity) => activity.lastFailure?.message).join('; ') || 'not started';
        },
        // A loop that ended will not start it any more.
        (state) => state === 'started' || state.startsWith("the source's loop"),
        { what: 'the Kustomization woken by its source' },
      );
      expect(woken).toBe('started');
      // The periodic resync lists every reconciled kind.
      const report = await workers.client.workflow.execute('resyncWorkflow', { taskQueue: workers.taskQueue(TaskQueue.Source), workflowId: `resync-${tenant}` });
      expect(report).toEqual({ objects: 2, orphans: 0 });
    } finally {
      for (const loop of loops) await workers.client.workflow.getHandle(loop).terminate('test over').catch(() => undefined);
      await discovery.stop();
      await workers.stop();
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: tenant });
    }
  });

  it('admits the pods under the restricted Pod Security Standard and makes every pool Available', async () => {
    for (const deployment of deployments()) {
      await eventually(
        // The status only: a pod that Pod Security refused shows in its ReplicaFailure condition.
        async () => ((await kube.get(referenceOf(deployment))) as Deployment | undefined)?.status,
        (status) => status?.availableReplicas === 1,
        { what: `Deployment ${deployment.metadata.name} Available`, timeoutMs: 120_000, intervalMs: 1_000 },
      );
    }
  });
});
