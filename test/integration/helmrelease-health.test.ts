// The health of a release's objects under the poller wait strategy (helm-controller v1.5's
// `waitStrategy: poller` with `healthCheckExprs`), against the real helm and API server:
// the install counts only once a custom resource of the chart is healthy by its
// expression, in a checkHealth step of its own; an upgrade whose custom resource fails is
// a failed upgrade, remediated by rollback; a Deployment that never becomes available
// fails the install at its timeout. Without a wait strategy, Helm's own wait decides, as
// in helm-controller v1.4, and custom resources are not judged.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startChartRepository, type ChartRepository } from '../harness/chart-repository.js';
import { deploymentTemplate } from '../harness/chart-templates.js';
import { eventually } from '../harness/eventually.js';
import { helmHistory, helmList, helmRunner } from '../harness/helm.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

const gadgets = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.health.example.com
spec:
  group: health.example.com
  names: { kind: Gadget, plural: gadgets, singular: gadget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

// Without a status subresource the chart itself says the Gadget's phase.
const gadget = `apiVersion: health.example.com/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}
spec:
  size: 1
status:
  phase: {{ .Values.phase }}
`;

const gadgetChecks = [{ apiVersion: 'health.example.com/v1', kind: 'Gadget', current: 'status.phase == "Ready"', failed: 'status.phase == "Failed"' }];

describe('HelmRelease health of the release objects', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  const namespace = `hr-health-${uniqueSuffix()}`;
  const helm = helmRunner();

  const releaseRef = (name: string) => ({ kind: 'HelmRelease' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(releaseRef(name)))?.status ?? {}) as HelmReleaseStatus;
  const condition = (s: HelmReleaseStatus, type: string) => findCondition(s.conditions, type);
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const gadgetPhase = async (name: string) => ((await workers.kube.get({ apiVersion: 'health.example.com/v1', kind: 'Gadget', namespace, name })) as { status?: { phase?: string } } | undefined)?.status?.phase;

  async function applyRelease(name: string, chart: string, spec: Record<string, unknown>) {
    await apply({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name, namespace },
      spec: { interval: '1h', chart: { spec: { chart, version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, ...spec },
    });
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
  }

  beforeAll(async () => {
    workers = await startTestWorkers('hr-health', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository();
    charts.addChart('gadgets', '1.0.0', { 'crds/gadgets.yaml': gadgets, 'templates/gadget.yaml': gadget, 'values.yaml': 'phase: Pending\n' });
    charts.addChart('stuck', '1.0.0', {
      'templates/deployment.yaml': deploymentTemplate({ image: 'registry.example.com/app:1.0.0', podSpec: '      nodeSelector: { kimbernetes.test/never: "true" }' }),
    });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'gadgets.health.example.com' });
    await workers?.stop();
    await charts?.stop();
  });

  it('counts an install only once its custom resource is healthy by its expression, in a step of its own', async () => {
    await applyRelease('waited', 'gadgets', { waitStrategy: { name: 'poller' }, healthCheckExprs: gadgetChecks, timeout: '2m' });
    // Helm has made the Gadget; the release is not Ready while it is Pending.
    await eventually(() => gadgetPhase('waited'), (phase) => phase === 'Pending', { what: 'the Gadget', timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(condition(await status('waited'), 'Ready')?.status).not.toBe('True');
    expect(helmList(helm, namespace).find((r) => r.name === 'waited')?.status).toBe('deployed');

    // Its operator (here, the test) says it is ready.
    await workers.kube.apply({ apiVersion: 'health.example.com/v1', kind: 'Gadget', metadata: { name: 'waited', namespace }, status: { phase: 'Ready' } }, { fieldManager: 'gadget-operator', force: true });
    const s = await eventually(() => status('waited'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'Ready', timeoutMs: 60_000 });
    expect(condition(s, 'Ready')).toMatchObject({ reason: 'InstallSucceeded', message: `Helm install succeeded for release ${namespace}/waited.v1 with chart gadgets@1.0.0` });
    expect(s.history?.[0]).toMatchObject({ version: 1, status: 'deployed' });
    // A reconcile of the healthy release leaves it alone; the install's run, an earlier
    // one now, shows the health check as its own step between the install and the status.
    await workers.kube.apply({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'waited', namespace, annotations: { 'reconcile.fluxcd.io/requestedAt': 'healthy' } } }, { fieldManager: 'test-annotate' });
    await reconcileObject(workers.client, releaseRef('waited'), { taskQueuePrefix });
    await eventually(() => status('waited'), (x) => x.lastHandledReconcileAt === 'healthy', { what: 'the second reconcile handled', timeoutMs: 60_000 });
    expect(helmHistory(helm, 'waited', namespace)).toHaveLength(1);
    const history = JSON.stringify(await fetchHistoryJson(`helmrelease/${namespace}/waited`, 'helmrelease-health-checked.json', { containing: 'HelmRelease.install' }));
    expect(history.indexOf('HelmRelease.checkHealth')).toBeGreaterThan(history.indexOf('HelmRelease.install'));
    expect(history.indexOf('HelmRelease.finalizeStatus')).toBeGreaterThan(history.indexOf('HelmRelease.checkHealth'));
  });

  it('fails an upgrade whose custom resource fails, and rolls it back', async () => {
    const spec = (phase: string) => ({ waitStrategy: { name: 'poller' }, healthCheckExprs: gadgetChecks, values: { phase }, upgrade: { remediation: { retries: 0, remediateLastFailure: true } } });
    await applyRelease('failing', 'gadgets', spec('Ready'));
    await eventually(() => status('failing'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'Ready', timeoutMs: 60_000 });

    await applyRelease('failing', 'gadgets', spec('Failed'));
    const s = await eventually(() => status('failing'), (x) => condition(x, 'Remediated')?.status === 'True', { what: 'Remediated', timeoutMs: 60_000 });
    const cause = `Gadget/${namespace}/failing: failed expression 'status.phase == "Failed"' is true`;
    expect(condition(s, 'Released')).toMatchObject({ status: 'False', reason: 'UpgradeFailed', message: `Helm upgrade failed for release ${namespace}/failing with chart gadgets@1.0.0: ${cause}` });
    expect(condition(s, 'Remediated')).toMatchObject({ reason: 'RollbackSucceeded' });
    expect(condition(s, 'Ready')?.status).toBe('False');
    expect(s.upgradeFailures).toBe(1);
    const revisions = helmHistory(helm, 'failing', namespace);
    expect(revisions.find((r) => r.revision === 2)?.description).toBe(`Upgrade "failing" failed: ${cause}`);
    expect(revisions.find((r) => r.revision === 3)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
    expect(await gadgetPhase('failing')).toBe('Ready');
  });

  it('fails an install whose Deployment never becomes available, at the timeout', async () => {
    await applyRelease('stuck', 'stuck', { waitStrategy: { name: 'poller' }, timeout: '5s' });
    const s = await eventually(() => status('stuck'), (x) => condition(x, 'Released')?.status === 'False', { what: 'InstallFailed', timeoutMs: 60_000 });
    expect(condition(s, 'Released')).toMatchObject({ reason: 'InstallFailed' });
    expect(condition(s, 'Released')?.message).toMatch(new RegExp(`^Helm install failed for release ${namespace}/stuck with chart stuck@1.0.0: timeout waiting for 1 object\\(s\\) to become healthy: Deployment/${namespace}/stuck: `));
    expect(s.installFailures).toBe(1);
    expect(helmHistory(helm, 'stuck', namespace)[0]).toMatchObject({ revision: 1, status: 'failed' });
  });

  it('installs a Deployment that never becomes available without waiting for it, with disableWait', async () => {
    await applyRelease('unwaited', 'stuck', { timeout: '5s', install: { disableWait: true } });
    const s = await eventually(() => status('unwaited'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'Ready', timeoutMs: 60_000 });
    expect(condition(s, 'Ready')).toMatchObject({ reason: 'InstallSucceeded', message: `Helm install succeeded for release ${namespace}/unwaited.v1 with chart stuck@1.0.0` });
    expect(helmHistory(helm, 'unwaited', namespace)[0]).toMatchObject({ revision: 1, status: 'deployed' });
  });

  it("keeps Helm's own wait without a wait strategy: custom resources are not judged", async () => {
    await applyRelease('legacy', 'gadgets', { healthCheckExprs: gadgetChecks, values: { phase: 'Failed' } });
    const s = await eventually(() => status('legacy'), (x) => condition(x, 'Ready')?.status === 'True', { what: 'Ready', timeoutMs: 60_000 });
    expect(condition(s, 'Ready')).toMatchObject({ reason: 'InstallSucceeded' });
    expect(await gadgetPhase('legacy')).toBe('Failed');
    // The CRD's x-kubernetes-preserve-unknown-fields reached the API server: nothing of the Gadget was pruned.
    expect(((await workers.kube.get({ apiVersion: 'health.example.com/v1', kind: 'Gadget', namespace, name: 'legacy' })) as { spec?: unknown } | undefined)?.spec).toEqual({ size: 1 });
  });

  it('stalls on a health expression that does not parse, before Helm is run', async () => {
    await applyRelease('unparsed', 'gadgets', { waitStrategy: { name: 'poller' }, healthCheckExprs: [{ apiVersion: 'health.example.com/v1', kind: 'Gadget', current: 'status.phase ==' }] });
    const s = await eventually(() => status('unparsed'), (x) => condition(x, 'Stalled')?.status === 'True', { what: 'Stalled', timeoutMs: 60_000 });
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidCELExpression' });
    expect(condition(s, 'Ready')?.message).toMatch(/^spec\.healthCheckExprs\[0\]\.current: invalid CEL expression 'status\.phase ==': /);
    expect(helmList(helm, namespace).some((r) => r.name === 'unparsed')).toBe(false);
  });
});
