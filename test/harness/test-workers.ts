// Per-test-file isolation on the shared environment: each file runs its own worker
// pools on task queues of its own, and works in Kubernetes namespaces of its own.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { TaskQueue } from '../../common/task-queues.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig, type KubeClient } from '../../kube/client.js';
import type { FluxObjects } from '../../kube/status.js';
import { startArtifactStorage } from '../../workers/artifact-storage.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPools, kubernetesDependencies, type RunningPools } from '../../workers/pools.js';
import { sharedEnvironment } from './shared-environment.js';

export interface TestWorkers {
  client: Client;
  kube: KubeClient;
  objects: FluxObjects;
  /** the task queue this file's pool for `queue` polls */
  taskQueue(queue: TaskQueue): string;
  stop(): Promise<void>;
}

/** A short random suffix that keeps names of concurrent test files apart. */
export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

let runtimeInstalled = false;

/** Worker logs at WARN and above only, so test output shows what went wrong. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

export async function startTestWorkers(
  testName: string,
  pools: readonly TaskQueue[],
  /**
   * the namespace this file's objects live in (for the periodic resync); a task queue prefix
   * to share; whom the pools act as in the cluster (the run's administrator by default)
   */
  options: { namespace?: string; taskQueuePrefix?: string; kubeConfig?: KubeConfig } = {},
): Promise<TestWorkers> {
  installQuietRuntime();
  const shared = sharedEnvironment();
  const prefix = options.taskQueuePrefix ?? `${testName}-${uniqueSuffix()}/`;
  const kubeConfig = options.kubeConfig ?? loadKubeConfig(shared.kubeconfigPath);
  const kubernetes = kubernetesDependencies(kubeConfig);
  const { kube, objects } = kubernetes;
  const storage = await startArtifactStorage({ dir: join(mkdtempSync(join(tmpdir(), 'kimbernetes-artifacts-')), 'store'), listen: '127.0.0.1:0' });
  const clientConnection = await Connection.connect({ address: shared.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: shared.temporalNamespace });
  const workerConnection = await NativeConnection.connect({ address: shared.temporalAddress });
  const running: RunningPools = await createPools({
    connection: workerConnection,
    namespace: shared.temporalNamespace,
    pools,
    deps: {
      ...kubernetes,
      artifacts: storage.store,
      temporal: { client, kubeConfig, namespace: options.namespace, taskQueuePrefix: prefix },
      healthPollIntervalMs: 500,
    },
    workflowBundle: { codePath: shared.workflowBundlePath },
    taskQueuePrefix: prefix,
  });
  const runs = running.run();
  return {
    client,
    kube,
    objects,
    taskQueue: (queue) => `${prefix}${queue}`,
    async stop() {
      running.shutdown();
      await runs;
      await storage.server.close();
      await workerConnection.close();
      await clientConnection.close();
    },
  };
}
