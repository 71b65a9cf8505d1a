// `npm run bench -- [--count N | --objects M] [--helmreleases]`: what a user sees
// bootstrapping a fleet. With --helmreleases, the N objects are HelmReleases of a chart
// in the repository (a ConfigMap and a Deployment), each through its own HelmChart,
// installed by the real helm.
// A Temporal dev server and a kwok cluster, the worker as its own process started as
// `npm run worker` starts it (compiled code, all pools, JSON logs at INFO to a file),
// then one burst of applies, as `kubectl apply -f` of a bootstrap: the GitRepository and
// N Kustomizations of one app each (ServiceAccount, Deployment, Service, Ingress, with
// `wait: true`), or with --objects one Kustomization of M ConfigMaps. Prints the time
// until all are Ready, each step's time summed over objects (from the workflow
// histories), peak and idle memory and CPU of the worker and of the Temporal server, the
// API requests the worker made, the activities of an unchanged reconcile, and a round of
// unchanged reconciles of all of them. --record FILE appends the figures as one JSON line,
// and --plot FILE [--out PNG] draws those of each N (bench/plot.ts);
// --keep-logs keeps the worker's log; --worker-node-options and --worker-args pass flags
// to the worker's node and to the worker.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { startLocalEnvironment } from '../local/environment.js';
import { installCrds } from '../local/crds.js';
import { startService } from '../local/process.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../kube/client.js';
import { defaultRateLimit } from '../kube/rate-limit.js';
import { projectFile } from '../common/project-files.js';
import { findCondition, type Condition } from '../domain/conditions.js';
import { statusQuery } from '../common/object-workflow.js';
import { objectWorkflowId } from '../common/loop-addresses.js';
import { TestRepository, newGitRoot } from '../test/harness/git-servers.js';
import { ProcessSampler } from './process-sampler.js';
import { stepTimes, type StepTimes } from './step-times.js';
import { plot } from './plot.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    count: { type: 'string', default: '100' },
    objects: { type: 'string' },
    helmreleases: { type: 'boolean' },
    nodes: { type: 'string', default: '10' },
    'kube-api-qps': { type: 'string', default: String(defaultRateLimit.qps) },
    'kube-api-burst': { type: 'string', default: String(defaultRateLimit.burst) },
    record: { type: 'string' },
    'keep-logs': { type: 'boolean' },
    /** flags for the worker's node, e.g. --cpu-prof --cpu-prof-dir=DIR to see where its time goes */
    'worker-node-options': { type: 'string' },
    /** more flags for the worker itself, to compare settings (--pool, --max-cached-workflows) */
    'worker-args': { type: 'string' },
    /** another worker to measure, e.g. an older checkout's workers/main.ts with --worker-node-options=--import=tsx */
    'worker-entry': { type: 'string' },
    plot: { type: 'string' },
    out: { type: 'string', default: 'docs/bench-scaling.png' },
  },
});
const objectsMode = values.objects !== undefined;
const releaseMode = values.helmreleases === true;
const count = objectsMode ? 1 : Number(values.count);
const objectsPerApp = objectsMode ? Number(values.objects) : 4;
const namespace = 'bench';
const flux = 'flux-system';
const mib = (bytes: number) => bytes / 2 ** 20;

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

