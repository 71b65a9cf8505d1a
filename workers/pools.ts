// The worker pools: one Temporal worker per controller task queue, each with that
// controller's activities and the shared workflow bundle. A process runs one pool (to
// scale it out) or all of them (the embedded default).
import type { AccessFlags } from '../domain/access-flags.js';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Runtime, Worker, type Logger, type NativeConnection, type WorkflowBundleWithSourceMap, type WorkflowBundleOption } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { TaskQueue } from '../common/task-queues.js';
import type { KubeClient } from '../kube/client.js';
import { createClusterTargets, type ClusterTargets } from '../kube/targets.js';
import { createFluxObjects, type FluxObjects } from '../kube/flux-objects.js';
import { createTokenBucket, defaultRateLimit, type RateLimit } from '../kube/rate-limit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { createSmokeTestActivities } from '../activities/smoke-test.js';
import { createHealthActivities } from '../activities/health.js';
import { createGitRepositoryActivities } from '../activities/gitrepository/index.js';
import { createHelmChartActivities } from '../activities/helmchart/index.js';
import { createHelmRepositoryActivities } from '../activities/helmrepository/index.js';
import { createOCIRepositoryActivities } from '../activities/ocirepository/index.js';
import { createHelmReleaseActivities } from '../activities/helmrelease/index.js';
import { kubeconfigText } from '../kube/tool-kubeconfig.js';
import { reconcileObject } from '../temporal/object-loops.js';
import { createResyncActivities } from '../activities/resync.js';
import { createDependentsActivities } from '../activities/dependents.js';
import { createKustomizationActivities } from '../activities/kustomization/index.js';
import { createNotificationActivities } from '../activities/notification/index.js';
import { createReceiverActivities } from '../activities/receiver/index.js';
import { eventForwarder, forwardingEvents } from '../temporal/event-dispatch.js';
import { createLegacyGitRepositoryActivities, createLegacyKustomizationActivities } from '../activities/legacy.js';
import { reconciledKinds, servesWorkflows } from '../common/loop-kinds.js';
import { fieldManager } from '../apply/target.js';

export interface PoolDependencies {
  kube: KubeClient;
  /** the clusters Kustomizations apply to: the worker's own, impersonated, or remote */
  clusters: ClusterTargets;
  objects: FluxObjects;
  /** the source-controller pool's artifact store (served over HTTP by that pool) */
  artifacts?: ArtifactStore;
  /**
   * For activities that start or signal other objects' loops (the periodic resync, a
   * source's dependents): a Temporal client, the watched namespace, the queue prefix.
   */
  temporal?: { client: Client; namespace?: string; taskQueuePrefix?: string };
  /** how often health checks poll the cluster */
  healthPollIntervalMs?: number;
  /** Flux's StrictPostBuildSubstitutions feature gate */
  strictSubstitution?: boolean;
  /** Flux's --no-cross-namespace-refs, --default-service-account, --no-remote-bases, --sops-age-secret */
  access?: AccessFlags;
  /** Flux's AdditiveCELDependencyCheck feature gate */
  additiveCELDependencyCheck?: boolean;
  /** the worker's own cluster as a kubeconfig's text, for the helm it runs */
  kubeconfig?: string;
  /** Flux's --rate-limit-interval: the window in which the same event is dispatched once */
  rateLimitIntervalMs?: number;
}

/** The Kubernetes side of the pools' dependencies, for one kubeconfig. */
export function kubernetesDependencies(kubeConfig: KubeConfig, rateLimit?: RateLimit): Pick<PoolDependencies, 'kube' | 'clusters' | 'objects' | 'kubeconfig'> {
  // One rate limit for the requests to the worker's own cluster (applies, reads, status
  // writes), as a Flux controller's client has, and one for events, as its event
  // recorder's own client has: Flux's QPS and burst are the contract.
  const limit = rateLimit ?? defaultRateLimit;
  const throttle = createTokenBucket(limit);
  const objects = createFluxObjects(kubeConfig, { throttle, eventThrottle: createTokenBucket(limit) });
  const clusters = createClusterTargets({ kubeConfig, rateLimit: limit, localThrottle: throttle, readSecret: (namespace, name) => objects.getSecretData(namespace, name) });
  return { kube: clusters.local, clusters, objects, kubeconfig: kubeconfigText(kubeConfig) };
}

/** Running compiled (from dist/, as `npm run build` makes it) rather than from the TypeScript source. */
const compiled = import.meta.url.endsWith('.js');
export const workflowsPath = fileURLToPath(new URL(`../workflows/index.${compiled ? 'js' : 'ts'}`, import.meta.url));
/** The workflow bundle `npm run build` made beside the compiled code: a worker started from there skips webpack. */
const prebuiltBundle = compiled ? fileURLToPath(new URL('../workflow-bundle.js', import.meta.url)) : undefined;

/**
 * This worker's own task queue for a pool: a reconcile's steps after the first run there,
 * where its workspace is. Unique per process, so a restarted worker never takes a step
 * whose workspace it no longer holds.
 */
