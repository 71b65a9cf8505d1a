// One worker process, wired once for every way it runs — `npm run worker`, the embedded
// default (`npm run dev`, `npm run demo`), the bench and the test harness: the Temporal
// connection, the artifact storage (source-controller pool), the watcher, the resync
// Schedule and the worker pools.
import type { AccessFlags } from '../domain/access-flags.js';
import { Client, Connection } from '@temporalio/client';
import type { Logger, WorkflowBundleOption } from '@temporalio/worker';
import type { KubeConfig } from '@kubernetes/client-node';
import { TaskQueue } from '../common/task-queues.js';
import type { KubeClient } from '../kube/client.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { RateLimit } from '../kube/rate-limit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { ArtifactServer } from '../artifacts/server.js';
import { startArtifactStorage, type StorageSettings } from './artifact-storage.js';
import { connectWorker } from './connection.js';
import { tlsConfig } from '../temporal/tls.js';
import { ensureResyncSchedule, resyncScheduleId, startDiscovery } from './discovery.js';
import { createPools, kubernetesDependencies } from './pools.js';
import { startReceiverServer, type ReceiverServer } from '../notification/receiver-server.js';
import { reconcileObject } from '../temporal/object-loops.js';
import { isReconciled } from '../common/loop-kinds.js';
import type { TemporalSettings } from './settings.js';

export interface WorkerProcessOptions {
  temporal: TemporalSettings;
  kubeConfig: KubeConfig;
  pools: readonly TaskQueue[];
  /** where the source-controller pool keeps and serves artifacts (required with that pool) */
  storage?: StorageSettings;
  /** watch and resync one namespace only */
  namespace?: string;
  taskQueuePrefix?: string;
  kubeApi?: RateLimit;
  maxCachedWorkflows?: number;
  workflowBundle?: WorkflowBundleOption;
  bundlerLogger?: Logger;
  /** watch the Flux objects and start their loops (off: the caller signals loops itself) */
  watch?: boolean;
  /** create the resync Schedule if missing (with the source-controller pool); on by default */
  resyncSchedule?: boolean;
  healthPollIntervalMs?: number;
  /** Flux's StrictPostBuildSubstitutions feature gate */
  strictSubstitution?: boolean;
  /** Flux's --no-cross-namespace-refs, --default-service-account, --no-remote-bases, --sops-age-secret */
  access?: AccessFlags;
  /** Flux's AdditiveCELDependencyCheck feature gate */
  additiveCELDependencyCheck?: boolean;
  /** notification-controller's --rate-limit-interval */
  rateLimitIntervalMs?: number;
  /** where the notification-controller pool serves Receivers' webhooks (its --receiver-addr); none: not served */
  receiverListen?: string;
  log?: (entry: Record<string, unknown>) => void;
}

export interface WorkerProcess {
  client: Client;
  kube: KubeClient;
  objects: FluxObjects;
  store?: ArtifactStore;
  artifactServer?: ArtifactServer;
  /** the webhook server of the notification-controller pool, when it runs */
  receiverServer?: ReceiverServer;
  /** resolves once the pools stopped and everything the process opened is closed */
  run(): Promise<void>;
  /** asks the pools to stop (Ctrl-C); `run()` then finishes */
  shutdown(): void;
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { temporal, kubeConfig, pools, namespace, taskQueuePrefix } = options;
  const connection = await connectWorker(temporal);
  const kubernetes = kubernetesDependencies(kubeConfig, options.kubeApi);
  const runsSource = pools.includes(TaskQueue.Source);
  if (runsSource && !options.storage) throw new Error('the source-controller pool needs artifact storage settings');
  // Only the source-controller pool stores and serves artifacts.
  const storage = runsSource ? await startArtifactStorage(options.storage!) : undefined;
  const discovery =
    options.watch === false
      ? undefined
      : await startDiscovery(temporal, kubeConfig, pools, { namespace, taskQueuePrefix, log: options.log, objects: kubernetes.objects });
  const clientConnection = discovery ? undefined : await Connection.connect({ address: temporal.address, tls: await tlsConfig(temporal), apiKey: temporal.apiKey });
  const client = discovery?.client ?? new Client({ connection: clientConnection!, namespace: temporal.namespace });
  const running = await createPools({
    connection,
    namespace: temporal.namespace,
    pools,
    deps: {
      ...kubernetes,
      artifacts: storage?.store,
      temporal: { client, namespace, taskQueuePrefix },
      healthPollIntervalMs: options.healthPollIntervalMs,
      strictSubstitution: options.strictSubstitution,
      access: options.access,
      additiveCELDependencyCheck: options.additiveCELDependencyCheck,
      rateLimitIntervalMs: options.rateLimitIntervalMs,
    },
    taskQueuePrefix,
    maxCachedWorkflows: options.maxCachedWorkflows,
    workflowBundle: options.workflowBundle,
    bundlerLogger: options.bundlerLogger,
  });
  if (runsSource && options.resyncSchedule !== false) {
    await ensureResyncSchedule(client, { taskQueuePrefix, scheduleId: `${taskQueuePrefix ?? ''}${resyncScheduleId}` });
  }
  // Receivers' webhooks: each resource a call names is annotated and its loop signalled.
  const receiverServer =
    pools.includes(TaskQueue.Notification) && options.receiverListen
      ? await startReceiverServer({
          objects: kubernetes.objects,
          listen: options.receiverListen,
          requestReconcile: async (ref, requestedAt) => {
            if (isReconciled(ref.kind)) await reconcileObject(client, ref, { taskQueuePrefix, requestedAt });
          },
          noCrossNamespaceRefs: options.access?.noCrossNamespaceRefs,
          log: options.log,
        })
      : undefined;
  let runs: Promise<void> | undefined;
  return {
    client,
    kube: kubernetes.kube,
    objects: kubernetes.objects,
    store: storage?.store,
    artifactServer: storage?.server,
    receiverServer,
    run() {
      runs ??= (async () => {
        try {
          await running.run();
        } finally {
          await discovery?.stop();
          kubernetes.clusters.close();
          await clientConnection?.close();
          await storage?.server.close();
          await receiverServer?.close();
          await connection.close();
        }
      })();
      return runs;
    },
    shutdown() {
      running.shutdown();
    },
  };
}
