// The `kimbernetes` CLI on the Helm kinds, against the real stack: a chart repository the
// test serves, a HelmRepository, the HelmChart a HelmRelease's template makes and the
// release the real helm keeps in storage. Tables, `reconcile helmrelease --with-source`
// through the HelmChart as `flux` does, --force, suspend/resume and the release's tree.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '../../cli/main.js';
import { TaskQueue } from '../../common/task-queues.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { helmList, helmRunner } from '../harness/helm.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { eventually } from '../harness/eventually.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';

const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  ports:\n    - port: 80\n';

describe('kimbernetes CLI on Helm', () => {
  let workers: TestWorkers;
  let charts: ChartRepository;
  let connection: string[];
  const namespace = `cli-helm-${uniqueSuffix()}`;
  const chartName = `${namespace}-demo`;
  const helm = helmRunner();
  const release = () => helmList(helm, namespace).find((r) => r.name === 'demo');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: { PATH: process.env.PATH, HOME: process.env.HOME } };
    const code = await main([...connection, ...args], io);
    return { code, stdout, stderr };
  }
  const rowOf = (table: string, name: string) => table.split('\n').find((row) => row.startsWith(`${name} `));

  beforeAll(async () => {
    workers = await startTestWorkers('cli-helm', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    const taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const shared = sharedEnvironment();
    connection = ['--kubeconfig', shared.kubeconfigPath, '--temporal-address', shared.temporalAddress, '--temporal-namespace', shared.temporalNamespace, '--task-queue-prefix', taskQueuePrefix, '-n', namespace, '--timeout', '120s'];
    charts = await startChartRepository();
    charts.addChart('demo', '1.0.0', { 'templates/service.yaml': service });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
    await apply({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'demo', namespace },
      spec: { interval: '1h', chart: { spec: { chart: 'demo', version: '1.x', interval: '1h', sourceRef: { kind: 'HelmRepository', name: 'charts' } } } },
    });
    await reconcileObject(workers.client, { kind: 'HelmRelease', namespace, name: 'demo' }, { taskQueuePrefix });
    await eventually(
      async () => (await workers.objects.get({ kind: 'HelmRelease', namespace, name: 'demo' }))?.status as HelmReleaseStatus | undefined,
      (s) => findCondition(s?.conditions, 'Ready')?.status === 'True',
      { what: 'the HelmRelease installed', timeoutMs: 120_000 },
    );
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
  });

  it("lists Helm repositories, charts and releases with flux's columns", async () => {
    // Ready is written by a loop's last step, a moment before the loop waits: read each table once it does.
    const waiting = (args: string[], name: string) =>
      eventually(() => cli(...args), (t) => new RegExp(`^${name}\\s.*\\sin \\d+m`, 'm').test(t.stdout), { what: `${name} waiting for its next reconcile`, timeoutMs: 60_000 });
    const repositories = await waiting(['get', 'sources', 'helm'], 'charts');
    expect(repositories.code).toBe(0);
    expect(repositories.stdout.split('\n')[0]).toMatch(/^NAME\s+REVISION\s+SUSPENDED\s+READY\s+AGE\s+NEXT RECONCILE\s+MESSAGE$/);
    expect(rowOf(repositories.stdout, 'charts')).toMatch(/^charts\s+sha256:[0-9a-f]{64}\s+False\s+True\s+\d+[sm]\s+in \d+m\d*s?\s+stored artifact: revision 'sha256:[0-9a-f]{64}'$/);

    const helmCharts = await waiting(['get', 'sources', 'chart'], chartName);
    expect(rowOf(helmCharts.stdout, chartName)).toMatch(new RegExp(`^${chartName}\\s+1\\.0\\.0\\s+False\\s+True\\s+\\S+\\s+in \\d+m\\d*s?\\s+pulled 'demo' chart with version '1\\.0\\.0'$`));

    const releases = await waiting(['get', 'hr'], 'demo');
    expect(rowOf(releases.stdout, 'demo')).toMatch(new RegExp(`^demo\\s+1\\.0\\.0\\s+False\\s+True\\s+\\S+\\s+in \\d+m\\d*s?\\s+Helm install succeeded for release ${namespace}/demo\\.v1 with chart demo@1\\.0\\.0$`));
  });

  it('reconciles a HelmRelease with its source: the repository, then its HelmChart, then the release, which upgrades to the new version', async () => {
    charts.addChart('demo', '1.1.0', { 'templates/service.yaml': service });
    const run = await cli('reconcile', 'helmrelease', 'demo', '--with-source');
    expect(run.code).toBe(0);
    const steps = run.stderr.split('\n').filter((line) => line.startsWith('► annotating') || line.startsWith('✔ fetched') || line.startsWith('✔ applied'));
    expect(steps).toEqual([
      `► annotating HelmRepository charts in ${namespace} namespace`,
      expect.stringMatching(/^✔ fetched revision sha256:[0-9a-f]{64}$/),
      `► annotating HelmChart ${chartName} in ${namespace} namespace`,
      '✔ fetched revision 1.1.0',
      `► annotating HelmRelease demo in ${namespace} namespace`,
      '✔ applied revision 1.1.0',
    ]);
    expect(release()).toMatchObject({ revision: '2', chart: 'demo-1.1.0', status: 'deployed' });
  });

  it('forces an upgrade of a release in sync with --force', async () => {
    const run = await cli('reconcile', 'hr', 'demo', '--force');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('✔ applied revision 1.1.0');
    expect(release()).toMatchObject({ revision: '3', status: 'deployed' });
  });

  it('suspends a HelmRelease, refuses to reconcile it, and resumes it with a reconcile', async () => {
    const suspended = await cli('suspend', 'helmrelease', 'demo');
    expect(suspended.code).toBe(0);
    expect(suspended.stderr).toContain(`► suspending helmrelease demo in ${namespace} namespace\n✔ helmrelease suspended`);
    expect((await workers.objects.get({ kind: 'HelmRelease', namespace, name: 'demo' }))?.spec).toMatchObject({ suspend: true });
    const refused = await cli('reconcile', 'hr', 'demo');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`✗ HelmRelease '${namespace}/demo' is suspended`);

    const resumed = await cli('resume', 'hr', 'demo');
    expect(resumed.stderr).toContain('✔ helmrelease resumed');
    expect(resumed.stderr).toContain('✔ applied revision 1.1.0');
    expect(resumed.code).toBe(0);
    expect((await workers.objects.get({ kind: 'HelmRelease', namespace, name: 'demo' }))?.spec).toMatchObject({ suspend: false });
  });

  it("draws the objects of the release's manifest as a tree", async () => {
    const run = await cli('tree', 'helmrelease', 'demo');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe([`HelmRelease/${namespace}/demo`, `├── ConfigMap/${namespace}/demo`, `└── Service/${namespace}/demo`, ''].join('\n'));
  });
});