export function workerQueueOf(queue: string): string {
  return `${queue}/worker-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Activities each controller's pool serves; pools the product has not filled yet serve workflows only. */
export function poolActivities(queue: TaskQueue, poolDeps: PoolDependencies, workerQueue: string): object {
  const loops = poolDeps.temporal ? { objects: poolDeps.objects, ...poolDeps.temporal } : undefined;
  // The events a controller records reach the Alerts too, as Flux's controllers post
  // theirs to notification-controller.
  const forward =
    loops && eventForwarder(loops.client, { taskQueuePrefix: loops.taskQueuePrefix, rateLimitIntervalMs: poolDeps.rateLimitIntervalMs, warn: (message, details) => Runtime.instance().logger.warn(message, details) });
  const deps = forward ? { ...poolDeps, objects: forwardingEvents(poolDeps.objects, forward) } : poolDeps;
  switch (queue) {
    case TaskQueue.Source:
      if (!deps.artifacts) throw new Error('the source-controller pool needs an artifact store');
      return {
        ...createGitRepositoryActivities({ objects: deps.objects, store: deps.artifacts, workerQueue }),
        ...createHelmRepositoryActivities({ objects: deps.objects, store: deps.artifacts, workerQueue }),
        ...createOCIRepositoryActivities({ objects: deps.objects, store: deps.artifacts, workerQueue }),
        ...createHelmChartActivities({ objects: deps.objects, store: deps.artifacts, workerQueue }),
        ...createLegacyGitRepositoryActivities(),
        ...(loops ? createResyncActivities({ ...loops, kinds: reconciledKinds }) : {}),
        ...(loops ? createDependentsActivities(loops) : {}),
      };
    case TaskQueue.Kustomize:
      return {
        ...createKustomizationActivities({
          clusters: deps.clusters,
          objects: deps.objects,
          workerQueue,
          healthPollIntervalMs: deps.healthPollIntervalMs,
          strictSubstitution: deps.strictSubstitution,
          access: deps.access,
          additiveCELDependencyCheck: deps.additiveCELDependencyCheck,
        }),
        ...createLegacyKustomizationActivities(),
        ...(loops ? createDependentsActivities(loops) : {}),
        ...createSmokeTestActivities({ kube: deps.kube, fieldManager }),
        ...createHealthActivities({ clusters: deps.clusters, pollIntervalMs: deps.healthPollIntervalMs }),
      };
    case TaskQueue.Helm:
      if (!deps.kubeconfig) throw new Error('the helm-controller pool needs the kubeconfig its helm runs with');
      return {
        ...createHelmReleaseActivities({
          kube: deps.kube,
          clusters: deps.clusters,
          objects: deps.objects,
          workerQueue,
          kubeconfig: deps.kubeconfig,
          requestReconcile: loops && ((ref) => reconcileObject(loops.client, ref, { taskQueuePrefix: loops.taskQueuePrefix }).then(() => undefined)),
          additiveCELDependencyCheck: deps.additiveCELDependencyCheck,
        }),
        ...(loops ? createDependentsActivities(loops) : {}),
      };
    case TaskQueue.Notification:
      // Its own Warnings (on Alerts) are Kubernetes Events only, as notification-controller's are.
      return {
        ...createNotificationActivities({ objects: poolDeps.objects, noCrossNamespaceRefs: deps.access?.noCrossNamespaceRefs }),
        ...createReceiverActivities({ objects: poolDeps.objects }),
      };
    default:
      return {};
  }
}

/** A process whose pools have nothing to serve yet stays up (a Deployment per pool must not crash-loop) until asked to stop. */
function idleUntilShutdown(): RunningPools {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  return { run: () => stopped, shutdown: () => stop() };
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
  maxCachedWorkflows?: number;
}

export interface RunningPools {
  /** resolves when every worker has stopped */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Two Temporal workers per pool: one on the controller's queue (workflows, and the first
 * step of each reconcile), one on this process's own queue for that pool (the later
 * steps), sharing one set of activities and so one set of workspaces.
 */
export async function createPools(options: PoolsOptions): Promise<RunningPools> {
  // A controller without loops yet is not polled: each Temporal worker that runs workflows
  // holds a workflow thread with the whole bundle loaded, about 45 MiB, for a queue that
  // would never carry a task.
  const served = options.pools.filter(servesWorkflows);
  if (served.length === 0) return idleUntilShutdown();
  const workflowBundle =
    options.workflowBundle ?? (prebuiltBundle && existsSync(prebuiltBundle) ? { codePath: prebuiltBundle } : await bundleWorkflows(options.bundlerLogger));
  const perPool = await Promise.all(
    served.map(async (queue) => {
      const taskQueue = `${options.taskQueuePrefix ?? ''}${queue}`;
      const workerQueue = workerQueueOf(taskQueue);
      const activities = poolActivities(queue, options.deps, workerQueue);
      const connection = options.connection;
      const namespace = options.namespace;
      const hasActivities = Object.keys(activities).length > 0;
      return Promise.all([
        // Workflow tasks the worker takes at once: beyond what its workflow thread serves
        // within Temporal's 10 s, a burst of reconciles times them out and redoes them.
        Worker.create({ connection, namespace, taskQueue, workflowBundle, activities, maxConcurrentWorkflowTaskExecutions: 10, maxCachedWorkflows: options.maxCachedWorkflows }),
        // Health waits hold their slot while they wait, mostly idle: far more of them fit
        // than the default 100 before the other steps of new reconciles would queue.
        ...(hasActivities ? [Worker.create({ connection, namespace, taskQueue: workerQueue, activities, maxConcurrentActivityTaskExecutions: 1000 })] : []),
      ]);
    }),
  );
  const workers = perPool.flat();
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
