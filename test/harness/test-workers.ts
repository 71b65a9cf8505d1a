// Per-test-file isolation on the shared environment: each file runs its own worker
// pools on task queues of its own, and works in Kubernetes namespaces of its own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TaskQueue } from '../../common/task-queues.js';
import type { AccessFlags } from '../../domain/access-flags.js';
import { loadKubeConfig, type KubeClient } from '../../kube/client.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import { startWorkerProcess } from '../../workers/worker-process.js';
import { sharedEnvironment } from './shared-environment.js';

export interface TestWorkers {
  client: Client;
  kube: KubeClient;
  objects: FluxObjects;
  /** the task queue this file's pool for `queue` polls */
  taskQueue(queue: TaskQueue): string;
  /** where the notification-controller pool serves Receivers' webhooks, when it runs */
  receiverUrl?: string;
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

/**
 * This file's worker pools, wired as a worker process is (workers/worker-process.ts),
 * without the watcher and the resync Schedule: tests start loops and schedules
 * themselves where they test them.
 */
export async function startTestWorkers(
  testName: string,
  pools: readonly TaskQueue[],
  /**
   * the namespace this file's objects live in (for the periodic resync); a task queue prefix
   * to share; whom the pools act as in the cluster (the run's administrator by default);
   * Flux's access flags, as a worker's command line sets them
   */
  options: { namespace?: string; taskQueuePrefix?: string; kubeConfig?: KubeConfig; access?: AccessFlags } = {},
): Promise<TestWorkers> {
  installQuietRuntime();
  const shared = sharedEnvironment();
  const prefix = options.taskQueuePrefix ?? `${testName}-${uniqueSuffix()}/`;
  const worker = await startWorkerProcess({
    temporal: { address: shared.temporalAddress, namespace: shared.temporalNamespace },
    kubeConfig: options.kubeConfig ?? loadKubeConfig(shared.kubeconfigPath),
    pools,
    storage: { dir: join(mkdtempSync(join(tmpdir(), 'kimbernetes-artifacts-')), 'store'), listen: '127.0.0.1:0' },
    namespace: options.namespace,
    taskQueuePrefix: prefix,
    workflowBundle: { codePath: shared.workflowBundlePath },
    watch: false,
    resyncSchedule: false,
    healthPollIntervalMs: 500,
    access: options.access,
    receiverListen: '127.0.0.1:0',
  });
  const runs = worker.run();
  return {
    client: worker.client,
    kube: worker.kube,
    objects: worker.objects,
    taskQueue: (queue) => `${prefix}${queue}`,
    receiverUrl: worker.receiverServer?.url,
    async stop() {
      worker.shutdown();
      await runs;
    },
  };
}
