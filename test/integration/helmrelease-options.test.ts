// Where, as whom and how a HelmRelease installs: a targetNamespace (created on request)
// with the release stored there, as the helm CLI stores it, a release name shortened past
// 53 characters, values picked from a ConfigMap key into a path, hooks skipped, a failed
// install remediated by uninstalling it, an upgrade remediated by the uninstall strategy,
// a ServiceAccount whose RBAC decides what it may install, a remote cluster from a
// kubeconfig Secret (a second real local cluster), suspend, uninstall.keepHistory,
// upgrade.force and rollback.force, dependsOn, a target change, maxHistory, chartRef and
// drift detection's ignore rules.
// Messages are helm-controller's; `helm` itself is asked what it has in storage.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { createKwokCluster, type KwokCluster } from '../../local/kwok.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { requireBinary } from '../../tools/paths.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { deploymentTemplate } from '../harness/chart-templates.js';
import { demoRelease, helmEnvironment, helmHistory, helmList, helmRunner, type HelmRun } from '../harness/helm.js';

const run = promisify(execFile);

const templates = {
  'values.yaml': 'message: hello\n',
  'templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message | quote }}\n  replicas: {{ .Values.replicas | default 1 | quote }}\n',
  'templates/hook.yaml': '{{- if .Values.hook }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-hook\n  annotations:\n    helm.sh/hook: post-install\ndata:\n  ran: "yes"\n{{- end }}\n',
  'templates/deployment.yaml': `{{- if .Values.deployment }}\n${deploymentTemplate({ image: 'registry.example.com/app:1.0.0' })}{{- end }}\n`,
  // An object the API server refuses: the install or upgrade writes its release, then fails.
  'templates/invalid.yaml': '{{- if .Values.invalid }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\n{{- end }}\n',
};

