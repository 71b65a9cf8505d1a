// deploy/, the worker pools inside a cluster: built with the real kustomize, applied to
// the local cluster with server-side apply, every object created, the pods admitted
// under the restricted Pod Security Standard and Available on the kwok nodes, and each
// pool's ServiceAccount allowed what its controller needs and refused what it does not,
// as the API server's own authorizer answers (SubjectAccessReview).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { allTaskQueues, type TaskQueue } from '../../common/task-queues.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../kube/client.js';
import { describeReference, referenceOf, type KubernetesObject } from '../../kube/objects.js';
import { requireBinary } from '../../tools/paths.js';
import { parseSettings } from '../../workers/settings.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { eventually } from '../harness/eventually.js';

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
