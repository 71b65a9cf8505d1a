// The worker pools: one Temporal worker per controller task queue, each with that
// controller's activities and the shared workflow bundle. A process runs one pool (to
// scale it out) or all of them (the embedded default).
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type Logger, type NativeConnection, type WorkflowBundleWithSourceMap, type WorkflowBundleOption } from '@temporalio/worker';
import { TaskQueue } from '../common/task-queues.js';
import type { KubeClient } from '../kube/client.js';
import { createClusterTargets, type ClusterTargets } from '../kube/targets.js';
import { createFluxObjects } from '../kube/status.js';
import type { RateLimit } from '../kube/rate-limit.js';
import { createApplyActivities } from '../activities/apply.js';
import { createHealthActivities } from '../activities/health.js';
import { createGitRepositoryActivities } from '../activities/gitrepository.js';
import { createResyncActivities } from '../activities/resync.js';
import { createDependentsActivities } from '../activities/dependents.js';
import { createKustomizationActivities } from '../activities/kustomization.js';
import { reconciledKinds } from './object-workflows.js';
import type { Client } from '@temporalio/client';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FluxObjects } from '../kube/status.js';
import type { ArtifactStore } from '../artifacts/store.js';

export interface PoolDependencies {
  kube: KubeClient;
  /** the clusters Kustomizations apply to: the worker's own, impersonated, or remote */
  clusters: ClusterTargets;
  objects: FluxObjects;
  /** the source-controller pool's artifact store (served over HTTP by that pool) */
  artifacts?: ArtifactStore;
  /**
   * For activities that start or signal other objects' loops (the periodic resync, a
   * source's dependents): a Temporal client, and where to look for objects.
   */
  temporal?: { client: Client; kubeConfig: KubeConfig; namespace?: string; taskQueuePrefix?: string };
  /** how often health checks poll the cluster */
  healthPollIntervalMs?: number;
}

/** The Kubernetes side of the pools' dependencies, for one kubeconfig. */
export function kubernetesDependencies(kubeConfig: KubeConfig, rateLimit?: RateLimit): Pick<PoolDependencies, 'kube' | 'clusters' | 'objects'> {
  const objects = createFluxObjects(kubeConfig);
  const clusters = createClusterTargets({ kubeConfig, rateLimit, readSecret: (namespace, name) => objects.getSecretData(namespace, name) });
  return { kube: clusters.local, clusters, objects };
}

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Activities each controller's pool serves; pools the product has not filled yet serve workflows only. */
export function poolActivities(queue: TaskQueue, deps: PoolDependencies): object {
  switch (queue) {
    case TaskQueue.Source:
      if (!deps.artifacts) throw new Error('the source-controller pool needs an artifact store');
      return {
        ...createGitRepositoryActivities({ objects: deps.objects, store: deps.artifacts }),
        ...(deps.temporal ? createResyncActivities({ ...deps.temporal, kinds: reconciledKinds }) : {}),
        ...(deps.temporal ? createDependentsActivities(deps.temporal) : {}),
      };
    case TaskQueue.Kustomize:
      return {
        ...createKustomizationActivities({ clusters: deps.clusters, objects: deps.objects }),
        ...(deps.temporal ? createDependentsActivities(deps.temporal) : {}),
        ...createApplyActivities({ kube: deps.kube, fieldManager: 'kustomize-controller' }),
        ...createHealthActivities({ clusters: deps.clusters, pollIntervalMs: deps.healthPollIntervalMs }),
      };
    default:
      return {};
  }
}

/** Bundles the workflow code; webpack's report goes to `logger`, if given, at its level. */
export async function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger });
}

export interface PoolsOptions {
  connection: NativeConnection;
  namespace: string;
  pools: readonly TaskQueue[];
  deps: PoolDependencies;
  /** a bundle made earlier (tests bundle once per run); made here when absent */
  workflowBundle?: WorkflowBundleOption;
  bundlerLogger?: Logger;
  /** prefix for task queue names, so test files do not share queues */
  taskQueuePrefix?: string;
}

export interface RunningPools {
  /** resolves when every worker has stopped */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createPools(options: PoolsOptions): Promise<RunningPools> {
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows(options.bundlerLogger));
  const workers = await Promise.all(
    options.pools.map((queue) =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: `${options.taskQueuePrefix ?? ''}${queue}`,
        workflowBundle,
        activities: poolActivities(queue, options.deps),
      }),
    ),
  );
  return {
    async run() {
      await Promise.all(workers.map((worker) => worker.run()));
    },
    shutdown() {
      for (const worker of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
    },
  };
}
