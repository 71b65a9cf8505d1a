// Runs the watcher for the kinds whose controllers run in this process, and makes sure
// the Schedule of the periodic resync exists.
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TaskQueue } from '../common/task-queues.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { fluxKinds, type FluxKindName } from '../kube/flux-kinds.js';
import type { TemporalSettings } from './settings.js';
import { tlsConfig } from '../temporal/tls.js';
import { startWatcher, type Watcher } from './watcher.js';
import { createFluxObjects, type FluxObjects } from '../kube/flux-objects.js';
import { reconciledKinds } from '../common/loop-kinds.js';

/** Kinds that have a reconcile loop and whose controller is one of `pools`. */
export function watchedKinds(pools: readonly TaskQueue[]): FluxKindName[] {
  return reconciledKinds.filter((kind) => pools.includes(fluxKinds[kind].controller));
}

export async function startDiscovery(
  temporal: TemporalSettings,
  kubeConfig: KubeConfig,
  pools: readonly TaskQueue[],
  options: { namespace?: string; taskQueuePrefix?: string; log?: (entry: Record<string, unknown>) => void; objects?: FluxObjects } = {},
): Promise<Watcher & { client: Client }> {
  const connection = await Connection.connect({ address: temporal.address, tls: await tlsConfig(temporal), apiKey: temporal.apiKey });
  const client = new Client({ connection, namespace: temporal.namespace });
  const { objects = createFluxObjects(kubeConfig), ...rest } = options;
  const watcher = await startWatcher({ kubeConfig, objects, client, kinds: watchedKinds(pools), ...rest });
  return {
    client,
    async stop() {
      await watcher.stop();
      await connection.close();
    },
  };
}

export const resyncScheduleId = 'kimbernetes-resync';

/** Creates the resync Schedule once; a worker that finds it already there leaves it. */
export async function ensureResyncSchedule(client: Client, options: { every?: string; taskQueuePrefix?: string; scheduleId?: string } = {}): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: options.scheduleId ?? resyncScheduleId,
      spec: { intervals: [{ every: options.every ?? '10m' }] },
      action: { type: 'startWorkflow', workflowType: 'resyncWorkflow', taskQueue: `${options.taskQueuePrefix ?? ''}${TaskQueue.Source}` },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
