// A worker as its own process, as `npm run worker` runs it (from the TypeScript sources,
// on the run's shared Temporal server, cluster and workflow bundle): for tests that kill
// one, or run two of a pool.
import { fileURLToPath } from 'node:url';
import type { TaskQueue } from '../../common/task-queues.js';
import { startService, type Service } from '../../local/process.js';
import { sharedEnvironment } from './shared-environment.js';

const workerEntry = fileURLToPath(new URL('../../workers/main.ts', import.meta.url));

export function startWorkerService(pool: TaskQueue, options: { taskQueuePrefix: string; watchNamespace: string; logFile: string; args?: string[] }): Service {
  const shared = sharedEnvironment();
  return startService(
    `${pool} worker`,
    process.execPath,
    [
      '--import', 'tsx', workerEntry,
      '--pool', pool,
      '--task-queue-prefix', options.taskQueuePrefix,
      '--watch-namespace', options.watchNamespace,
      '--temporal-address', shared.temporalAddress,
      '--kubeconfig', shared.kubeconfigPath,
      '--workflow-bundle', shared.workflowBundlePath,
      ...(options.args ?? []),
    ],
    { logFile: options.logFile },
  );
}
