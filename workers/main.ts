// A worker process: runs the pools named by --pool (default: all six) against an
// existing Temporal server and cluster. `npm run worker -- --pool source-controller`.
import { SettingsError, parseSettings } from './settings.js';
import { installWorkerRuntime, jsonLogger, logLine } from './logging.js';
import { onShutdownSignal } from './signals.js';
import { loadKubeConfig } from '../kube/client.js';
import { countRequestsTo } from '../kube/request-count.js';
import { startWorkerProcess } from './worker-process.js';

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  installWorkerRuntime();
  const kubeConfig = loadKubeConfig(settings.kubeconfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  const requests = server ? countRequestsTo(server) : undefined;
  const worker = await startWorkerProcess({
    temporal: settings.temporal,
    kubeConfig,
    pools: settings.pools,
    storage: settings.storage,
    namespace: settings.watchNamespace,
    taskQueuePrefix: settings.taskQueuePrefix,
    kubeApi: settings.kubeApi,
    maxCachedWorkflows: settings.maxCachedWorkflows,
    strictSubstitution: settings.featureGates.StrictPostBuildSubstitutions,
    access: settings.access,
    additiveCELDependencyCheck: settings.featureGates.AdditiveCELDependencyCheck,
    rateLimitIntervalMs: settings.rateLimitIntervalMs,
    receiverListen: settings.receiverListen,
    workflowBundle: settings.workflowBundlePath ? { codePath: settings.workflowBundlePath } : undefined,
    bundlerLogger: jsonLogger('WARN'),
    log: logLine,
  });
  onShutdownSignal(() => worker.shutdown());
  await worker.run();
  logLine({ level: 'info', msg: 'worker stopped', kubeApiRequests: requests?.total(), kubeApiRequestsByKind: requests?.byKind() });
}

main().catch((error: unknown) => {
  const message = error instanceof SettingsError ? `invalid settings: ${error.message}` : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