/** One app of M ConfigMaps, in files of 100 each. */
function manyObjectFiles(m: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let start = 0; start < m; start += 100) {
    const documents = Array.from({ length: Math.min(100, m - start) }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: object-${start + i}\n  namespace: ${namespace}\ndata:\n  index: "${start + i}"\n`);
    files[`apps/app-0/objects-${start / 100}.yaml`] = documents.join('---\n');
  }
  return files;
}

/** The chart every HelmRelease installs, with its own release name. */
function chartFiles(): Record<string, string> {
  return {
    'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n',
    'charts/app/values.yaml': 'replicas: 1\nimage: registry.local/app:1.0\n',
    'charts/app/templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  release: {{ .Release.Name }}\n',
    'charts/app/templates/deployment.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: { app: {{ .Release.Name }} }\n  template:\n    metadata:\n      labels: { app: {{ .Release.Name }} }\n    spec:\n      containers:\n        - name: app\n          image: {{ .Values.image }}\n',
  };
}

function helmRelease(index: number) {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: `app-${index}`, namespace },
    spec: { interval: '1h', chart: { spec: { chart: './charts/app', sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: flux } } } },
  };
}

/** The objects measured: N Kustomizations, or N HelmReleases. */
const measured = releaseMode
  ? { kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases', namespace, make: helmRelease }
  : { kind: 'Kustomization', group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations', namespace: flux, make: kustomization };

function kustomization(index: number) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: `app-${index}`, namespace: flux },
    spec: { interval: '1h', path: `./apps/app-${index}`, prune: true, wait: true, timeout: '10m', sourceRef: { kind: 'GitRepository', name: 'fleet' } },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kimbernetes-bench-'));
  const environment = await startLocalEnvironment({ stateDir, clusterName: `kimbernetes-bench-${process.pid}`, nodes: Number(values.nodes), temporal: { headless: true, dbFile: join(stateDir, 'temporal.db') } });
  let worker: ReturnType<typeof startService> | undefined;
  // Once, whoever asks first (the end of the run, or Ctrl-C in the middle of it), and the
  // cluster and server stop even when the worker would not.
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      try {
        await worker?.stop();
      } finally {
        await environment.stop();
        if (!values['keep-logs']) rmSync(stateDir, { recursive: true, force: true });
      }
    })());
  // Interrupted (Ctrl-C, a time limit): still stop the worker, the cluster and the server.
  const interrupted = async () => {
    await stopAll();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted());
  process.once('SIGTERM', () => void interrupted());
  try {
    const kubeconfigPath = environment.cluster.kubeconfigPath;
    await installCrds(kubeconfigPath);
    const kubeConfig = loadKubeConfig(kubeconfigPath);
    const kube = createKubeClient(kubeConfig);
    const temporal = { address: environment.temporal.address, namespace: environment.temporal.namespace };
    const client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: temporal.namespace });

    const repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit(objectsMode ? manyObjectFiles(objectsPerApp) : releaseMode ? chartFiles() : Object.assign({}, ...Array.from({ length: count }, (_, i) => appFiles(i))));
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux } }, { fieldManager: 'bench' });
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'bench' });

    // The worker as `npm run worker` runs it, logging as it does.
    const logFile = join(stateDir, 'worker.log');
    const workerStarted = Date.now();
    worker = startService(
      'worker',
      process.execPath,
      [
        '--optimize-for-size',
        ...(values['worker-node-options']?.split(' ').filter(Boolean) ?? []),
        values['worker-entry'] ?? projectFile('dist', 'workers', 'main.js'),
        '--temporal-address', temporal.address,
        '--kubeconfig', kubeconfigPath,
        '--storage-path', join(stateDir, 'artifacts'),
        '--storage-addr', '127.0.0.1:0',
        '--kube-api-qps', values['kube-api-qps']!,
        '--kube-api-burst', values['kube-api-burst']!,
        ...(values['worker-args']?.split(' ').filter(Boolean) ?? []),
      ],
      // As `npm run worker` starts it: V8 favouring memory over speed, two malloc arenas
      // (docs/development.md, Benchmark).
      { logFile, env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' } },
    );
    const workerProcess = new ProcessSampler(worker.pid);
    const server = new ProcessSampler(environment.temporal.pid);
    await untilPolled(client, ['source-controller', 'kustomize-controller', ...(releaseMode ? ['helm-controller'] : [])], () => worker!.child.exitCode !== null, logFile);
    const startupSeconds = (Date.now() - workerStarted) / 1000;
    await sleep(3000);
    const idle = { worker: workerProcess.sample(), server: server.sample() };
    workerProcess.start();
    server.start();

    process.stderr.write(`applying the GitRepository and ${count} ${measured.kind}${count === 1 ? '' : 's'} at once...\n`);
    const started = Date.now();
    const gitRepository = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet', namespace: flux }, spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } } };
    await Promise.all([gitRepository, ...Array.from({ length: count }, (_, i) => measured.make(i))].map((object) => kube.apply(object, { fieldManager: 'bench' })));
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    await untilAllReady(custom, count, started, objectsMode ? 30 : 15 + count / 50);
    const elapsed = (Date.now() - started) / 1000;
    const cpuAtReady = { worker: workerProcess.sample().cpuSeconds, server: server.sample().cpuSeconds };
    const steps = await stepTimes(client);

    const unchangedActivities = await activitiesOfUnchangedReconcile(client);
    const unchanged = await reconcileAllUnchanged(kube, custom, count, workerProcess);
    workerProcess.stop();
    server.stop();

    await worker.stop();
    const kubeApiRequests = requestsMade(logFile);
    const warnings = warningsLogged(logFile);
    const figures = {
      mode: objectsMode ? `1 Kustomization of ${objectsPerApp} ConfigMaps` : releaseMode ? `${count} HelmReleases of 2 objects (helm --wait)` : `${count} Kustomizations of 4 objects (wait: true)`,
      count,
      objectsPerKustomization: objectsPerApp,
      secondsToAllReady: elapsed,
      workerStartupSeconds: startupSeconds,
      steps,
      workerPeakMiB: mib(workerProcess.peakRss),
      workerIdleMiB: mib(idle.worker.rss),
      serverPeakMiB: mib(server.peakRss),
      serverIdleMiB: mib(idle.server.rss),
      workerCpuSeconds: cpuAtReady.worker - idle.worker.cpuSeconds,
      serverCpuSeconds: cpuAtReady.server - idle.server.cpuSeconds,
      kubeApiRequests,
      warnings,
      activitiesPerUnchangedReconcile: unchangedActivities,
      unchangedRound: unchanged,
    };
    process.stdout.write(report(figures));
    if (values.record) appendFileSync(values.record, `${JSON.stringify({ date: new Date().toISOString(), ...figures })}\n`);
  } finally {
    await stopAll();
  }
}

async function untilPolled(client: Client, queues: string[], exited: () => boolean, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited()) throw new Error(`the worker exited:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const polled = await Promise.all(
      queues.map(async (name) => ((await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name }, taskQueueType: 1 })).pollers ?? []).length > 0),
    );
    if (polled.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the worker did not poll within 2 minutes');
    await sleep(100);
  }
}

