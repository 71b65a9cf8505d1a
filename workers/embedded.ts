// The embedded default, as `npm run dev` and `npm run demo` run it: a Temporal dev server
// with its Web UI, a local kwok cluster with the Flux CRDs installed, and all six worker
// pools plus the watcher in this one process. Ctrl-C (or `shutdown()`) stops the pools;
// `run()` then stops the cluster and the server too, whatever happened before.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalEnvironment, type LocalEnvironment } from '../local/environment.js';
import { installCrds } from '../local/crds.js';
import { loadKubeConfig } from '../kube/client.js';
import { allTaskQueues } from '../common/task-queues.js';
import { servesWorkflows } from '../common/loop-kinds.js';
import { installWorkerRuntime, jsonLogger, logLine } from './logging.js';
import { onShutdownSignal } from './signals.js';
import { startWorkerProcess } from './worker-process.js';
import { projectFile } from '../common/project-files.js';

export interface EmbeddedOptions {
  stateDir: string;
  nodes: number;
  temporalPort: number;
  uiPort: number;
}

/** The flags `npm run dev` and `npm run demo` share (node:util parseArgs options). */
export const embeddedFlags = {
  'temporal-port': { type: 'string', default: '7233' },
  'ui-port': { type: 'string', default: '8233' },
  nodes: { type: 'string', default: '3' },
  'state-dir': { type: 'string' },
} as const;

/** The options those flags give; state under `.kimbernetes/<name>` unless a folder is named. */
export function embeddedOptions(values: { 'temporal-port': string; 'ui-port': string; nodes: string; 'state-dir'?: string }, name: string): EmbeddedOptions {
  return {
    stateDir: values['state-dir'] ?? process.env.KIMBERNETES_STATE_DIR ?? projectFile('.kimbernetes', name),
    nodes: Number(values.nodes),
    temporalPort: Number(values['temporal-port']),
    uiPort: Number(values['ui-port']),
  };
}

export interface Embedded {
  environment: LocalEnvironment;
  kubeconfigPath: string;
  temporal: { address: string; namespace: string; uiUrl?: string };
  /** what a user needs to reach it, one line each */
  summary: string[];
}

/**
 * Starts everything, calls `use` once the pools poll, and resolves when the pools stopped
 * (Ctrl-C, SIGTERM, or `use` failing) and the cluster and server are gone.
 */
export async function runEmbedded(options: EmbeddedOptions, use: (embedded: Embedded) => Promise<void>): Promise<void> {
  let stopRequested = false;
  let stopPools = () => {};
  onShutdownSignal(() => {
    stopRequested = true;
    stopPools();
  });

  process.stderr.write('starting the Temporal dev server and the local cluster...\n');
  const environment = await startLocalEnvironment({
    stateDir: options.stateDir,
    clusterName: 'kimbernetes',
    nodes: options.nodes,
    temporal: { port: options.temporalPort, uiPort: options.uiPort, dbFile: freshTemporalDatabase(options.stateDir) },
  });
  try {
    const kubeconfigPath = environment.cluster.kubeconfigPath;
    await installCrds(kubeconfigPath);
    installWorkerRuntime();
    const temporal = { address: environment.temporal.address, namespace: environment.temporal.namespace, uiUrl: environment.temporal.uiUrl };
    const pools = await startWorkerProcess({
      temporal,
      kubeConfig: loadKubeConfig(kubeconfigPath),
      pools: allTaskQueues,
      storage: { dir: join(options.stateDir, 'artifacts'), listen: '127.0.0.1:0' },
      receiverListen: '127.0.0.1:0',
      bundlerLogger: jsonLogger('WARN'),
      log: logLine,
    });
    stopPools = () => pools.shutdown();
    if (stopRequested) stopPools();
    const summary = [
      `Temporal Web UI:  ${temporal.uiUrl}`,
      `Temporal address: ${temporal.address}`,
      `kubeconfig:       ${kubeconfigPath}`,
      `  export KUBECONFIG=${kubeconfigPath}`,
      `worker pools:     ${allTaskQueues.filter(servesWorkflows).join(', ')} (${allTaskQueues.filter((queue) => !servesWorkflows(queue)).join(', ')}: no loops yet)`,
      `artifacts:        ${pools.artifactServer!.url}`,
      `webhook receiver: ${pools.receiverServer!.url} (a Receiver's status.webhookPath after it)`,
      `server log:       ${join(options.stateDir, 'temporal.log')}`,
    ];
    const running = pools.run();
    try {
      await use({ environment, kubeconfigPath, temporal, summary });
    } catch (error) {
      stopPools();
      await running;
      throw error;
    }
    await running;
  } finally {
    process.stderr.write('stopping the local cluster and the Temporal dev server...\n');
    await environment.stop();
  }
}

/** Ends the process when `run` settles: 0, or 1 with its error, named after the command. */
export function exitWhenDone(command: string, run: Promise<void>): void {
  run.then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`kimbernetes ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

/**
 * The dev server's SQLite file, emptied first: the local cluster is created anew at each
 * start, so the loops of the last run's objects must not come back. A file rather than
 * memory keeps closed histories out of the server's memory.
 */
function freshTemporalDatabase(stateDir: string): string {
  const file = join(stateDir, 'temporal.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return file;
}
