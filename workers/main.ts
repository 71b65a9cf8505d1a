// A worker process: runs the pools named by --pool (default: all six) against an
// existing Temporal server and cluster. `npm run worker -- --pool source-controller`.
import { SettingsError, parseSettings } from './settings.js';
import { installWorkerRuntime, jsonLogger } from './logging.js';
import { onShutdownSignal } from './signals.js';
import { connectWorker } from './connection.js';
import { createPools } from './pools.js';
import { createKubeClient, loadKubeConfig } from '../kube/client.js';

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2), process.env);
  installWorkerRuntime();
  const connection = await connectWorker(settings.temporal);
  const kube = createKubeClient(loadKubeConfig(settings.kubeconfig));
  const pools = await createPools({
    connection,
    namespace: settings.temporal.namespace,
    pools: settings.pools,
    deps: { kube },
    bundlerLogger: jsonLogger('WARN'),
  });
  onShutdownSignal(() => pools.shutdown());
  await pools.run();
  await connection.close();
}

main().catch((error: unknown) => {
  const message = error instanceof SettingsError ? `invalid settings: ${error.message}` : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