type CustomObjects = InstanceType<typeof CustomObjectsApi>;

async function listMeasured(custom: CustomObjects) {
  const { group, version, plural, namespace } = measured;
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: { status?: { lastHandledReconcileAt?: string; conditions?: Condition[] } }[];
  };
  return list.items;
}

/** One list a second, as `kubectl get kustomizations -w` would: the bench must not be the load. */
async function untilAllReady(custom: CustomObjects, n: number, started: number, limitMinutes: number): Promise<void> {
  let reported = started;
  for (;;) {
    await sleep(1000);
    const ready = (await listMeasured(custom)).filter((o) => findCondition(o.status?.conditions, 'Ready')?.status === 'True').length;
    if (ready === n) return;
    if (Date.now() - reported >= 15_000) {
      reported = Date.now();
      process.stderr.write(`  ${Math.round((reported - started) / 1000)} s: ${ready}/${n} Ready\n`);
    }
    if (Date.now() - started > limitMinutes * 60_000) throw new Error(`only ${ready}/${n} Ready after ${limitMinutes.toFixed(0)} minutes`);
  }
}

/** How many activities one forced reconcile costs when nothing changed. */
async function activitiesOfUnchangedReconcile(client: Client): Promise<number> {
  const id = objectWorkflowId({ kind: measured.kind as 'Kustomization' | 'HelmRelease', namespace: measured.namespace, name: 'app-0' });
  const before = (await client.workflow.getHandle(id).describe()).runId;
  await client.workflow.getHandle(id).signal('reconcile', {});
  let runId = before;
  while (runId === before) {
    await sleep(200);
    runId = (await client.workflow.getHandle(id).describe()).runId;
  }
  // The forced reconcile runs in the run that follows the signalled one: wait until it is done, then count.
  while ((await client.workflow.getHandle(id, runId).query(statusQuery)).phase !== 'Waiting') await sleep(200);
  const history = await client.workflow.getHandle(id, runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes).length;
}

/**
 * Forces every Kustomization to reconcile once more with nothing changed, as `flux
 * reconcile` does (the requestedAt annotation), and measures the wall time and the
 * worker's CPU until every one has handled it.
 */
