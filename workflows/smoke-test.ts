// The smoke test: proves a worker pool can reach the cluster by applying a Namespace,
// a ConfigMap and a Deployment with server-side apply and waiting until the Deployment
// is Available. It exercises the same apply and health activities a Kustomization uses.
import { proxyActivities } from '@temporalio/workflow';
import type { createSmokeTestActivities, AppliedObject } from '../activities/smoke-test.js';
import type { createHealthActivities } from '../activities/health.js';
import type { KubernetesObject } from '../kube/objects.js';

const { applyObjects } = proxyActivities<ReturnType<typeof createSmokeTestActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const { waitForHealthy } = proxyActivities<ReturnType<typeof createHealthActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export interface SmokeTestInput {
  namespace: string;
  /** name of the ConfigMap and the Deployment */
  name: string;
  timeoutMs?: number;
}

export interface SmokeTestResult {
  applied: AppliedObject[];
}

export async function smokeTest({ namespace, name, timeoutMs = 120_000 }: SmokeTestInput): Promise<SmokeTestResult> {
  const [namespaceObject, configMap, deployment] = smokeTestObjects(namespace, name);
  // The Namespace must exist before anything is created in it.
  const applied = [...(await applyObjects([namespaceObject])), ...(await applyObjects([configMap, deployment]))];
  await waitForHealthy({
    objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }],
    deadline: Date.now() + timeoutMs,
  });
  return { applied };
}

function smokeTestObjects(namespace: string, name: string): [KubernetesObject, KubernetesObject, KubernetesObject] {
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'kimbernetes' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { greeting: 'hello from kimbernetes' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        template: {
          metadata: { labels },
          spec: {
            containers: [{ name: 'app', image: 'registry.local/smoke-test:1.0', envFrom: [{ configMapRef: { name } }] }],
          },
        },
      },
    },
  ];
}
