// A HelmChart reconciled by its loop on the source-controller queue: from a HelmRepository
// whose charts the real helm packaged and indexed, served over HTTP with basic auth, and
// from a GitRepository holding a chart folder with a local dependency. Expected versions,
// paths, reasons and messages are Flux's (source-controller helmchart_controller.go and
// internal/helm/chart), the stored packages read back with tar.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { parse } from 'yaml';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmChartStatus } from '../../domain/helmchart-status.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { eventually } from '../harness/eventually.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

describe('HelmChart', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  let repository: TestRepository;
  let commit: string;
  const namespace = `helmchart-${uniqueSuffix()}`;
  const credentials = { username: 'charts', password: 'chart-pa55-never-logged' };

  const chartRef = (name: string) => ({ kind: 'HelmChart' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(chartRef(name)))?.status ?? {}) as HelmChartStatus;
  const ready = (s: HelmChartStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
  const fileDigest = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

  async function applyChart(name: string, spec: Record<string, unknown>) {
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', metadata: { name, namespace }, spec: { interval: '1h', ...spec } });
    await reconcileObject(workers.client, chartRef(name), { taskQueuePrefix });
  }
  async function reconcileChart(name: string, spec: Record<string, unknown>, done: (s: HelmChartStatus) => boolean, what: string) {
    await applyChart(name, spec);
    return eventually(() => status(name), done, { what, timeoutMs: 60_000 });
  }
  /** The stored package unpacked: its Chart.yaml and values.yaml, and whether a file is in it. */
  async function unpacked(s: HelmChartStatus, chart: string) {
    const dir = mkdtempSync(join(tmpdir(), 'helmchart-test-'));
    const file = join(dir, 'chart.tgz');
    writeFileSync(file, Buffer.from(await (await fetch(s.artifact!.url)).arrayBuffer()));
    expect(fileDigest(file)).toBe(s.artifact!.digest);
    await extract({ file, cwd: dir });
    return {
      metadata: parse(readFileSync(join(dir, chart, 'Chart.yaml'), 'utf8')) as Record<string, unknown>,
      values: parse(readFileSync(join(dir, chart, 'values.yaml'), 'utf8')) as Record<string, unknown>,
      has: (path: string) => existsSync(join(dir, chart, path)),
    };
  }

  beforeAll(async () => {
    workers = await startTestWorkers('helmchart', [TaskQueue.Source], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository({ credentials });
    charts.addChart('podinfo', '6.5.0', { 'values-prod.yaml': 'replicas: 3\nnested:\n  b: prod\n', 'values-extra.yaml': 'nested:\n  c: extra\n' });
    charts.addChart('podinfo', '6.10.1');
    charts.addChart('podinfo', '7.0.0-rc.1');
    repository = new TestRepository(newGitRoot(), 'charts');
    commit = repository.commit({
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: ">=1.0.0"\n    repository: file://../lib\n',
      'charts/app/values.yaml': 'message: app\n',
      'charts/app/templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message }}\n',
      'charts/lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 1.2.0\ntype: library\n',
      'env/prod.yaml': 'message: prod\n',
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'charts-auth', namespace }, stringData: credentials });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url, secretRef: { name: 'charts-auth' } } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: repository.fileUrl, ref: { branch: 'main' } } });
    for (const kind of ['HelmRepository', 'GitRepository'] as const) {
      await reconcileObject(workers.client, { kind, namespace, name: 'charts' }, { taskQueuePrefix });
      await eventually(async () => (await workers.objects.get({ kind, namespace, name: 'charts' }))?.status as { artifact?: unknown } | undefined, (s) => !!s?.artifact, { what: `${kind} artifact`, timeoutMs: 60_000 });
    }
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
  });

  it("pulls the newest version the constraint admits from the repository's index, stored as served", async () => {
    const s = await reconcileChart('podinfo', { chart: 'podinfo', version: '6.x', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => ready(x)?.status === 'True', 'Ready');
    // 6.10.1 is newer than 6.5.0 (semver, not text); 7.0.0-rc.1 is outside the range.
    expect(s.artifact?.revision).toBe('6.10.1');
    expect(s.artifact?.path).toBe(`helmchart/${namespace}/podinfo/podinfo-6.10.1.tgz`);
    expect(s.artifact?.digest).toBe(fileDigest(join(charts.dir, 'podinfo-6.10.1.tgz')));
    expect(ready(s)).toMatchObject({ reason: 'ChartPullSucceeded', message: "pulled 'podinfo' chart with version '6.10.1'" });
    expect(findCondition(s.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True', reason: 'ChartPullSucceeded' });
    expect(s.observedChartName).toBe('podinfo');
    const repositoryStatus = (await workers.objects.get({ kind: 'HelmRepository', namespace, name: 'charts' }))?.status as { artifact: { revision: string } };
    expect(s.observedSourceArtifactRevision).toBe(repositoryStatus.artifact.revision);
    expect(s.url).toMatch(new RegExp(`/helmchart/${namespace}/podinfo/latest\\.tar\\.gz$`));
    expect(s.observedGeneration).toBe(1);
    const pulled = (await events()).find((event) => event.involvedObject.name === 'podinfo' && event.reason === 'ChartPullSucceeded');
    expect(pulled).toMatchObject({ type: 'Normal', message: "pulled 'podinfo' chart with version '6.10.1'" });
    const history = JSON.stringify(await fetchHistoryJson(`helmchart/${namespace}/podinfo`, 'helmchart.json', { containing: 'HelmChart.packageChart' }));
    for (const step of ['checkSource', 'fetchChart', 'packageChart', 'storeArtifact', 'finalizeStatus']) expect(history).toContain(`HelmChart.${step}`);
    expect(history).not.toContain(credentials.password);

    // `*` is the newest stable version; a prerelease needs a constraint that names one.
    const newest = await reconcileChart('podinfo', { chart: 'podinfo', version: '*', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => x.observedGeneration === 2 && ready(x)?.status === 'True', 'generation 2');
    expect(newest.artifact?.revision).toBe('6.10.1');
    const rc = await reconcileChart('podinfo', { chart: 'podinfo', version: '>=7.0.0-0', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => x.observedGeneration === 3 && ready(x)?.status === 'True', 'generation 3');
    expect(rc.artifact?.revision).toBe('7.0.0-rc.1');
  });

  it('stalls on a version the index does not have, naming it, and recovers when the spec is fixed', async () => {
    const s = await reconcileChart('missing', { chart: 'podinfo', version: '>=9', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => ready(x)?.status === 'False', 'Ready=False');
    const message = "invalid chart reference: failed to get chart version for remote reference: no 'podinfo' chart with version matching '>=9' found";
    expect(ready(s)).toMatchObject({ reason: 'InvalidChartReference', message });
    expect(findCondition(s.conditions, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'InvalidChartReference', message });
    expect(findCondition(s.conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidChartReference' });
    expect(s.artifact).toBeUndefined();

    const unknown = await reconcileChart('missing', { chart: 'nginx', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => x.observedGeneration === 2, 'generation 2');
    expect(ready(unknown)?.message).toBe('invalid chart reference: failed to get chart version for remote reference: no chart name found');

    const fixed = await reconcileChart('missing', { chart: 'podinfo', version: '6.5.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } }, (x) => ready(x)?.status === 'True', 'Ready');
    expect(fixed.artifact?.revision).toBe('6.5.0');
    expect(findCondition(fixed.conditions, 'FetchFailed')).toBeUndefined();
    expect(findCondition(fixed.conditions, 'Stalled')).toBeUndefined();
  });

  it("merges values files in order into the chart's values.yaml and packages it at <version>+<generation>", async () => {
    const spec = { chart: 'podinfo', version: '6.5.0', sourceRef: { kind: 'HelmRepository', name: 'charts' }, valuesFiles: ['values.yaml', 'values-prod.yaml', 'values-extra.yaml'] };
    const s = await reconcileChart('merged', spec, (x) => ready(x)?.status === 'True', 'Ready');
    expect(s.artifact?.revision).toBe('6.5.0+1');
    expect(s.artifact?.path).toBe(`helmchart/${namespace}/merged/podinfo-6.5.0+1.tgz`);
    expect(ready(s)).toMatchObject({ reason: 'ChartPackageSucceeded', message: "packaged 'podinfo' chart with version '6.5.0+1' and merged values files [values.yaml values-prod.yaml values-extra.yaml]" });
    const chart = await unpacked(s, 'podinfo');
    expect(chart.metadata.version).toBe('6.5.0+1');
    expect(chart.values).toEqual({ message: 'hello', replicas: 3, nested: { b: 'prod', c: 'extra' } });
    // Without ignoreMissingValuesFiles, Flux records no observedValuesFiles.
    expect(s.observedValuesFiles).toBeUndefined();

    const missing = await reconcileChart('merged', { ...spec, valuesFiles: ['values-prod.yaml', 'missing.yaml'] }, (x) => x.observedGeneration === 2, 'generation 2');
    expect(ready(missing)).toMatchObject({ status: 'False', reason: 'ValuesFilesError', message: "values files merge error: failed to merge chart values: no values file found at path 'missing.yaml'" });
    expect(findCondition(missing.conditions, 'BuildFailed')).toMatchObject({ status: 'True', reason: 'ValuesFilesError' });
    expect(missing.artifact?.revision).toBe('6.5.0+1'); // the last good chart is kept

    const ignored = await reconcileChart('merged', { ...spec, valuesFiles: ['values-prod.yaml', 'missing.yaml'], ignoreMissingValuesFiles: true }, (x) => x.observedGeneration === 3, 'generation 3');
    expect(ready(ignored)).toMatchObject({ status: 'True', message: "packaged 'podinfo' chart with version '6.5.0+3' and merged values files [values-prod.yaml]" });
    expect(ignored.observedValuesFiles).toEqual(['values-prod.yaml']);
    expect(findCondition(ignored.conditions, 'BuildFailed')).toBeUndefined();
    // Only the listed files: the chart's own defaults are not merged in.
    expect((await unpacked(ignored, 'podinfo')).values).toEqual({ replicas: 3, nested: { b: 'prod' } });
  });

  it("packages a Git chart folder with its local dependency, at <version>+<12 hex of the commit> with the Revision strategy", async () => {
    const spec = { chart: './charts/app', sourceRef: { kind: 'GitRepository', name: 'charts' }, reconcileStrategy: 'Revision' };
    const s = await reconcileChart('git', spec, (x) => ready(x)?.status === 'True', 'Ready');
    const version = `0.1.0+${commit.slice(0, 12)}`;
    expect(s.artifact?.revision).toBe(version);
    expect(ready(s)).toMatchObject({ reason: 'ChartPackageSucceeded', message: `packaged 'app' chart with version '${version}'` });
    const chart = await unpacked(s, 'app');
    expect(chart.metadata.version).toBe(version);
    expect(chart.has('charts/lib/Chart.yaml') || chart.has('charts/lib-1.2.0.tgz')).toBe(true);

    // Values files of a Git chart are paths from the source's root; ChartVersion keeps the chart's own version.
    const byVersion = await reconcileChart('git', { ...spec, reconcileStrategy: 'ChartVersion', valuesFiles: ['env/prod.yaml'] }, (x) => x.observedGeneration === 2, 'generation 2');
    expect(byVersion.artifact?.revision).toBe('0.1.0+2');
    expect((await unpacked(byVersion, 'app')).values).toEqual({ message: 'prod' });
    const missing = await reconcileChart('git', { ...spec, valuesFiles: ['env/none.yaml'] }, (x) => x.observedGeneration === 3, 'generation 3');
    expect(ready(missing)).toMatchObject({ status: 'False', reason: 'ValuesFilesError', message: "values files merge error: no values file found at path '/env/none.yaml' (reference 'env/none.yaml')" });
  });

  it("fetches a Git chart's dependency from a chart repository, with the credentials of the HelmRepository at that URL", async () => {
    const deps = new TestRepository(newGitRoot(), 'deps');
    const chartYaml = (version: string) => `apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: podinfo\n    version: "${version}"\n    repository: ${charts.url}\n`;
    const depsCommit = deps.commit({ 'web/Chart.yaml': chartYaml('6.5.0'), 'web/values.yaml': 'message: web\n', 'web/templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n' });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'deps', namespace }, spec: { interval: '1h', url: deps.fileUrl, ref: { branch: 'main' } } });
    const gitStatus = async () => (await workers.objects.get({ kind: 'GitRepository', namespace, name: 'deps' }))?.status as { artifact?: { revision: string } } | undefined;
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace, name: 'deps' }, { taskQueuePrefix });
    await eventually(gitStatus, (x) => x?.artifact?.revision === `main@sha1:${depsCommit}`, { what: 'deps artifact', timeoutMs: 60_000 });

    // The Revision strategy builds each commit again (ChartVersion would keep the cached 1.0.0 build, as Flux does).
    const spec = { chart: 'web', sourceRef: { kind: 'GitRepository', name: 'deps' }, reconcileStrategy: 'Revision' };
    const s = await reconcileChart('web', spec, (x) => ready(x)?.status === 'True', 'Ready');
    expect(ready(s)?.message).toBe(`packaged 'web' chart with version '1.0.0+${depsCommit.slice(0, 12)}'`);
    const chart = await unpacked(s, 'web');
    expect(chart.has('charts/podinfo/Chart.yaml') || chart.has('charts/podinfo-6.5.0.tgz')).toBe(true);

    // A version the repository does not have fails the build, naming the dependency; the last package stays.
    const broken = deps.commit({ 'web/Chart.yaml': chartYaml('9.9.9') });
    await reconcileObject(workers.client, { kind: 'GitRepository', namespace, name: 'deps' }, { taskQueuePrefix, requestedAt: 'broken' });
    await eventually(gitStatus, (x) => x?.artifact?.revision === `main@sha1:${broken}`, { what: 'broken commit', timeoutMs: 60_000 });
    await reconcileObject(workers.client, chartRef('web'), { taskQueuePrefix, requestedAt: 'broken' });
    const failed = await eventually(() => status('web'), (x) => ready(x)?.status === 'False', { what: 'dependency build error', timeoutMs: 60_000 });
    expect(ready(failed)).toMatchObject({
      reason: 'DependencyBuildError',
      message: `dependency build error: failed to add remote dependency 'podinfo': failed to get chart 'podinfo' version '9.9.9' from '${charts.url}': no 'podinfo' chart with version matching '9.9.9' found`,
    });
    expect(findCondition(failed.conditions, 'BuildFailed')?.status).toBe('True');
    expect(failed.artifact).toEqual(s.artifact);
  });

  it('waits for a source that does not exist yet, and builds as soon as it has an artifact', async () => {
    const s = await reconcileChart('late', { chart: 'podinfo', version: '6.5.0', sourceRef: { kind: 'HelmRepository', name: 'late' } }, (x) => ready(x)?.status === 'False', 'Ready=False');
    expect(ready(s)).toMatchObject({ reason: 'SourceUnavailable', message: 'failed to get source: helmrepositories.source.toolkit.fluxcd.io "late" not found' });
    expect(findCondition(s.conditions, 'Stalled')).toBeUndefined();
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'late', namespace }, spec: { interval: '1h', url: charts.url, secretRef: { name: 'charts-auth' } } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'late' }, { taskQueuePrefix });
    // The repository's new artifact reaches the chart without a request of its own.
    const built = await eventually(() => status('late'), (x) => ready(x)?.status === 'True', { what: 'Ready after the source', timeoutMs: 60_000 });
    expect(built.artifact?.revision).toBe('6.5.0');
  });

  it("sends the repository's credentials to a chart URL on another host only with passCredentials", async () => {
    // An index whose chart URLs point at a second server, which asks for the same credentials.
    const elsewhere = await startChartRepository({ credentials });
    const mirror = await startChartRepository({ credentials });
    try {
      elsewhere.addChart('mirrored', '1.0.0');
      mirror.writeIndex(readFileSync(join(elsewhere.dir, 'index.yaml'), 'utf8'));
      const applyMirror = async (passCredentials: boolean) => {
        await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'mirror', namespace }, spec: { interval: '1h', url: mirror.url, secretRef: { name: 'charts-auth' }, passCredentials } });
        await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'mirror' }, { taskQueuePrefix });
        await eventually(async () => (await workers.objects.get({ kind: 'HelmRepository', namespace, name: 'mirror' }))?.status as { observedGeneration?: number; artifact?: unknown } | undefined, (x) => !!x?.artifact && x.observedGeneration === (passCredentials ? 2 : 1), { what: 'mirror index', timeoutMs: 60_000 });
      };
      await applyMirror(false);
      const spec = { chart: 'mirrored', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'mirror' } };
      const refused = await reconcileChart('mirrored', spec, (x) => ready(x)?.status === 'False', 'Ready=False');
      expect(ready(refused)).toMatchObject({
        reason: 'ChartPullError',
        message: `chart pull error: failed to download chart for remote reference: failed to fetch ${elsewhere.url}/mirrored-1.0.0.tgz : 401 Unauthorized`,
      });
      expect(findCondition(refused.conditions, 'Stalled')).toBeUndefined();

      await applyMirror(true);
      await reconcileObject(workers.client, chartRef('mirrored'), { taskQueuePrefix, requestedAt: 'with-credentials' });
      const pulled = await eventually(() => status('mirrored'), (x) => ready(x)?.status === 'True', { what: 'pulled with credentials', timeoutMs: 60_000 });
      expect(ready(pulled)?.message).toBe("pulled 'mirrored' chart with version '1.0.0'");
      expect(pulled.artifact?.digest).toBe(fileDigest(join(elsewhere.dir, 'mirrored-1.0.0.tgz')));
    } finally {
      await elsewhere.stop();
      await mirror.stop();
    }
  });

  it('keeps an equal build, and pulls a new version once the repository has one', async () => {
    const before = await status('podinfo');
    await reconcileObject(workers.client, chartRef('podinfo'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await status('podinfo')).artifact).toEqual(before.artifact);
    charts.addChart('podinfo', '7.1.0');
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
    const s = await eventually(() => status('podinfo'), (x) => x.artifact?.revision === '7.1.0', { what: 'the new version', timeoutMs: 60_000 });
    expect(ready(s)?.message).toBe("pulled 'podinfo' chart with version '7.1.0'");
  });
});
