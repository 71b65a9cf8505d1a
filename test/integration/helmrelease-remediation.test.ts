// A HelmRelease's tests and the remediation of what fails after Helm wrote a release: the
// chart's test hooks run by the real `helm test` after an install or upgrade (filtered,
// their failures ignored or counted), a failing hook, and an upgrade whose Deployment never
// becomes ready, each remediated as helm-controller does. On the local cluster (kwok) a
// bare Pod never finishes, a Job's Pod completes; so the chart's tests and hooks are Jobs,
// and one that must fail cannot be scheduled and passes its deadline. Messages are
// helm-controller's; `helm history` is asked what Helm recorded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { deploymentTemplate } from '../harness/chart-templates.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { helmHistory, helmRunner } from '../harness/helm.js';

/** A Job whose Pod runs to completion on kwok, or, `stuck`, is never scheduled and fails at its deadline. */
const job = (name: string, annotations: Record<string, string>, stuck: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations)
  .map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`)
  .join('\n')}
spec:
  backoffLimit: 0
{{- if ${stuck} }}
  activeDeadlineSeconds: 2
{{- end }}
  template:
    spec:
      restartPolicy: Never
{{- if ${stuck} }}
      nodeSelector:
        kimbernetes.test/no-such-node: "true"
{{- end }}
      containers:
        - name: check
          image: busybox
`;

