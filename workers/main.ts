// A worker process: runs the pools named by --pool (default: all six) against an
// existing Temporal server and cluster. `npm run worker -- --pool source-controller`.
import { SettingsError, parseSettings } from './settings.js';
import { installWorkerRuntime, jsonLogger, logLine } from './logging.js';
import { onShutdownSignal } from './signals.js';
import { connectWorker } from './connection.js';
import { createPools, kubernetesDependencies } from './pools.js';
import { loadKubeConfig } from '../kube/client.js';
import { TaskQueue } from '../common/task-queues.js';
import { startArtifactStorage } from './artifact-storage.js';
import { ensureResyncSchedule, resyncScheduleId, startDiscovery } from './discovery.js';

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  installWorkerRuntime();
  const connection = await connectWorker(settings.temporal);
  const kubeConfig = loadKubeConfig(settings.kubeconfig);
  // Only the source-controller pool stores and serves artifacts.
  const storage = settings.pools.includes(TaskQueue.Source) ? await startArtifactStorage(settings.storage) : undefined;
  const { taskQueuePrefix, watchNamespace: namespace } = settings;
  const discovery = await startDiscovery(settings.temporal, kubeConfig, settings.pools, {
    namespace,
    taskQueuePrefix,
    log: logLine,
  });
  const pools = await createPools({
    connection,
    namespace: settings.temporal.namespace,
    pools: settings.pools,
    deps: {
      ...kubernetesDependencies(kubeConfig, settings.kubeApi),
      artifacts: storage?.store,
      temporal: { client: discovery.client, kubeConfig, namespace, taskQueuePrefix },
    },
    taskQueuePrefix,
    workflowBundle: settings.workflowBundlePath ? { codePath: settings.workflowBundlePath } : undefined,
    bundlerLogger: jsonLogger('WARN'),
  });
  if (storage) await ensureResyncSchedule(discovery.client, { taskQueuePrefix, scheduleId: `${taskQueuePrefix}${resyncScheduleId}` });
  onShutdownSignal(() => pools.shutdown());
  await pools.run();
  await discovery.stop();
  await storage?.server.close();
  await connection.close();
}

main().catch((error: unknown) => {
  const message = error instanceof SettingsError ? `invalid settings: ${error.message}` : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