describe('HelmRelease options', () => {
  let workers: TestWorkers;
  let remote: KwokCluster;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  const suffix = uniqueSuffix();
  const namespace = `hr-options-${suffix}`;
  const target = `hr-target-${suffix}`;

  const releaseRef = (name: string) => ({ kind: 'HelmRelease' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(releaseRef(name)))?.status ?? {}) as HelmReleaseStatus;
  const ready = (s: HelmReleaseStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const helm = helmRunner();
  const released = (name: string, run: HelmRun = helm) => helmList(run, namespace).find((r) => r.name === name);
  const configMap = async (name: string, ns = namespace) => (await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name })) as { data?: Record<string, string> } | undefined;
  const events = async (name: string, reason: string) =>
    (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items.filter((e) => e.involvedObject.name === name && e.reason === reason);

  async function applyRelease(name: string, spec: Record<string, unknown>) {
    await apply(demoRelease(namespace, name, spec));
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
  }
  const readyAgain = (name: string, generation: number) => eventually(() => status(name), (x) => x.observedGeneration === generation && ready(x)?.status === 'True', { what: `${name} Ready at generation ${generation}`, timeoutMs: 120_000 });

  async function deleteRelease(name: string) {
    await workers.kube.delete({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace, name });
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
    await eventually(() => workers.objects.get(releaseRef(name)), (x) => x === undefined, { what: `${name} gone`, timeoutMs: 60_000 });
  }

  beforeAll(async () => {
    // The remote cluster starts while this file's workers come up.
    const remoteCluster = createKwokCluster({ name: `hr-remote-${suffix}`, workdir: mkdtempSync(join(tmpdir(), 'kimbernetes-remote-')), nodes: 1 });
    workers = await startTestWorkers('hr-options', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    remote = await remoteCluster;
    charts = await startChartRepository();
    charts.addChart('demo', '1.0.0', templates);
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    for (const ns of [target, namespace]) await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    await workers?.stop();
    await charts?.stop();
    await remote?.stop();
  });

  it('installs into its targetNamespace, creating it, stores the release there, and puts a ConfigMap key at a targetPath', async () => {
    await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'placed-values', namespace }, data: { 'greeting.txt': 'a greeting' } });
    await applyRelease('placed', { targetNamespace: target, install: { createNamespace: true }, valuesFrom: [{ kind: 'ConfigMap', name: 'placed-values', valuesKey: 'greeting.txt', targetPath: 'message' }] });
    const s = await readyAgain('placed', 1);
    // The release is named <targetNamespace>-<name> and lives, Secrets too, in the target namespace.
    expect(ready(s)?.message).toBe(`Helm install succeeded for release ${target}/${target}-placed.v1 with chart demo@1.0.0`);
    expect(s.history?.[0]).toMatchObject({ name: `${target}-placed`, namespace: target, version: 1 });
    expect(s.storageNamespace).toBe(target);
    expect(helmList(helm, target).find((r) => r.name === `${target}-placed`)).toMatchObject({ namespace: target, status: 'deployed', revision: '1' });
    expect((await configMap(`${target}-placed`, target))?.data).toEqual({ message: 'a greeting', replicas: '1' });

    // Past 53 characters the release name is shortened as Flux shortens it: 40 characters, '-', 12 hex of its sha256.
    const long = 'a-release-named-long-enough-to-be-shortened';
    const full = `${target}-${long}`;
    const shortened = `${full.slice(0, 40)}-${createHash('sha256').update(full).digest('hex').slice(0, 12)}`;
    await applyRelease(long, { targetNamespace: target });
    const named = await readyAgain(long, 1);
    expect(ready(named)?.message).toBe(`Helm install succeeded for release ${target}/${shortened}.v1 with chart demo@1.0.0`);
    expect(helmList(helm, target).find((r) => r.name === shortened)).toMatchObject({ status: 'deployed' });

    // A storage namespace of its own the helm CLI cannot honour: said so, nothing installed.
    await applyRelease('stored-apart', { targetNamespace: target, storageNamespace: namespace });
    const refused = await eventually(() => status('stored-apart'), (x) => findCondition(x.conditions, 'Stalled')?.status === 'True', { what: 'stored-apart Stalled', timeoutMs: 60_000 });
    expect(ready(refused)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready(refused)?.message).toContain(`storageNamespace '${namespace}' differs from the release namespace '${target}'`);
    expect(helmList(helm, target).find((r) => r.name === `${target}-stored-apart`)).toBeUndefined();
  });

  // disableOpenAPIValidation has nothing to show here: helm leaves field validation to an
  // API server that offers it (this one does) and never asks it to be strict.
  it("skips the chart's hooks with disableHooks", async () => {
    await applyRelease('hooked', { values: { hook: true } });
    await readyAgain('hooked', 1);
    expect((await configMap('hooked-hook'))?.data).toEqual({ ran: 'yes' });

    await applyRelease('hookless', { values: { hook: true }, install: { disableHooks: true } });
    await readyAgain('hookless', 1);
    expect(await configMap('hookless')).toBeDefined();
    expect(await configMap('hookless-hook')).toBeUndefined();
  });

  it('uninstalls an install that failed after writing its release, retries it, then stalls leaving the last failure, and installs once fixed', async () => {
    await applyRelease('refused', { values: { invalid: true }, install: { remediation: { retries: 1 } } });
    const remediated = await eventually(() => status('refused'), (x) => findCondition(x.conditions, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 120_000 });
    expect(findCondition(remediated.conditions, 'Remediated')).toMatchObject({ reason: 'UninstallSucceeded', message: `Helm uninstall remediation for release ${namespace}/refused.v1 with chart demo@1.0.0 succeeded` });
    expect(findCondition(remediated.conditions, 'Released')?.message).toMatch(new RegExp(`^Helm install failed for release ${namespace}/refused with chart demo@1.0.0: [\\s\\S]*ConfigMap "Not_A_Valid_Name" is invalid`));
    expect(remediated.installFailures).toBe(1);

    // The second failure spends the retry; the last failure is not remediated by default.
    const stalled = await eventually(() => status('refused'), (x) => findCondition(x.conditions, 'Stalled')?.status === 'True', { what: 'Stalled', timeoutMs: 120_000 });
    expect(findCondition(stalled.conditions, 'Stalled')).toMatchObject({ reason: 'RetriesExceeded', message: 'Failed to install after 2 attempt(s)' });
    expect(stalled.installFailures).toBe(2);
    expect(released('refused')).toMatchObject({ status: 'failed', revision: '1' });

    await applyRelease('refused', { values: { invalid: false }, install: { remediation: { retries: 1 } } });
    const fixed = await readyAgain('refused', 2);
    expect(findCondition(fixed.conditions, 'Stalled')).toBeUndefined();
    expect(released('refused')).toMatchObject({ status: 'deployed' });
    expect((await configMap('refused'))?.data).toEqual({ message: 'hello', replicas: '1' });
  });

  it('remediates a failed upgrade by uninstalling the release when the strategy says uninstall', async () => {
    await applyRelease('replaced', {});
    await readyAgain('replaced', 1);
    await applyRelease('replaced', { values: { invalid: true }, upgrade: { remediation: { retries: 1, strategy: 'uninstall' } } });
    const remediated = await eventually(() => status('replaced'), (x) => findCondition(x.conditions, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 120_000 });
    expect(findCondition(remediated.conditions, 'Remediated')).toMatchObject({ reason: 'UninstallSucceeded', message: `Helm uninstall remediation for release ${namespace}/replaced.v2 with chart demo@1.0.0 succeeded` });
    expect(remediated.upgradeFailures).toBe(1);
    const [event] = await eventually(() => events('replaced', 'UninstallSucceeded'), (x) => x.length > 0, { what: 'UninstallSucceeded event', timeoutMs: 60_000 });
    expect(event?.type).toBe('Normal');
  });

  it('replaces objects whole with upgrade.force and rollback.force, where a plain upgrade keeps what another manager added', async () => {
    const labels = async () => ((await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'forced' })) as KubernetesObject | undefined)?.metadata.labels ?? {};
    const labelByHand = () => workers.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'forced', namespace, labels: { team: 'by-hand' } } }, { fieldManager: 'kubectl-label' });
    await applyRelease('forced', {});
    await readyAgain('forced', 1);

    // Helm's three-way patch leaves a field its manifests never set.
    await labelByHand();
    await applyRelease('forced', { values: { message: 'second' } });
    await readyAgain('forced', 2);
    expect(await labels()).toMatchObject({ team: 'by-hand' });

    // With force, Helm replaces the object by its manifest: the label is gone.
    await applyRelease('forced', { values: { message: 'third' }, upgrade: { force: true } });
    await readyAgain('forced', 3);
    expect(await labels()).not.toHaveProperty('team');
    expect((await configMap('forced'))?.data?.message).toBe('third');

    // A failed upgrade rolled back with rollback.force replaces the objects too.
    await labelByHand();
    await applyRelease('forced', { values: { message: 'fourth', invalid: true }, upgrade: { remediation: { retries: 1 } }, rollback: { force: true } });
    // retries: 1 upgrades twice (v4, v6), each failure rolled back (v5, v7), the last too
    // (remediateLastFailure defaults to true once retries > 0).
    const rolledBack = `Helm rollback to previous release ${namespace}/forced.v5 with chart demo@1.0.0 succeeded`;
    const remediated = await eventually(() => status('forced'), (x) => findCondition(x.conditions, 'Remediated')?.message === rolledBack, { what: 'forced rolled back twice', timeoutMs: 120_000 });
    expect(remediated.upgradeFailures).toBe(2);
    expect(helmHistory(helm, 'forced', namespace).at(-1)).toMatchObject({ revision: 7, status: 'deployed' });
    expect((await configMap('forced'))?.data?.message).toBe('third');
    expect(await labels()).not.toHaveProperty('team');
  });

  it("restarts the release's pods when rollback.recreate rolls a failed upgrade back", async () => {
    const pods = async () =>
      (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'app=recreated' })).items
        .filter((pod) => !pod.metadata?.deletionTimestamp)
        .map((pod) => pod.metadata?.uid);
    await applyRelease('recreated', { values: { deployment: true } });
    await readyAgain('recreated', 1);
    const before = await eventually(pods, (uids) => uids.length === 1, { what: 'the Deployment pod', timeoutMs: 60_000 });

    // The failed upgrade leaves the pod template as it was: only --recreate-pods replaces the pod.
    await applyRelease('recreated', { values: { deployment: true, invalid: true }, upgrade: { remediation: { retries: 1 } }, rollback: { recreate: true } });
    const rolledBack = `Helm rollback to previous release ${namespace}/recreated.v3 with chart demo@1.0.0 succeeded`;
    await eventually(() => status('recreated'), (x) => findCondition(x.conditions, 'Remediated')?.message === rolledBack, { what: 'recreated rolled back twice', timeoutMs: 120_000 });
    const after = await eventually(pods, (uids) => uids.length === 1 && uids[0] !== before[0], { what: 'a new pod', timeoutMs: 60_000 });
    expect(after).not.toEqual(before);
  });

  it('installs as the ServiceAccount it names, within what RBAC allows it', async () => {
    await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'installer', namespace } });
    await applyRelease('tenant', { serviceAccountName: 'installer' });
    const refused = await eventually(() => status('tenant'), (x) => ready(x)?.status === 'False' && /forbidden/.test(ready(x)?.message ?? ''), { what: 'forbidden', timeoutMs: 120_000 });
    expect(ready(refused)?.message).toContain(`system:serviceaccount:${namespace}:installer`);
    expect(released('tenant')).toBeUndefined();
    expect(await configMap('tenant')).toBeUndefined();

    // Release Secrets and ConfigMaps in its own namespace: enough for this chart.
    await apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'installer', namespace }, rules: [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['*'] }] });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'installer', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'installer' },
      subjects: [{ kind: 'ServiceAccount', name: 'installer', namespace }],
    });
    await reconcileObject(workers.client, releaseRef('tenant'), { taskQueuePrefix });
    const s = await readyAgain('tenant', 1);
    expect(ready(s)?.message).toBe(`Helm install succeeded for release ${namespace}/tenant.v1 with chart demo@1.0.0`);
    expect(released('tenant')).toMatchObject({ status: 'deployed' });
  });

  it('installs on a remote cluster from a kubeconfig Secret, and uninstalls there when deleted', async () => {
    const remoteHelm: HelmRun = (...args) => execFileSync(requireBinary('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...helmEnvironment({ cluster: false }), KUBECONFIG: remote.kubeconfigPath } });
    const { stdout: kubeconfig } = await run(requireBinary('kubectl'), ['config', 'view', '--raw', '--minify', '--flatten', '--kubeconfig', remote.kubeconfigPath]);
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'remote-kubeconfig', namespace }, stringData: { value: kubeconfig } });
    // The remote cluster has no namespace of this HelmRelease's: its target is created there.
    await applyRelease('remote', { kubeConfig: { secretRef: { name: 'remote-kubeconfig' } }, targetNamespace: 'apps', install: { createNamespace: true } });
    const s = await readyAgain('remote', 1);
    expect(ready(s)?.message).toBe('Helm install succeeded for release apps/apps-remote.v1 with chart demo@1.0.0');
    expect(helmList(remoteHelm, 'apps').find((r) => r.name === 'apps-remote')).toMatchObject({ status: 'deployed', revision: '1' });
    expect(helmList(helm, 'apps').find((r) => r.name === 'apps-remote')).toBeUndefined();
    expect(await configMap('apps-remote', 'apps')).toBeUndefined();

    await deleteRelease('remote');
    expect(helmList(remoteHelm, 'apps').find((r) => r.name === 'apps-remote')).toBeUndefined();

    // With its kubeconfig Secret gone nothing can reach the release: as Flux, the HelmRelease goes and the release stays.
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'orphan-kubeconfig', namespace }, stringData: { value: kubeconfig } });
    await applyRelease('orphaned', { kubeConfig: { secretRef: { name: 'orphan-kubeconfig' } }, targetNamespace: 'apps' });
    await readyAgain('orphaned', 1);
    await workers.kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'orphan-kubeconfig' });
    await deleteRelease('orphaned');
    expect(helmList(remoteHelm, 'apps').find((r) => r.name === 'apps-orphaned')).toMatchObject({ status: 'deployed' });
  });

  it('leaves a suspended release alone, upgrades it when resumed, and keeps its history on uninstall with keepHistory', async () => {
    await applyRelease('kept', { uninstall: { keepHistory: true } });
    await readyAgain('kept', 1);
    await applyRelease('kept', { uninstall: { keepHistory: true }, suspend: true, values: { message: 'while suspended' } });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(released('kept')).toMatchObject({ revision: '1' });
    expect((await configMap('kept'))?.data?.message).toBe('hello');

    await applyRelease('kept', { uninstall: { keepHistory: true }, values: { message: 'resumed' } });
    await readyAgain('kept', 3);
    expect(released('kept')).toMatchObject({ revision: '2', status: 'deployed' });
    expect((await configMap('kept'))?.data?.message).toBe('resumed');

    await deleteRelease('kept');
    expect(await configMap('kept')).toBeUndefined();
    expect(helmHistory(helm, 'kept', namespace).map((r) => r.status)).toEqual(['superseded', 'uninstalled']);
  });

  it('lets go of a HelmRelease deleted while suspended, leaving its release installed', async () => {
    await applyRelease('let-go', {});
    await readyAgain('let-go', 1);
    await applyRelease('let-go', { suspend: true });
    await deleteRelease('let-go');
    expect(released('let-go')).toMatchObject({ status: 'deployed', revision: '1' });
    expect(await configMap('let-go')).toBeDefined();
  });

  it('waits for the HelmRelease it dependsOn, names a cycle, and installs once its dependency is Ready', async () => {
    await applyRelease('after', { dependsOn: [{ name: 'before' }] });
    const waiting = await eventually(() => status('after'), (x) => ready(x)?.reason === 'DependencyNotReady', { what: 'DependencyNotReady', timeoutMs: 60_000 });
    expect(ready(waiting)?.message).toBe(`unable to get '${namespace}/before' dependency: helmreleases.helm.toolkit.fluxcd.io "before" not found`);
    expect(released('after')).toBeUndefined();
    await applyRelease('before', {});
    await readyAgain('before', 1);
    await reconcileObject(workers.client, releaseRef('after'), { taskQueuePrefix, requestedAt: 'dependency-ready' });
    await readyAgain('after', 1);
    expect(released('after')).toMatchObject({ status: 'deployed' });

    await applyRelease('cycle-a', { dependsOn: [{ name: 'cycle-b' }] });
    await applyRelease('cycle-b', { dependsOn: [{ name: 'cycle-a' }] });
    const cycle = await eventually(() => status('cycle-a'), (x) => /cycle/.test(ready(x)?.message ?? ''), { what: 'the cycle named', timeoutMs: 60_000 });
    expect(ready(cycle)).toMatchObject({ status: 'False', reason: 'DependencyNotReady', message: `dependency cycle: ${namespace}/cycle-a -> ${namespace}/cycle-b -> ${namespace}/cycle-a` });
    expect(released('cycle-a')).toBeUndefined();
  });

  it('uninstalls the release left under the old target when the targetNamespace changes, then installs in the new one', async () => {
    await applyRelease('moving', {});
    await readyAgain('moving', 1);
    await applyRelease('moving', { targetNamespace: target });
    const s = await readyAgain('moving', 2);
    expect(ready(s)?.message).toBe(`Helm install succeeded for release ${target}/${target}-moving.v1 with chart demo@1.0.0`);
    expect(s.history?.map((h) => `${h.namespace}/${h.name}.v${h.version}`)).toEqual([`${target}/${target}-moving.v1`]);
    expect(released('moving')).toBeUndefined();
    expect(await configMap('moving')).toBeUndefined();
    expect(helmList(helm, target).find((r) => r.name === `${target}-moving`)).toMatchObject({ status: 'deployed', revision: '1' });
    const [uninstalled] = await eventually(() => events('moving', 'UninstallSucceeded'), (x) => x.length > 0, { what: 'UninstallSucceeded event', timeoutMs: 10_000 });
    expect(uninstalled?.message).toBe(`Helm uninstall succeeded for release ${namespace}/moving.v1 with chart demo@1.0.0`);
    // The old release goes in a step of its own, before the install.
    const history = JSON.stringify(await fetchHistoryJson(`helmrelease/${namespace}/moving`, 'helmrelease-target-changed.json', { containing: 'HelmRelease.uninstallTarget' }));
    expect(history.indexOf('HelmRelease.uninstallTarget')).toBeGreaterThan(-1);
    expect(history.indexOf('HelmRelease.uninstallTarget')).toBeLessThan(history.indexOf('HelmRelease.install'));
  });

  it('keeps at most maxHistory releases in Helm storage', async () => {
    await applyRelease('brief', { maxHistory: 2 });
    await readyAgain('brief', 1);
    for (const [generation, message] of [[2, 'second'], [3, 'third']] as const) {
      await applyRelease('brief', { maxHistory: 2, values: { message } });
      await readyAgain('brief', generation);
    }
    expect(helmHistory(helm, 'brief', namespace).map((r) => [r.revision, r.status])).toEqual([
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
  });

  it('installs the HelmChart its chartRef names, and leaves that chart alone when deleted', async () => {
    const chartRef = { kind: 'HelmChart' as const, namespace, name: 'shared-demo' };
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', metadata: { name: 'shared-demo', namespace }, spec: { interval: '1h', chart: 'demo', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } });
    await reconcileObject(workers.client, chartRef, { taskQueuePrefix });
    await applyRelease('referring', { chart: undefined, chartRef: { kind: 'HelmChart', name: 'shared-demo' } });
    const s = await readyAgain('referring', 1);
    expect(ready(s)?.message).toBe(`Helm install succeeded for release ${namespace}/referring.v1 with chart demo@1.0.0`);
    expect(await workers.objects.get({ kind: 'HelmChart', namespace, name: `${namespace}-referring` })).toBeUndefined();
    // status.helmChart names a templated chart only, as Flux's.
    expect(s.helmChart).toBeUndefined();
    await deleteRelease('referring');
    expect(released('referring')).toBeUndefined();
    expect(await workers.objects.get(chartRef)).toBeDefined();
  });

  it("corrects drift except where driftDetection's ignore rules say the cluster may differ", async () => {
    const ignore = [{ paths: ['/data/message'], target: { kind: 'ConfigMap' } }];
    await applyRelease('ignoring', { values: { replicas: 2 }, driftDetection: { mode: 'enabled', ignore } });
    await readyAgain('ignoring', 1);
    // Someone edits the ignored field: nothing to correct.
    await workers.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignoring', namespace }, data: { message: 'edited by hand' } }, { fieldManager: 'kubectl-edit', force: true });
    await reconcileObject(workers.client, releaseRef('ignoring'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await events('ignoring', 'DriftCorrected')).toEqual([]);
    expect((await configMap('ignoring'))?.data).toEqual({ message: 'edited by hand', replicas: '2' });

    // And a field that is not ignored: corrected, the ignored one left as it is.
    await workers.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignoring', namespace }, data: { message: 'edited by hand', replicas: '5' } }, { fieldManager: 'kubectl-edit', force: true });
    await reconcileObject(workers.client, releaseRef('ignoring'), { taskQueuePrefix });
    const [corrected] = await eventually(() => events('ignoring', 'DriftCorrected'), (x) => x.length > 0, { what: 'DriftCorrected', timeoutMs: 60_000 });
    expect(corrected?.message).toBe(`Cluster state of release ${namespace}/ignoring.v1 has been corrected:\nConfigMap/${namespace}/ignoring configured`);
    expect((await configMap('ignoring'))?.data).toEqual({ message: 'edited by hand', replicas: '2' });
    expect(released('ignoring')).toMatchObject({ revision: '1' });
  });
});