describe('HelmRelease tests and remediation', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  const namespace = `hr-remediation-${uniqueSuffix()}`;

  const releaseRef = (name: string) => ({ kind: 'HelmRelease' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(releaseRef(name)))?.status ?? {}) as HelmReleaseStatus;
  const condition = (s: HelmReleaseStatus, type: string) => findCondition(s.conditions, type);
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const helm = helmRunner();
  const releaseHistory = (name: string) => helmHistory(helm, name, namespace);
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;

  async function applyRelease(name: string, spec: Record<string, unknown>) {
    await apply({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name, namespace },
      spec: { interval: '1h', chart: { spec: { chart: 'checked', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, ...spec },
    });
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
  }

  beforeAll(async () => {
    workers = await startTestWorkers('hr-remediation', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository();
    charts.addChart('checked', '1.0.0', {
      'values.yaml': 'message: hello\nunschedulable: false\nfailHook: false\n',
      'templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message | quote }}\n',
      'templates/deployment.yaml': deploymentTemplate({
        image: 'busybox',
        annotations: '{ message: {{ .Values.message | quote }} }',
        podSpec: '{{- if .Values.unschedulable }}\n      nodeSelector:\n        kimbernetes.test/no-such-node: "true"\n{{- end }}',
      }),
      'templates/hook.yaml': `{{- if .Values.failHook }}\n${job('{{ .Release.Name }}-migrate', { 'helm.sh/hook': 'pre-upgrade' }, 'true')}{{- end }}\n`,
      'templates/test-passes.yaml': job('{{ .Release.Name }}-passes', { 'helm.sh/hook': 'test' }, 'false'),
      'templates/test-fails.yaml': job('{{ .Release.Name }}-fails', { 'helm.sh/hook': 'test', 'helm.sh/hook-weight': '1' }, 'true'),
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await charts?.stop();
  });

  it("runs the chart's tests after the install, as the filters choose them, and summarizes Ready from them", async () => {
    await applyRelease('tested', { test: { enable: true, filters: [{ name: 'tested-fails', exclude: true }] } });
    const s = await eventually(() => status('tested'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    // Flux counts the release's test hooks (TestHooksFromRelease), the one the filter left out too.
    const message = `Helm test succeeded for release ${namespace}/tested.v1 with chart checked@1.0.0: 2 test hooks completed successfully`;
    expect(condition(s, 'TestSuccess')).toMatchObject({ status: 'True', reason: 'TestSucceeded', message });
    expect(condition(s, 'Ready')).toMatchObject({ reason: 'TestSucceeded', message });
    expect(condition(s, 'Released')).toMatchObject({ status: 'True', reason: 'InstallSucceeded' });
    expect(Object.keys(s.history![0]!.testHooks ?? {}).sort()).toEqual(['tested-fails', 'tested-passes']);
    expect(s.history![0]!.testHooks!['tested-fails']).toEqual({});
    expect(s.history![0]!.testHooks!['tested-passes']).toMatchObject({ phase: 'Succeeded', lastStarted: expect.any(String), lastCompleted: expect.any(String) });
    expect((await events()).some((e) => e.involvedObject.name === 'tested' && e.reason === 'TestSucceeded' && e.message === message)).toBe(true);
    // The test is a step of its own in the Web UI, after the install.
    const history = JSON.stringify(await fetchHistoryJson(`helmrelease/${namespace}/tested`, 'helmrelease-tested.json', { containing: 'HelmRelease.install' }));
    expect(history.indexOf('HelmRelease.test')).toBeGreaterThan(history.indexOf('HelmRelease.install'));

    // A reconcile with nothing changed does not test again.
    await reconcileObject(workers.client, releaseRef('tested'), { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await status('tested')).history![0]!.testHooks).toEqual(s.history![0]!.testHooks);
  });

  it('reports a failed test on TestSuccess only when failures are ignored', async () => {
    await applyRelease('tested', { values: { message: 'second' }, test: { enable: true, ignoreFailures: true } });
    const s = await eventually(() => status('tested'), (x) => condition(x, 'TestSuccess')?.status === 'False', { what: 'TestSuccess=False', timeoutMs: 120_000 });
    expect(condition(s, 'TestSuccess')?.reason).toBe('TestFailed');
    expect(condition(s, 'TestSuccess')?.message).toMatch(new RegExp(`^Helm test failed for release ${namespace}/tested.v2 with chart checked@1.0.0: [\\s\\S]*job tested-fails failed`));
    expect(condition(s, 'Ready')).toMatchObject({ status: 'True', reason: 'UpgradeSucceeded' });
    expect(s.history![0]!.testHooks!['tested-fails']?.phase).toBe('Failed');
    expect(s).toMatchObject({ failures: 1, upgradeFailures: 0 });
    expect(condition(s, 'Remediated')).toBeUndefined();
  });

  it('rolls back a release whose test failed when failures count, to the last release whose tests passed', async () => {
    await applyRelease('tested', { values: { message: 'third' }, test: { enable: true }, upgrade: { remediation: { retries: 1 } } });
    const s = await eventually(() => status('tested'), (x) => condition(x, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 120_000 });
    // v2 failed its tests too: the rollback skips it for v1.
    expect(condition(s, 'Remediated')).toMatchObject({ reason: 'RollbackSucceeded', message: `Helm rollback to previous release ${namespace}/tested.v1 with chart checked@1.0.0 succeeded` });
    expect(condition(s, 'TestSuccess')).toMatchObject({ status: 'False', reason: 'TestFailed' });
    expect(condition(s, 'Ready')?.status).toBe('False');
    expect(s.upgradeFailures).toBe(1);
    expect(releaseHistory('tested').find((r) => r.revision === 4)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
  });

  it('rolls back an upgrade whose Deployment never becomes ready, and one whose hook fails, keeping the release that worked', async () => {
    await applyRelease('app', {});
    await eventually(() => status('app'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'installed', timeoutMs: 120_000 });

    await applyRelease('app', { values: { message: 'never ready', unschedulable: true }, upgrade: { timeout: '5s', remediation: { retries: 2 } } });
    const stuck = await eventually(() => status('app'), (x) => condition(x, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 120_000 });
    expect(condition(stuck, 'Released')?.reason).toBe('UpgradeFailed');
    expect(condition(stuck, 'Released')?.message).toMatch(new RegExp(`^Helm upgrade failed for release ${namespace}/app with chart checked@1.0.0: .*(context deadline exceeded|timed out)`));
    expect(condition(stuck, 'Remediated')).toMatchObject({ reason: 'RollbackSucceeded', message: `Helm rollback to previous release ${namespace}/app.v1 with chart checked@1.0.0 succeeded` });
    expect(stuck.upgradeFailures).toBeGreaterThanOrEqual(1);
    expect(releaseHistory('app').find((r) => r.revision === 2)?.status).toBe('failed');

    await applyRelease('app', { values: { message: 'hook fails', failHook: true }, upgrade: { remediation: { retries: 2 } } });
    const hooked = await eventually(() => status('app'), (x) => x.lastAttemptedGeneration === 3 && condition(x, 'Remediated')?.status === 'True', { what: 'Remediated after the hook', timeoutMs: 120_000 });
    expect(condition(hooked, 'Released')?.message).toMatch(/pre-upgrade hooks failed/);
    // Back to the newest release that worked (which revision depends on how many retries the Deployment's upgrade got).
    expect(condition(hooked, 'Remediated')?.message).toMatch(new RegExp(`^Helm rollback to previous release ${namespace}/app\\.v\\d+ with chart checked@1\\.0\\.0 succeeded$`));
    const configMap = (await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'app' })) as { data?: Record<string, string> } | undefined;
    expect(configMap?.data).toEqual({ message: 'hello' });
    expect((await events()).some((e) => e.involvedObject.name === 'app' && e.type === 'Warning' && e.reason === 'UpgradeFailed')).toBe(true);
  });
});
