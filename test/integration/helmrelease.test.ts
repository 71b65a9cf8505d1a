// A HelmRelease reconciled by its loop on the helm-controller queue with the real helm,
// against charts the real helm packaged, served by a chart repository over HTTP with basic
// auth, through the HelmChart its template makes on the source-controller queue, into the
// local cluster. Expected messages are helm-controller's; expected config digests are
// sha256 of the values as Flux's sorted YAML writes them; `helm` itself is asked what it
// has in storage.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { requireBinary } from '../../tools/paths.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { demoRelease, helmEnvironment, helmHistory, helmList as listReleases, helmRunner } from '../harness/helm.js';

describe('HelmRelease', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  const namespace = `helmrelease-${uniqueSuffix()}`;
  const credentials = { username: 'charts', password: 'chart-pa55-never-logged' };

  const releaseRef = (name: string) => ({ kind: 'HelmRelease' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(releaseRef(name)))?.status ?? {}) as HelmReleaseStatus;
  const ready = (s: HelmReleaseStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
  const helm = helmRunner();
  const helmList = () => listReleases(helm, namespace);
  const configMapData = async (name: string) => ((await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name })) as { data?: Record<string, string> } | undefined)?.data;

  async function applyRelease(name: string, spec: Record<string, unknown>) {
    await apply(demoRelease(namespace, name, spec));
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
  }

  beforeAll(async () => {
    workers = await startTestWorkers('helmrelease', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository({ credentials });
    charts.addChart('demo', '1.0.0', {
      'values.yaml': 'message: hello\nhook: false\n',
      'templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ required "message is required" .Values.message | quote }}\n  replicas: {{ .Values.replicas | default 1 | quote }}\n',
      // An object the API server refuses: an upgrade that writes its release, then fails.
      'templates/invalid.yaml': '{{- if .Values.invalid }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n{{- end }}\n',
      // A pre-upgrade hook whose Job takes a while on kwok: helm waits on it until killed.
      'templates/hook.yaml': '{{- if .Values.hook }}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-hook\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: wait\n          image: busybox\n{{- end }}\n',
    });
    charts.addChart('strict', '1.0.0', { 'values.schema.json': '{"type": "object", "properties": {"replicas": {"type": "integer"}}}' });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'charts-auth', namespace }, stringData: credentials });
    await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo-values', namespace }, data: { 'values.yaml': 'message: from-configmap\nreplicas: 2\n' } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url, secretRef: { name: 'charts-auth' } } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
  });

  it('installs the chart its template names with the values composed in order, as helm sees it', async () => {
    await applyRelease('demo', { valuesFrom: [{ kind: 'ConfigMap', name: 'demo-values' }], values: { message: 'inline' } });
    const s = await eventually(() => status('demo'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    expect(ready(s)).toMatchObject({ reason: 'InstallSucceeded', message: `Helm install succeeded for release ${namespace}/demo.v1 with chart demo@1.0.0` });
    expect(findCondition(s.conditions, 'Released')).toMatchObject({ status: 'True', reason: 'InstallSucceeded' });
    // spec.values over valuesFrom; the digest of the values as Flux's sorted YAML.
    const digest = sha256('message: inline\nreplicas: 2\n');
    expect(s.lastAttemptedConfigDigest).toBe(digest);
    expect(s.history).toHaveLength(1);
    expect(s.history![0]).toMatchObject({ name: 'demo', namespace, version: 1, status: 'deployed', chartName: 'demo', chartVersion: '1.0.0', configDigest: digest });
    expect(s.history![0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(s.helmChart).toBe(`${namespace}/${namespace}-demo`);
    expect(s.lastAttemptedRevision).toBe('1.0.0');
    expect(s.observedGeneration).toBe(1);
    expect(await configMapData('demo')).toEqual({ message: 'inline', replicas: '2' });
    expect(helmList()).toEqual([expect.objectContaining({ name: 'demo', revision: '1', status: 'deployed', chart: 'demo-1.0.0' })]);
    // The HelmChart the template made, labelled as helm-controller labels it.
    const chart = await workers.objects.get({ kind: 'HelmChart', namespace, name: `${namespace}-demo` });
    expect(chart?.metadata.labels).toMatchObject({ 'helm.toolkit.fluxcd.io/name': 'demo', 'helm.toolkit.fluxcd.io/namespace': namespace });
    const history = JSON.stringify(await fetchHistoryJson(`helmrelease/${namespace}/demo`, 'helmrelease.json', { containing: 'HelmRelease.install' }));
    for (const step of ['resolveRelease', 'fetchChart', 'install', 'finalizeStatus']) expect(history).toContain(`HelmRelease.${step}`);
  });

  it('upgrades when the values change, and leaves a release in sync alone', async () => {
    await applyRelease('demo', { valuesFrom: [{ kind: 'ConfigMap', name: 'demo-values' }], values: { message: 'upgraded' } });
    const s = await eventually(() => status('demo'), (x) => x.observedGeneration === 2 && ready(x)?.status === 'True', { what: 'upgraded', timeoutMs: 120_000 });
    expect(ready(s)).toMatchObject({ reason: 'UpgradeSucceeded', message: `Helm upgrade succeeded for release ${namespace}/demo.v2 with chart demo@1.0.0` });
    expect(s.history?.map((h) => [h.version, h.status])).toEqual([
      [2, 'deployed'],
      [1, 'superseded'],
    ]);
    expect(await configMapData('demo')).toEqual({ message: 'upgraded', replicas: '2' });
    await reconcileObject(workers.client, releaseRef('demo'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(helmList()[0]).toMatchObject({ revision: '2' });
  });

  it('reports an upgrade that does not render, keeps the release, and recovers with good values', async () => {
    await applyRelease('demo', { values: { message: null } });
    const s = await eventually(() => status('demo'), (x) => ready(x)?.status === 'False', { what: 'Ready=False', timeoutMs: 120_000 });
    expect(ready(s)?.reason).toBe('UpgradeFailed');
    expect(ready(s)?.message).toMatch(new RegExp(`^Helm upgrade failed for release ${namespace}/demo with chart demo@1.0.0: .*message is required`));
    expect(helmList()[0]).toMatchObject({ revision: '2', status: 'deployed' });
    expect(await configMapData('demo')).toEqual({ message: 'upgraded', replicas: '2' });
    await applyRelease('demo', { values: { message: 'fixed' } });
    const fixed = await eventually(() => status('demo'), (x) => ready(x)?.status === 'True', { what: 'Ready again', timeoutMs: 120_000 });
    expect(ready(fixed)?.message).toBe(`Helm upgrade succeeded for release ${namespace}/demo.v3 with chart demo@1.0.0`);
  });

  it('unlocks a release a killed helm left pending-upgrade, then upgrades it', async () => {
    // A helm killed with SIGKILL while it waits on a hook: the release stays pending-upgrade.
    const valuesFile = `/tmp/${namespace}-hook.json`;
    execFileSync('sh', ['-c', `echo '{"message":"stuck","hook":true}' > ${valuesFile}`]);
    const chart = `${charts.dir}/demo-1.0.0.tgz`;
    const killed = spawn(requireBinary('helm'), ['upgrade', 'demo', chart, '--namespace', namespace, '--values', valuesFile, '--timeout', '10m'], { env: helmEnvironment(), stdio: 'ignore' });
    await eventually(async () => helmList()[0]?.status, (x) => x === 'pending-upgrade', { what: 'pending-upgrade', timeoutMs: 60_000 });
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.on('exit', resolve));
    expect(helmList()[0]?.status).toBe('pending-upgrade');

    await reconcileObject(workers.client, releaseRef('demo'), { taskQueuePrefix });
    const s = await eventually(() => status('demo'), (x) => ready(x)?.status === 'True' && (x.history?.[0]?.version ?? 0) >= 5, { what: 'upgraded after the unlock', timeoutMs: 120_000 });
    expect(helmList()[0]).toMatchObject({ status: 'deployed', revision: '5' });
    expect(ready(s)?.message).toBe(`Helm upgrade succeeded for release ${namespace}/demo.v5 with chart demo@1.0.0`);
    expect(helmHistory(helm, 'demo', namespace).find((r) => r.revision === 4)).toMatchObject({ status: 'failed', description: "Release unlocked from stale 'pending-upgrade' state" });
  });

  it('rolls back an upgrade that fails after writing its release, then stalls once the retries are spent', async () => {
    // The API server refuses one of the objects: the upgrade fails after writing its release.
    await applyRelease('demo', { values: { message: 'refused', invalid: true }, upgrade: { remediation: { retries: 1 } } });
    const remediated = await eventually(() => status('demo'), (x) => findCondition(x.conditions, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 120_000 });
    expect(findCondition(remediated.conditions, 'Remediated')).toMatchObject({ reason: 'RollbackSucceeded', message: `Helm rollback to previous release ${namespace}/demo.v5 with chart demo@1.0.0 succeeded` });
    expect(findCondition(remediated.conditions, 'Released')).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
    expect(findCondition(remediated.conditions, 'Released')?.message).toMatch(new RegExp(`^Helm upgrade failed for release ${namespace}/demo with chart demo@1.0.0: .*Not_A_Valid_Name`));
    expect(ready(remediated)?.status).toBe('False');
    expect(remediated.upgradeFailures).toBe(1);
    const history = helmHistory(helm, 'demo', namespace);
    expect(history.find((r) => r.revision === 6)?.status).toBe('failed');
    expect(history.find((r) => r.revision === 7)).toMatchObject({ status: 'deployed', description: 'Rollback to 5' });
    expect(await configMapData('demo')).toEqual({ message: 'fixed', replicas: '1' });

    // The second failure spends the retry: rolled back again, and stalled.
    const stalled = await eventually(() => status('demo'), (x) => findCondition(x.conditions, 'Stalled')?.status === 'True', { what: 'Stalled', timeoutMs: 120_000 });
    expect(findCondition(stalled.conditions, 'Stalled')).toMatchObject({ reason: 'RetriesExceeded', message: 'Failed to upgrade after 2 attempt(s)' });
    expect(stalled.upgradeFailures).toBe(2);
    expect(helmList()[0]).toMatchObject({ status: 'deployed', revision: '9' });
  });

  it('honours a reset of the failure counters and a forced upgrade once each, as `flux reconcile hr --reset|--force` asks', async () => {
    // As the CLI writes them: the request's token in requestedAt and in resetAt or forceAt.
    const request = async (annotation: string, token: string) => {
      await workers.kube.apply(
        { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'demo', namespace, annotations: { 'reconcile.fluxcd.io/requestedAt': token, [annotation]: token } } },
        { fieldManager: 'test-requests' },
      );
      await reconcileObject(workers.client, releaseRef('demo'), { taskQueuePrefix, requestedAt: token });
    };
    // Stalled with 2 failures: a reset lets the upgrade be tried (and remediated) again.
    await request('reconcile.fluxcd.io/resetAt', 'reset-1');
    const reset = await eventually(() => status('demo'), (x) => x.lastHandledResetAt === 'reset-1', { what: 'the reset handled', timeoutMs: 120_000 });
    expect(reset.upgradeFailures).toBe(1);
    expect(findCondition(reset.conditions, 'Stalled')).toBeUndefined();
    expect(findCondition(reset.conditions, 'Remediated')).toMatchObject({ status: 'True', reason: 'RollbackSucceeded' });

    await applyRelease('demo', { values: { message: 'in sync' } });
    const inSync = await eventually(() => status('demo'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    const version = inSync.history![0]!.version;
    await request('reconcile.fluxcd.io/forceAt', 'force-1');
    const forced = await eventually(() => status('demo'), (x) => x.lastHandledForceAt === 'force-1', { what: 'the force handled', timeoutMs: 120_000 });
    expect(forced.history![0]!.version).toBe(version + 1);
    expect(ready(forced)?.message).toBe(`Helm upgrade succeeded for release ${namespace}/demo.v${version + 1} with chart demo@1.0.0`);
    // Handled once: another reconcile with the same token does nothing.
    await reconcileObject(workers.client, releaseRef('demo'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(helmList()[0]).toMatchObject({ revision: String(version + 1) });
  });

  it('says which values reference is missing, installs without an optional one, and recovers when the Secret appears', async () => {
    await applyRelease('needs-secret', { valuesFrom: [{ kind: 'Secret', name: 'release-values' }] });
    // The chart first (SourceNotReady while its HelmChart is new), then the values, as Flux orders them.
    const missing = await eventually(() => status('needs-secret'), (x) => ready(x)?.reason === 'ValuesError', { what: 'ValuesError', timeoutMs: 120_000 });
    expect(ready(missing)).toMatchObject({ reason: 'ValuesError', message: `could not resolve Secret chart values reference '${namespace}/release-values' with key 'values.yaml': secrets "release-values" not found` });
    expect(helmList().map((r) => r.name)).not.toContain('needs-secret');

    await applyRelease('optional', { valuesFrom: [{ kind: 'Secret', name: 'release-values', optional: true }], values: { message: 'no secret needed' } });
    await eventually(() => status('optional'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    expect(await configMapData('optional')).toMatchObject({ message: 'no secret needed' });

    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'release-values', namespace }, stringData: { 'values.yaml': 'message: from-a-secret\n' } });
    await reconcileObject(workers.client, releaseRef('needs-secret'), { taskQueuePrefix });
    await eventually(() => status('needs-secret'), (x) => ready(x)?.status === 'True', { what: 'Ready with the Secret', timeoutMs: 120_000 });
    expect(await configMapData('needs-secret')).toMatchObject({ message: 'from-a-secret' });
    // The Secret's values stay on the worker: no Temporal payload carries them.
    const history = JSON.stringify(await fetchHistoryJson(`helmrelease/${namespace}/needs-secret`, 'helmrelease-secret-values.json', { containing: 'HelmRelease.install' }));
    expect(history).toContain('HelmRelease.install');
    expect(history).not.toContain('from-a-secret');
  });

  it('waits on a chart version the repository does not have, naming the HelmChart and the cause', async () => {
    await applyRelease('no-version', { chart: { spec: { chart: 'demo', version: '9.9.9', sourceRef: { kind: 'HelmRepository', name: 'charts' } } } });
    const s = await eventually(() => status('no-version'), (x) => ready(x)?.reason === 'SourceNotReady' && /invalid chart reference/.test(ready(x)?.message ?? ''), { what: 'SourceNotReady', timeoutMs: 120_000 });
    expect(ready(s)?.message).toBe(`HelmChart '${namespace}/${namespace}-no-version' is not ready: invalid chart reference: failed to get chart version for remote reference: no 'demo' chart with version matching '9.9.9' found`);
    expect(s.history ?? []).toEqual([]);
  });

  it("fails an install whose values break the chart's values.schema.json, installing nothing", async () => {
    await applyRelease('strict', { chart: { spec: { chart: 'strict', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, values: { replicas: 'three' } });
    const s = await eventually(() => status('strict'), (x) => ready(x)?.status === 'False' && ready(x)?.reason === 'InstallFailed', { what: 'InstallFailed', timeoutMs: 120_000 });
    expect(ready(s)?.message).toMatch(new RegExp(`^Helm install failed for release ${namespace}/strict with chart strict@1.0.0: .*schema`));
    expect(helmList().map((r) => r.name)).not.toContain('strict');
    // Nothing written, nothing counted: a fixed value installs.
    expect(s.installFailures ?? 0).toBe(0);
    await applyRelease('strict', { chart: { spec: { chart: 'strict', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, values: { replicas: 3 } });
    await eventually(() => status('strict'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
  });

  it('uninstalls the release and deletes its HelmChart when the HelmRelease is deleted', async () => {
    await workers.kube.delete({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace, name: 'demo' });
    await reconcileObject(workers.client, releaseRef('demo'), { taskQueuePrefix });
    await eventually(() => workers.objects.get(releaseRef('demo')), (x) => x === undefined, { what: 'the HelmRelease gone', timeoutMs: 60_000 });
    expect(helmList().map((r) => r.name)).not.toContain('demo');
    expect(await workers.objects.get({ kind: 'HelmChart', namespace, name: `${namespace}-demo` })).toBeUndefined();
    expect(await configMapData('demo')).toBeUndefined();
  });
});
