// `npm run bench -- [--count N]`: N Kustomizations, each a Deployment, ServiceAccount,
// Service and Ingress with `wait: true`, all from one Git repository, created at once on
// the local cluster with every worker pool in this process. Prints the time until all are
// Ready, the process's peak memory, and the activities an unchanged reconcile costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { startLocalEnvironment } from '../local/environment.js';
import { installCrds } from '../local/crds.js';
import { loadKubeConfig } from '../kube/client.js';
import { startWorkerProcess } from '../workers/worker-process.js';
import { defaultRateLimit } from '../kube/rate-limit.js';
import { installWorkerRuntime } from '../workers/logging.js';
import { allTaskQueues } from '../common/task-queues.js';
import { findCondition, type Condition } from '../domain/conditions.js';
import type { KubernetesObject } from '../kube/objects.js';
import { objectWorkflowId, statusQuery } from '../common/object-workflow.js';
import { TestRepository, newGitRoot } from '../test/harness/git-servers.js';

const { values } = parseArgs({ args: process.argv.slice(2), options: { count: { type: 'string', default: '100' }, nodes: { type: 'string', default: '10' }, 'kube-api-qps': { type: 'string', default: String(defaultRateLimit.qps) }, 'kube-api-burst': { type: 'string', default: String(defaultRateLimit.burst) } } });
const count = Number(values.count);
const namespace = 'bench';

function appFiles(index: number): Record<string, string> {
  const name = `app-${index}`;
  const dir = `apps/${name}`;
  return {
    [`${dir}/serviceaccount.yaml`]: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`,
    [`${dir}/deployment.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: { app: ${name} }\n  template:\n    metadata:\n      labels: { app: ${name} }\n    spec:\n      serviceAccountName: ${name}\n      containers:\n        - name: app\n          image: registry.local/${name}:1.0\n`,
    [`${dir}/service.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  selector: { app: ${name} }\n  ports: [{ port: 80 }]\n`,
    [`${dir}/ingress.yaml`]: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  rules:\n    - host: ${name}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend: { service: { name: ${name}, port: { number: 80 } } }\n`,
  };
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kimbernetes-bench-'));
  const environment = await startLocalEnvironment({ stateDir, clusterName: `kimbernetes-bench-${process.pid}`, nodes: Number(values.nodes), temporal: { headless: true } });
  // Interrupted (Ctrl-C, a time limit): still stop the cluster and the server.
  const interrupted = async () => {
    await environment.stop();
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted());
  process.once('SIGTERM', () => void interrupted());
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    await installCrds(environment.cluster.kubeconfigPath);
    installWorkerRuntime('WARN');
    const kubeConfig = loadKubeConfig(environment.cluster.kubeconfigPath);
    const temporal = { address: environment.temporal.address, namespace: environment.temporal.namespace };
    const worker = await startWorkerProcess({
      temporal,
      kubeConfig,
      pools: allTaskQueues,
      storage: { dir: join(stateDir, 'artifacts'), listen: '127.0.0.1:0' },
      kubeApi: { qps: Number(values['kube-api-qps']), burst: Number(values['kube-api-burst']) },
    });
    const { kube } = worker;
    const running = worker.run();

    const repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit(Object.assign({}, ...Array.from({ length: count }, (_, i) => appFiles(i))));
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } }, { fieldManager: 'bench' });
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'bench' });
    await kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: 'flux-system' }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } },
      { fieldManager: 'bench' },
    );
    const baselineRss = process.memoryUsage().rss;

    process.stderr.write(`creating ${count} Kustomizations at once...\n`);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        kube.apply(
          {
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            metadata: { name: `app-${i}`, namespace: 'flux-system' },
            spec: { interval: '1h', path: `./apps/app-${i}`, prune: true, wait: true, timeout: '5m', sourceRef: { kind: 'GitRepository', name: 'fleet' } },
          },
          { fieldManager: 'bench' },
        ),
      ),
    );
    // One list a second, as `kubectl get kustomizations -w` would: the bench must not be the load.
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    let readyCount = 0;
    let reported = started;
    while (readyCount < count) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const list = (await custom.listNamespacedCustomObject({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', namespace: 'flux-system' })) as {
        items: { status?: { conditions?: Condition[] } }[];
      };
      readyCount = list.items.filter((o) => findCondition(o.status?.conditions, 'Ready')?.status === 'True').length;
      if (Date.now() - reported >= 15_000) {
        reported = Date.now();
        process.stderr.write(`  ${Math.round((reported - started) / 1000)} s: ${readyCount}/${count} Ready\n`);
      }
      if (Date.now() - started > 15 * 60_000) throw new Error(`only ${readyCount}/${count} Ready after 15 minutes`);
    }
    const elapsed = (Date.now() - started) / 1000;

    // An unchanged reconcile: how many activities does one cost?
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: temporal.namespace });
    const id = objectWorkflowId({ kind: 'Kustomization', namespace: 'flux-system', name: 'app-0' });
    const before = (await client.workflow.getHandle(id).describe()).runId;
    await client.workflow.getHandle(id).signal('reconcile', {});
    let runId = before;
    while (runId === before) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      runId = (await client.workflow.getHandle(id).describe()).runId;
    }
    // The forced reconcile runs in the run that follows the signalled one: wait until it is done, then count.
    while ((await client.workflow.getHandle(id, runId).query(statusQuery)).phase !== 'Waiting') {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const history = await client.workflow.getHandle(id, runId).fetchHistory();
    const activities = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes).length;
    const unchanged = await reconcileAllUnchanged(kube, custom, count);

    process.stdout.write(
      [
        `kustomizations:                   ${count} (4 objects each, wait: true)`,
        `time until all Ready:             ${elapsed.toFixed(1)} s`,
        `peak memory (rss, whole process): ${(peakRss / 2 ** 20).toFixed(0)} MiB (${((peakRss - baselineRss) / 2 ** 20).toFixed(0)} MiB above the idle worker)`,
        `activities per unchanged reconcile: ${activities}`,
        `all ${count} reconciled again, unchanged: ${unchanged.seconds.toFixed(1)} s, ${unchanged.cpuSeconds.toFixed(1)} s of this process's CPU (${((unchanged.cpuSeconds / count) * 1000).toFixed(0)} ms per reconcile)`,
        '',
      ].join('\n'),
    );
    worker.shutdown();
    await running;
  } finally {
    clearInterval(sampler);
    await environment.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * Forces every Kustomization to reconcile once more with nothing changed, as
 * `flux reconcile` does (the requestedAt annotation), and measures the wall time and the
 * CPU this process (the worker pools) spends until every one has handled it.
 */
async function reconcileAllUnchanged(kube: { apply: (object: KubernetesObject, options: { fieldManager: string }) => Promise<unknown> }, custom: CustomObjectsApi, n: number) {
  const token = `bench-${Date.now()}`;
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    await kube.apply(
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: `app-${i}`, namespace: 'flux-system', annotations: { 'reconcile.fluxcd.io/requestedAt': token } } },
      { fieldManager: 'bench-reconcile' },
    );
  }
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const list = (await custom.listNamespacedCustomObject({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', namespace: 'flux-system' })) as {
      items: { status?: { lastHandledReconcileAt?: string; conditions?: Condition[] } }[];
    };
    const handled = list.items.filter((o) => o.status?.lastHandledReconcileAt === token && findCondition(o.status?.conditions, 'Ready')?.status === 'True').length;
    if (handled === n) break;
    if (Date.now() - started > 10 * 60_000) throw new Error(`only ${handled}/${n} reconciled again after 10 minutes`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (Date.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
