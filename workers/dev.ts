// `npm run dev`: the embedded default. A Temporal dev server with its Web UI, a local
// kwok cluster with fake nodes and the Flux CRDs installed, and all six worker pools in
// this one process, with the watcher that starts each object's reconcile loop.
// Ctrl-C stops the pools, then the cluster and the server.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startLocalEnvironment } from '../local/environment.js';
import { installCrds } from '../local/crds.js';
import { loadKubeConfig } from '../kube/client.js';
import { startArtifactStorage } from './artifact-storage.js';
import { ensureResyncSchedule, startDiscovery } from './discovery.js';
import { allTaskQueues } from '../common/task-queues.js';
import { installWorkerRuntime, jsonLogger, logLine } from './logging.js';
import { onShutdownSignal } from './signals.js';
import { connectWorker } from './connection.js';
import { createPools, kubernetesDependencies } from './pools.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    'temporal-port': { type: 'string', default: '7233' },
    'ui-port': { type: 'string', default: '8233' },
    nodes: { type: 'string', default: '3' },
    'state-dir': { type: 'string' },
  },
});

const stateDir = values['state-dir'] ?? process.env.KIMBERNETES_STATE_DIR ?? fileURLToPath(new URL('../.kimbernetes/dev', import.meta.url));

async function main(): Promise<void> {
  let stopRequested = false;
  let stopPools = () => {};
  onShutdownSignal(() => {
    stopRequested = true;
    stopPools();
  });

  process.stderr.write('starting the Temporal dev server and the local cluster...\n');
  const environment = await startLocalEnvironment({
    stateDir,
    clusterName: 'kimbernetes',
    nodes: Number(values.nodes),
    temporal: { port: Number(values['temporal-port']), uiPort: Number(values['ui-port']) },
  });
  try {
    await installCrds(environment.cluster.kubeconfigPath);
    installWorkerRuntime();
    const connection = await connectWorker({ address: environment.temporal.address, namespace: environment.temporal.namespace });
    const kubeConfig = loadKubeConfig(environment.cluster.kubeconfigPath);
    const storage = await startArtifactStorage({ dir: join(stateDir, 'artifacts'), listen: '127.0.0.1:0' });
    const temporalSettings = { address: environment.temporal.address, namespace: environment.temporal.namespace };
    const discovery = await startDiscovery(temporalSettings, kubeConfig, allTaskQueues, { log: logLine });
    await ensureResyncSchedule(discovery.client);
    const pools = await createPools({
      connection,
      namespace: environment.temporal.namespace,
      pools: allTaskQueues,
      deps: { ...kubernetesDependencies(kubeConfig), artifacts: storage.store, temporal: { client: discovery.client, kubeConfig } },
      bundlerLogger: jsonLogger('WARN'),
    });
    stopPools = () => pools.shutdown();
    if (stopRequested) stopPools();
    process.stderr.write(
      [
        '',
        `Temporal Web UI:  ${environment.temporal.uiUrl}`,
        `Temporal address: ${environment.temporal.address}`,
        `kubeconfig:       ${environment.cluster.kubeconfigPath}`,
        `  export KUBECONFIG=${environment.cluster.kubeconfigPath}`,
        `worker pools:     ${allTaskQueues.join(', ')}`,
        `artifacts:        ${storage.server.url}`,
        `server log:       ${join(stateDir, 'temporal.log')}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await pools.run();
    await discovery.stop();
    await storage.server.close();
    await connection.close();
  } finally {
    process.stderr.write('stopping the local cluster and the Temporal dev server...\n');
    await environment.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`kimbernetes dev: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
