// A HelmChart from an OCI HelmRepository, reconciled by its loop on the source-controller
// queue: charts packaged by the real `helm package` and pushed by the real `helm push`
// to a registry served by the real `crane registry serve` on loopback (plain HTTP, so the
// HelmRepository is `insecure`). Expected versions, reasons and messages are Flux's
// (source-controller internal/helm/repository/oci_chart_repository.go and
// internal/helm/chart/builder_remote.go); the stored package is the pushed one, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmChartStatus } from '../../domain/helmchart-status.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { freePort, startService, waitForPort, type Service } from '../../local/process.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { requireBinary } from '../../tools/paths.js';
import { eventually } from '../harness/eventually.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { helmList, helmRunner } from '../harness/helm.js';
import { loadKubeConfig } from '../../kube/client.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';

describe('HelmChart from an OCI HelmRepository', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let registry: Service | undefined;
  let registryHost: string;
  const work = mkdtempSync(join(tmpdir(), 'helmchart-oci-'));
  const packages = join(work, 'packages');
  const namespace = `helmchart-oci-${uniqueSuffix()}`;

  const chartRef = (name: string) => ({ kind: 'HelmChart' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(chartRef(name)))?.status ?? {}) as HelmChartStatus;
  const ready = (s: HelmChartStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const fileDigest = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

  // Helm's home folders in the test's own folder: no registry login or cache of the user's is read or written.
  const helm = (...args: string[]) => helmRunner({ home: join(work, 'helm'), cluster: false })(...args);

  /** packages the chart at `version` and pushes it to `oci://<registry>/charts` (plain HTTP: Helm 3 refuses the downgrade otherwise) */
  function pushChart(name: string, version: string, files: Record<string, string> = {}) {
    const chart = join(work, 'sources', `${name}-${version}`, name);
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: a test chart\n`);
    writeFileSync(join(chart, 'values.yaml'), 'message: hello\n');
    writeFileSync(join(chart, 'templates', 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message }}\n');
    for (const [path, content] of Object.entries(files)) writeFileSync(join(chart, path), content);
    helm('package', chart, '--destination', packages);
    helm('push', join(packages, `${name}-${version}.tgz`), `oci://${registryHost}/charts`, '--plain-http');
  }

  async function reconcileChart(name: string, spec: Record<string, unknown>, done: (s: HelmChartStatus) => boolean, what: string) {
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', metadata: { name, namespace }, spec: { interval: '1h', sourceRef: { kind: 'HelmRepository', name: 'registry' }, ...spec } });
    await reconcileObject(workers.client, chartRef(name), { taskQueuePrefix });
    return eventually(() => status(name), done, { what, timeoutMs: 60_000 });
  }

  beforeAll(async () => {
    mkdirSync(packages, { recursive: true });
    const port = await freePort();
    registryHost = `127.0.0.1:${port}`;
    // In memory (no --disk): the registry's content goes with it.
    const crane = startService('crane registry', requireBinary('crane'), ['registry', 'serve', '--address', registryHost], { logFile: join(work, 'crane.log') });
    registry = crane;
    await waitForPort(crane, port, 30_000);
    pushChart('podinfo', '1.0.0', { 'values-prod.yaml': 'replicas: 3\n' });
    pushChart('podinfo', '1.1.0', { 'values-prod.yaml': 'replicas: 3\n' });
    pushChart('podinfo', '2.0.0');

    workers = await startTestWorkers('helmchart-oci', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'registry', namespace }, spec: { type: 'oci', url: `oci://${registryHost}/charts`, insecure: true, interval: '1h' } });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await registry?.stop();
  });

  it('pulls the newest tag the constraint admits, stored as pushed', async () => {
    const s = await reconcileChart('ranged', { chart: 'podinfo', version: '1.x' }, (x) => ready(x)?.status === 'True', 'Ready');
    // 2.0.0 is outside the range; 1.1.0 is the newest inside it.
    expect(s.artifact?.revision).toBe('1.1.0');
    expect(s.artifact?.path).toBe(`helmchart/${namespace}/ranged/podinfo-1.1.0.tgz`);
    expect(s.artifact?.digest).toBe(fileDigest(join(packages, 'podinfo-1.1.0.tgz')));
    expect(ready(s)).toMatchObject({ reason: 'ChartPullSucceeded', message: "pulled 'podinfo' chart with version '1.1.0'" });
    expect(findCondition(s.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True', reason: 'ChartPullSucceeded' });
    expect(s.observedChartName).toBe('podinfo');
    // An OCI HelmRepository has no artifact: there is no source revision to observe.
    expect(s.observedSourceArtifactRevision).toBeUndefined();
    expect(s.url).toMatch(new RegExp(`/helmchart/${namespace}/ranged/latest\\.tar\\.gz$`));

    // `*` is the newest stable version.
    const newest = await reconcileChart('ranged', { chart: 'podinfo', version: '*' }, (x) => x.observedGeneration === 2 && ready(x)?.status === 'True', 'generation 2');
    expect(newest.artifact?.revision).toBe('2.0.0');
    expect(newest.artifact?.digest).toBe(fileDigest(join(packages, 'podinfo-2.0.0.tgz')));
  });

  it('pulls an exact version, and packages it again with merged values at <version>+<generation>', async () => {
    const s = await reconcileChart('exact', { chart: 'podinfo', version: '1.0.0' }, (x) => ready(x)?.status === 'True', 'Ready');
    expect(s.artifact?.revision).toBe('1.0.0');
    expect(s.artifact?.digest).toBe(fileDigest(join(packages, 'podinfo-1.0.0.tgz')));

    const merged = await reconcileChart('exact', { chart: 'podinfo', version: '1.0.0', valuesFiles: ['values.yaml', 'values-prod.yaml'] }, (x) => x.observedGeneration === 2 && ready(x)?.status === 'True', 'generation 2');
    expect(merged.artifact?.revision).toBe('1.0.0+2');
    expect(ready(merged)).toMatchObject({ reason: 'ChartPackageSucceeded', message: "packaged 'podinfo' chart with version '1.0.0+2' and merged values files [values.yaml values-prod.yaml]" });
  });

  it('fails on a version the registry does not have, in Flux words, and retries rather than stalls', async () => {
    // A constraint no tag meets: Flux's OCI repository reports it as an external error, a pull error.
    const s = await reconcileChart('missing', { chart: 'podinfo', version: '>=3.0.0' }, (x) => ready(x)?.status === 'False', 'Ready=False');
    const message = 'chart pull error: failed to get chart version for remote reference: could not locate a version matching provided version string >=3.0.0';
    expect(ready(s)).toMatchObject({ reason: 'ChartPullError', message });
    expect(findCondition(s.conditions, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'ChartPullError', message });
    expect(findCondition(s.conditions, 'Stalled')).toBeUndefined();
    expect(s.artifact).toBeUndefined();

    // A concrete version is taken as its tag without listing: the pull is what fails.
    const exact = await reconcileChart('missing', { chart: 'podinfo', version: '3.0.0' }, (x) => ready(x)?.observedGeneration === 2 && ready(x)?.status === 'False', 'generation 2');
    expect(ready(exact)).toMatchObject({
      reason: 'ChartPullError',
      message: `chart pull error: failed to download chart for remote reference: failed to get 'oci://${registryHost}/charts/podinfo:3.0.0': ${registryHost}/charts/podinfo:3.0.0: not found`,
    });

    // A chart the registry has no repository for.
    const unknown = await reconcileChart('missing', { chart: 'nginx', version: '1.x' }, (x) => ready(x)?.observedGeneration === 3, 'generation 3');
    expect(ready(unknown)?.message).toMatch(new RegExp(`^chart pull error: failed to get chart version for remote reference: could not get tags for "nginx": could not fetch tags for "oci://${registryHost.replaceAll('.', '\\.')}/charts/nginx": `));

    const fixed = await reconcileChart('missing', { chart: 'podinfo', version: '2.0.0' }, (x) => x.observedGeneration === 4 && ready(x)?.status === 'True', 'generation 4');
    expect(fixed.artifact?.revision).toBe('2.0.0');
    expect(findCondition(fixed.conditions, 'FetchFailed')).toBeUndefined();
  });

  it('keeps an equal build, and pulls a new tag once the registry has one', async () => {
    const before = await status('ranged');
    await reconcileObject(workers.client, chartRef('ranged'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await status('ranged')).artifact).toEqual(before.artifact);
    pushChart('podinfo', '2.1.0');
    await reconcileObject(workers.client, chartRef('ranged'), { taskQueuePrefix });
    const s = await eventually(() => status('ranged'), (x) => x.artifact?.revision === '2.1.0', { what: 'the new tag', timeoutMs: 60_000 });
    expect(ready(s)?.message).toBe("pulled 'podinfo' chart with version '2.1.0'");
  });

  it('installs a HelmRelease of a chart in the registry, through the HelmChart its template makes', async () => {
    const ref = { kind: 'HelmRelease' as const, namespace, name: 'from-registry' };
    await apply({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: ref.name, namespace },
      spec: { interval: '1h', chart: { spec: { chart: 'podinfo', version: '1.x', sourceRef: { kind: 'HelmRepository', name: 'registry' } } }, values: { message: 'from the registry' } },
    });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    const s = await eventually(async () => ((await workers.objects.get(ref))?.status ?? {}) as { conditions?: HelmChartStatus['conditions'] }, (x) => findCondition(x.conditions, 'Ready')?.status === 'True', { what: 'the HelmRelease Ready', timeoutMs: 120_000 });
    expect(findCondition(s.conditions, 'Ready')?.message).toBe(`Helm install succeeded for release ${namespace}/from-registry.v1 with chart podinfo@1.1.0`);
    const configMap = (await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'from-registry' })) as { data?: Record<string, string> } | undefined;
    expect(configMap?.data).toEqual({ message: 'from the registry' });
  });

  it('installs a HelmRelease from an OCIRepository by chartRef, its chart version carrying the digest, and upgrades when the tag is pushed again', async () => {
    const crane = (...args: string[]) => execFileSync(requireBinary('crane'), args, { encoding: 'utf8' }).trim();
    const digestOf = (tag: string) => crane('digest', `${registryHost}/charts/podinfo:${tag}`);
    const source = { kind: 'OCIRepository' as const, namespace, name: 'podinfo' };
    const release = { kind: 'HelmRelease' as const, namespace, name: 'by-chartref' };
    const sourceStatus = async () => ((await workers.objects.get(source))?.status ?? {}) as { artifact?: { revision: string } };
    const releaseStatus = async () => ((await workers.objects.get(release))?.status ?? {}) as HelmReleaseStatus;
    const layerSelector = { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' };
    const pull = async (tag: string) => {
      await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: source.name, namespace }, spec: { interval: '1h', url: `oci://${registryHost}/charts/podinfo`, ref: { tag }, layerSelector } });
      await reconcileObject(workers.client, source, { taskQueuePrefix });
      await eventually(sourceStatus, (x) => x.artifact?.revision === `${tag}@${digestOf(tag)}`, { what: `the OCIRepository at ${tag}`, timeoutMs: 60_000 });
    };
    const versionOf = (digest: string) => `1.0.0+${digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;

    await pull('1.0.0');
    const first = digestOf('1.0.0');
    await apply({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: release.name, namespace }, spec: { interval: '1h', chartRef: { kind: 'OCIRepository', name: source.name }, values: { message: 'by chartRef' } } });
    await reconcileObject(workers.client, release, { taskQueuePrefix });
    let s = await eventually(releaseStatus, (x) => findCondition(x.conditions, 'Ready')?.status === 'True', { what: 'the HelmRelease Ready', timeoutMs: 120_000 });
    expect(findCondition(s.conditions, 'Ready')?.message).toBe(`Helm install succeeded for release ${namespace}/by-chartref.v1 with chart podinfo@${versionOf(first)}`);
    expect(s).toMatchObject({ lastAttemptedRevision: versionOf(first), lastAttemptedRevisionDigest: first });
    expect(s.history?.[0]).toMatchObject({ version: 1, chartName: 'podinfo', chartVersion: versionOf(first), ociDigest: first });
    const events = (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
    const installed = events.find((event) => event.involvedObject.name === 'by-chartref' && event.reason === 'InstallSucceeded');
    expect(installed?.metadata.annotations).toMatchObject({ 'helm.toolkit.fluxcd.io/revision': versionOf(first), 'helm.toolkit.fluxcd.io/oci-digest': first });
    const clusterHelm = helmRunner({ home: join(work, 'helm') });
    expect(helmList(clusterHelm, namespace).find((listed) => listed.name === 'by-chartref')?.chart).toBe(`podinfo-${versionOf(first)}`);
    // In sync: another reconcile leaves the release alone (its snapshot's digest covers the OCI digest).
    await workers.kube.apply({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: release.name, namespace, annotations: { 'reconcile.fluxcd.io/requestedAt': 'in-sync' } } }, { fieldManager: 'test-annotate' });
    await reconcileObject(workers.client, release, { taskQueuePrefix });
    s = await eventually(releaseStatus, (x) => x.lastHandledReconcileAt === 'in-sync', { what: 'the in-sync reconcile handled', timeoutMs: 60_000 });
    expect(s.history?.[0]).toMatchObject({ version: 1 });
    expect(helmList(clusterHelm, namespace).find((listed) => listed.name === 'by-chartref')?.revision).toBe('1');

    // The same tag pushed again with other content is a new chart version to Helm.
    pushChart('podinfo', '1.0.0', { 'templates/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-extra\n' });
    const second = digestOf('1.0.0');
    expect(second).not.toBe(first);
    await pull('1.0.0');
    await reconcileObject(workers.client, release, { taskQueuePrefix });
    s = await eventually(releaseStatus, (x) => x.history?.[0]?.version === 2 && findCondition(x.conditions, 'Ready')?.status === 'True', { what: 'the upgrade to the new digest', timeoutMs: 120_000 });
    expect(s.history?.[0]).toMatchObject({ chartVersion: versionOf(second), ociDigest: second });
    expect(await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'by-chartref-extra' })).toBeDefined();

    // A tag that is no version is refused, as Flux refuses it; the release stays.
    crane('tag', `${registryHost}/charts/podinfo:1.0.0`, 'stable');
    await pull('stable');
    await reconcileObject(workers.client, release, { taskQueuePrefix });
    s = await eventually(releaseStatus, (x) => findCondition(x.conditions, 'Ready')?.reason === 'ChartMutateError', { what: 'ChartMutateError', timeoutMs: 60_000 });
    expect(findCondition(s.conditions, 'Ready')?.message).toBe('failed parsing artifact revision stable');
    expect(helmList(clusterHelm, namespace).find((listed) => listed.name === 'by-chartref')).toMatchObject({ revision: '2', status: 'deployed' });
  });
});
