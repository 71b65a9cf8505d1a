// What a HelmRelease makes of its chart beyond Helm's own rendering, against the real helm,
// kustomize and API server: post-renderers (a kustomize patch and an image), commonMetadata
// and Flux's origin labels on every object; drift from the release (warned of, then
// corrected) found by server-side dry-run; and the chart's CRDs under each CRD policy.
// Messages are helm-controller's.
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
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { helmList, helmRunner } from '../harness/helm.js';

const deployment = deploymentTemplate({ image: 'registry.example.com/app:1.0.0' });

const widgets = (column: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.rendering.example.com
spec:
  group: rendering.example.com
  names: { kind: Widget, plural: widgets, singular: widget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      additionalPrinterColumns:
        - { name: ${column}, type: string, jsonPath: .spec.${column} }
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;

describe('HelmRelease rendering, drift and CRDs', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let charts: ChartRepository;
  const namespace = `hr-rendering-${uniqueSuffix()}`;

  const releaseRef = (name: string) => ({ kind: 'HelmRelease' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(releaseRef(name)))?.status ?? {}) as HelmReleaseStatus;
  const ready = (s: HelmReleaseStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  type Read = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: unknown };
  const get = (apiVersion: string, kind: string, name: string, ns: string | undefined = namespace) => workers.kube.get({ apiVersion, kind, namespace: ns, name }) as Promise<Read | undefined>;
  const image = async (name: string) => ((await get('apps/v1', 'Deployment', name))?.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image;
  const events = async (name: string, reason: string) =>
    (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items.filter((e) => e.involvedObject.name === name && e.reason === reason);
  const helm = helmRunner();
  const helmRevision = (name: string) => helmList(helm, namespace).find((r) => r.name === name)?.revision;

  async function applyRelease(name: string, chart: { name: string; version: string }, spec: Record<string, unknown>) {
    await apply({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name, namespace },
      spec: { interval: '1h', chart: { spec: { chart: chart.name, version: chart.version, sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, ...spec },
    });
    await reconcileObject(workers.client, releaseRef(name), { taskQueuePrefix });
  }

  beforeAll(async () => {
    workers = await startTestWorkers('hr-rendering', [TaskQueue.Source, TaskQueue.Helm], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    charts = await startChartRepository();
    charts.addChart('app', '1.0.0', { 'templates/deployment.yaml': deployment });
    charts.addChart('widgets', '1.0.0', { 'crds/widgets.yaml': widgets('colour') });
    charts.addChart('widgets', '1.1.0', { 'crds/widgets.yaml': widgets('size') });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts', namespace }, spec: { interval: '1h', url: charts.url } });
    await reconcileObject(workers.client, { kind: 'HelmRepository', namespace, name: 'charts' }, { taskQueuePrefix });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.rendering.example.com' });
    await workers?.stop();
    await charts?.stop();
  });

  it('post-renders with kustomize, then commonMetadata, then the origin labels, and upgrades when only the post-renderers change', async () => {
    const postRenderers = (tag: string) => [
      {
        kustomize: {
          patches: [{ target: { kind: 'ConfigMap' }, patch: '- op: add\n  path: /data/patched\n  value: "yes"\n' }],
          images: [{ name: 'registry.example.com/app', newTag: tag }],
        },
      },
    ];
    const commonMetadata = { labels: { team: 'platform', 'helm.toolkit.fluxcd.io/name': 'not-this' }, annotations: { owner: 'platform@example.com' } };
    await applyRelease('rendered', { name: 'app', version: '1.0.0' }, { postRenderers: postRenderers('1.1.0'), commonMetadata });
    const s = await eventually(() => status('rendered'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    const configMap = await get('v1', 'ConfigMap', 'rendered');
    expect(configMap?.data).toEqual({ message: 'hello', patched: 'yes' });
    const origin = { 'helm.toolkit.fluxcd.io/name': 'rendered', 'helm.toolkit.fluxcd.io/namespace': namespace };
    for (const object of [configMap, await get('apps/v1', 'Deployment', 'rendered')]) {
      expect(object?.metadata.labels).toMatchObject({ team: 'platform', ...origin });
      expect(object?.metadata.annotations).toMatchObject({ owner: 'platform@example.com' });
    }
    expect(await image('rendered')).toBe('registry.example.com/app:1.1.0');
    expect(s.observedPostRenderersDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(s.observedCommonMetadataDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Only the post-renderers change: no new values, no new chart, still an upgrade.
    await applyRelease('rendered', { name: 'app', version: '1.0.0' }, { postRenderers: postRenderers('1.2.0'), commonMetadata });
    const upgraded = await eventually(() => status('rendered'), (x) => x.observedGeneration === 2 && ready(x)?.status === 'True', { what: 'upgraded', timeoutMs: 120_000 });
    expect(ready(upgraded)?.message).toBe(`Helm upgrade succeeded for release ${namespace}/rendered.v2 with chart app@1.0.0`);
    expect(upgraded.observedPostRenderersDigest).not.toBe(s.observedPostRenderersDigest);
    expect(await image('rendered')).toBe('registry.example.com/app:1.2.0');
  });

  it('warns of drift from the release, then corrects it when asked, without a new release', async () => {
    await applyRelease('drifting', { name: 'app', version: '1.0.0' }, { driftDetection: { mode: 'warn' } });
    await eventually(() => status('drifting'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    // Someone edits the release's ConfigMap by hand.
    await workers.kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'drifting', namespace }, data: { message: 'edited by hand' } }, { fieldManager: 'kubectl-edit', force: true });
    await reconcileObject(workers.client, releaseRef('drifting'), { taskQueuePrefix });
    const [warning] = await eventually(() => events('drifting', 'DriftDetected'), (x) => x.length > 0, { what: 'DriftDetected', timeoutMs: 60_000 });
    expect(warning?.type).toBe('Warning');
    expect(warning?.message).toBe(`Cluster state of release ${namespace}/drifting.v1 has drifted from the desired state:\nConfigMap/${namespace}/drifting changed (0 additions, 1 changes, 0 removals)`);
    expect((await get('v1', 'ConfigMap', 'drifting'))?.data).toEqual({ message: 'edited by hand' });
    expect(ready(await status('drifting'))?.status).toBe('True');

    await applyRelease('drifting', { name: 'app', version: '1.0.0' }, { driftDetection: { mode: 'enabled' } });
    const [corrected] = await eventually(() => events('drifting', 'DriftCorrected'), (x) => x.length > 0, { what: 'DriftCorrected', timeoutMs: 60_000 });
    expect(corrected?.message).toBe(`Cluster state of release ${namespace}/drifting.v1 has been corrected:\nConfigMap/${namespace}/drifting configured`);
    expect((await get('v1', 'ConfigMap', 'drifting'))?.data).toEqual({ message: 'hello' });
    expect(helmRevision('drifting')).toBe('1');
  });

  it("creates the chart's CRDs on install, and replaces them on upgrade only with CreateReplace", async () => {
    await applyRelease('widgets', { name: 'widgets', version: '1.0.0' }, {});
    await eventually(() => status('widgets'), (x) => ready(x)?.status === 'True', { what: 'Ready', timeoutMs: 120_000 });
    const column = async () =>
      ((await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.rendering.example.com', undefined))?.spec as { versions: { additionalPrinterColumns: { name: string }[] }[] }).versions[0]?.additionalPrinterColumns[0]?.name;
    const crd = await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.rendering.example.com', undefined);
    expect(crd?.metadata.labels).toMatchObject({ 'helm.toolkit.fluxcd.io/name': 'widgets', 'helm.toolkit.fluxcd.io/namespace': namespace });
    expect(await column()).toBe('colour');

    // Create, the default: an existing CRD is left as it is.
    await applyRelease('widgets', { name: 'widgets', version: '1.1.0' }, {});
    await eventually(() => status('widgets'), (x) => ready(x)?.status === 'True' && x.history?.[0]?.chartVersion === '1.1.0', { what: 'upgraded to 1.1.0', timeoutMs: 120_000 });
    expect(await column()).toBe('colour');

    await applyRelease('widgets', { name: 'widgets', version: '1.1.0' }, { upgrade: { crds: 'CreateReplace' }, values: { message: 'replace' } });
    await eventually(() => status('widgets'), (x) => ready(x)?.status === 'True' && x.observedGeneration === 3, { what: 'upgraded with CreateReplace', timeoutMs: 120_000 });
    expect(await column()).toBe('size');
  });
});