async function reconcileAllUnchanged(kube: KubeClient, custom: CustomObjects, n: number, worker: ProcessSampler) {
  const token = `bench-${Date.now()}`;
  const cpuBefore = worker.sample().cpuSeconds;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      kube.apply(
        { apiVersion: `${measured.group}/${measured.version}`, kind: measured.kind, metadata: { name: `app-${i}`, namespace: measured.namespace, annotations: { 'reconcile.fluxcd.io/requestedAt': token } } },
        { fieldManager: 'bench-reconcile' },
      ),
    ),
  );
  for (;;) {
    await sleep(1000);
    const handled = (await listMeasured(custom)).filter((o) => o.status?.lastHandledReconcileAt === token && findCondition(o.status?.conditions, 'Ready')?.status === 'True').length;
    if (handled === n) break;
    if (Date.now() - started > 15 * 60_000) throw new Error(`only ${handled}/${n} reconciled again after 15 minutes`);
  }
  const cpuSeconds = worker.sample().cpuSeconds - cpuBefore;
  return { seconds: (Date.now() - started) / 1000, workerCpuSeconds: cpuSeconds, msPerReconcile: (cpuSeconds / n) * 1000 };
}

/**
 * The worker's warnings and errors by message, the most frequent first: a worker that
 * cannot keep up says so here ("Workflow task duration exceeded", timeouts) first.
 */
function warningsLogged(logFile: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: string; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.level !== 'warn' && entry.level !== 'error') continue;
    // Messages that name an object or a queue are counted as one kind.
    const message = `${entry.level}: ${entry.msg ?? '?'}`;
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** The worker's own count, logged as it stops. */
function requestsMade(logFile: string): number | undefined {
  const line = readFileSync(logFile, 'utf8')
    .split('\n')
    .reverse()
    .find((entry) => entry.includes('"worker stopped"'));
  return line ? (JSON.parse(line) as { kubeApiRequests?: number }).kubeApiRequests : undefined;
}

function report(f: {
  mode: string;
  secondsToAllReady: number;
  workerStartupSeconds: number;
  steps: StepTimes;
  workerPeakMiB: number;
  workerIdleMiB: number;
  serverPeakMiB: number;
  serverIdleMiB: number;
  workerCpuSeconds: number;
  serverCpuSeconds: number;
  kubeApiRequests?: number;
  warnings: [string, number][];
  activitiesPerUnchangedReconcile: number;
  unchangedRound: { seconds: number; workerCpuSeconds: number; msPerReconcile: number };
  count: number;
}): string {
  const steps = Object.entries(f.steps)
    .sort(([, a], [, b]) => b.seconds - a.seconds)
    .map(([step, { seconds, count }]) => `  ${step.padEnd(34)} ${seconds.toFixed(1).padStart(8)} s over ${count}`);
  return [
    `fleet:                              ${f.mode}, applied in one burst with its GitRepository`,
    `time until all Ready:               ${f.secondsToAllReady.toFixed(1)} s`,
    `worker start-up (to polling):       ${f.workerStartupSeconds.toFixed(1)} s`,
    `memory, worker (rss):               ${f.workerPeakMiB.toFixed(0)} MiB peak, ${f.workerIdleMiB.toFixed(0)} MiB idle`,
    `memory, Temporal server (rss):      ${f.serverPeakMiB.toFixed(0)} MiB peak, ${f.serverIdleMiB.toFixed(0)} MiB idle`,
    `memory, both, peak:                 ${(f.workerPeakMiB + f.serverPeakMiB).toFixed(0)} MiB`,
    `CPU until all Ready:                worker ${f.workerCpuSeconds.toFixed(1)} s, Temporal server ${f.serverCpuSeconds.toFixed(1)} s`,
    `API requests by the worker:         ${f.kubeApiRequests ?? 'unknown'} (in all, with the unchanged round)`,
    `warnings and errors the worker logged: ${f.warnings.reduce((sum, [, n]) => sum + n, 0)}${f.warnings.length ? ` (${f.warnings.slice(0, 4).map(([message, n]) => `${n}× ${message}`).join('; ')})` : ''}`,
    `activities per unchanged reconcile: ${f.activitiesPerUnchangedReconcile}`,
    `all ${f.count} reconciled again, unchanged: ${f.unchangedRound.seconds.toFixed(1)} s, worker CPU ${f.unchangedRound.workerCpuSeconds.toFixed(1)} s (${f.unchangedRound.msPerReconcile.toFixed(0)} ms per reconcile)`,
    'time in each step, summed over objects, from the histories:',
    ...steps,
    '',
  ].join('\n');
}

if (values.plot) {
  plot(values.plot, values.out!);
  process.stdout.write(`wrote ${values.out} from ${values.plot}\n`);
  process.exit(0);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
