// OCIRepositories reconciled by their loop on the source-controller queue, against a
// registry served by the real `crane registry serve` on loopback (plain HTTP, reached as
// go-containerregistry reaches a local registry: HTTPS first, then HTTP, without
// `insecure`), with artifacts laid out as `flux push artifact` lays them out; and a
// Kustomization applying one into the real API server. Expected revisions, digests,
// reasons and messages are Flux's (source-controller ocirepository_controller.go), the
// digests computed from what the test pushed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { main } from '../../cli/main.js';
import { TaskQueue } from '../../common/task-queues.js';
import { findCondition } from '../../domain/conditions.js';
import type { KustomizationStatus } from '../../domain/kustomization-status.js';
import type { OCIRepositoryStatus } from '../../domain/ocirepository-status.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { freePort, startService, waitForPort, type Service } from '../../local/process.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { requireBinary } from '../../tools/paths.js';
import { eventually } from '../harness/eventually.js';
import { pushArtifact, startBasicAuthProxy, tarGz, type PushedArtifact } from '../harness/oci-push.js';
import { fetchHistoryJson } from '../harness/replay.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';

describe('OCIRepository', () => {
  let workers: TestWorkers;
  let taskQueuePrefix: string;
  let registry: Service | undefined;
  let host: string;
  const work = mkdtempSync(join(tmpdir(), 'ocirepository-'));
  const namespace = `ocirepository-${uniqueSuffix()}`;
  const helmChartLayer = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

  const ref = (name: string) => ({ kind: 'OCIRepository' as const, namespace, name });
  const status = async (name: string) => ((await workers.objects.get(ref(name)))?.status ?? {}) as OCIRepositoryStatus;
  const ready = (s: OCIRepositoryStatus) => findCondition(s.conditions, 'Ready');
  const apply = (object: KubernetesObject) => workers.kube.apply(object, { fieldManager: 'test' });
  const events = async () => (await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
  const sha256 = (content: Buffer) => `sha256:${createHash('sha256').update(content).digest('hex')}`;
  const configMap = (name: string, data: Record<string, string>) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;

  /** Applies the OCIRepository, asks its loop to reconcile now, and waits until `done`. */
  async function reconcile(name: string, spec: Record<string, unknown>, done: (s: OCIRepositoryStatus) => boolean, what: string) {
    await apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name, namespace }, spec: { interval: '1h', ...spec } });
    await reconcileObject(workers.client, ref(name), { taskQueuePrefix });
    return eventually(() => status(name), done, { what, timeoutMs: 60_000 });
  }
  const readyAt = (revision: string) => (s: OCIRepositoryStatus) => ready(s)?.status === 'True' && s.artifact?.revision === revision;
  const failedWith = (reason: string) => (s: OCIRepositoryStatus) => ready(s)?.status === 'False' && ready(s)?.reason === reason;

  /** The files of a stored artifact, as a consumer unpacks it from status.artifact.url. */
  async function storedFiles(url: string): Promise<string[]> {
    const unpacked = mkdtempSync(join(work, 'unpacked-'));
    const file = `${unpacked}.tar.gz`;
    writeFileSync(file, Buffer.from(await (await fetch(url)).arrayBuffer()));
    await extract({ file, cwd: unpacked });
    return readdirSync(unpacked, { recursive: true, encoding: 'utf8' }).sort();
  }

  let latest: PushedArtifact;
  const origin = { 'org.opencontainers.image.source': 'https://github.com/example/fleet', 'org.opencontainers.image.revision': 'main@sha1:0123456789abcdef0123456789abcdef01234567' };

  beforeAll(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    // In memory (no --disk): the registry's content goes with it.
    const crane = startService('crane registry', requireBinary('crane'), ['registry', 'serve', '--address', host], { logFile: join(work, 'crane.log') });
    registry = crane;
    await waitForPort(crane, port, 30_000);
    latest = await pushArtifact(host, 'fleet/apps', 'latest', [{ files: { 'apps/settings.yaml': configMap('settings', { color: 'blue' }), 'apps/logo.png': 'not really a picture' } }], origin);
    for (const version of ['1.0.0', '1.1.0', 'v1.2.0-rc.1', '2.0.0', 'dev-1']) {
      await pushArtifact(host, 'fleet/versions', version, [{ files: { 'version.yaml': configMap('version', { version }) } }]);
    }

    workers = await startTestWorkers('ocirepository', [TaskQueue.Source, TaskQueue.Kustomize], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await registry?.stop();
  });

  it("stores the latest tag's layer as Flux does, and a Kustomization applies it", async () => {
    const revision = `latest@${latest.digest}`;
    const s = await reconcile('apps', { url: `oci://${host}/fleet/apps` }, readyAt(revision), 'Ready');
    expect(ready(s)).toMatchObject({ reason: 'Succeeded', message: `stored artifact for digest '${revision}'` });
    expect(findCondition(s.conditions, 'ArtifactInStorage')).toMatchObject({ status: 'True', message: `stored artifact for digest '${revision}'` });
    expect(s.artifact?.metadata).toEqual(origin);
    expect(s.url).toMatch(new RegExp(`/ocirepository/${namespace}/apps/latest\\.tar\\.gz$`));
    // Flux's default exclusions leave the picture out.
    expect(await storedFiles(s.artifact!.url)).toEqual(['apps', 'apps/settings.yaml']);
    const created = await eventually(events, (list) => list.some((event) => event.reason === 'NewArtifact'), { what: 'the NewArtifact event', timeoutMs: 10_000 });
    expect(created.find((event) => event.reason === 'NewArtifact')?.message).toBe(
      `stored artifact with revision '${revision}' from 'oci://${host}/fleet/apps', origin source '${origin['org.opencontainers.image.source']}', origin revision '${origin['org.opencontainers.image.revision']}'`,
    );

    const history = JSON.stringify(await fetchHistoryJson(`ocirepository/${namespace}/apps`, 'ocirepository.json', { containing: 'OCIRepository.pull' }));
    for (const step of ['OCIRepository.checkRemote', 'OCIRepository.pull', 'OCIRepository.storeArtifact', 'OCIRepository.finalizeStatus']) expect(history).toContain(step);

    await apply({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace },
      spec: { interval: '1h', prune: true, path: './apps', sourceRef: { kind: 'OCIRepository', name: 'apps' } },
    });
    await reconcileObject(workers.client, { kind: 'Kustomization', namespace, name: 'apps' }, { taskQueuePrefix });
    const applied = await eventually(
      async () => ((await workers.objects.get({ kind: 'Kustomization', namespace, name: 'apps' }))?.status ?? {}) as KustomizationStatus,
      (k) => findCondition(k.conditions, 'Ready')?.status === 'True',
      { what: 'the Kustomization applied', timeoutMs: 60_000 },
    );
    expect(applied.lastAppliedRevision).toBe(revision);
    // kustomize-controller records the origin the artifact's annotations name.
    expect(applied.lastAppliedOriginRevision).toBe(origin['org.opencontainers.image.revision']);
    expect(findCondition(applied.conditions, 'Ready')?.message).toBe(`Applied revision: ${revision}`);
    expect((await workers.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' }))?.data).toEqual({ color: 'blue' });
  });

  it('is listed and reconciled by `kimbernetes get sources oci` and `reconcile source oci`', async () => {
    const shared = sharedEnvironment();
    const connection = ['--kubeconfig', shared.kubeconfigPath, '--temporal-address', shared.temporalAddress, '--temporal-namespace', shared.temporalNamespace, '--task-queue-prefix', taskQueuePrefix, '-n', namespace, '--timeout', '60s'];
    const cli = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: { PATH: process.env.PATH, HOME: process.env.HOME } };
      const code = await main([...connection, ...args], io);
      return { code, stdout, stderr };
    };
    const revision = `latest@${latest.digest}`;
    const reconciled = await cli('reconcile', 'source', 'oci', 'apps');
    expect(reconciled.code).toBe(0);
    expect(reconciled.stderr).toContain(`✔ fetched revision ${revision}`);
    const table = await eventually(() => cli('get', 'sources', 'oci'), (t) => /^apps\s.*\sin \d+m/m.test(t.stdout), { what: 'the apps loop waiting', timeoutMs: 60_000 });
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+REVISION\s+SUSPENDED\s+READY\s+AGE\s+NEXT RECONCILE\s+MESSAGE$/);
    const row = table.stdout.split('\n').find((line) => line.startsWith('apps '));
    expect(row).toMatch(new RegExp(`^apps\\s+${revision.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+False\\s+True\\s+\\S+\\s+in \\d+m\\d*s?\\s+stored artifact for digest '`));
  });

  it('follows the newest tag a semver range admits among those semverFilter keeps, and a new tag when one is pushed', async () => {
    const one = await pushArtifact(host, 'fleet/versions', '1.1.0', [{ files: { 'version.yaml': configMap('version', { version: '1.1.0' }) } }]);
    await reconcile('ranged', { url: `oci://${host}/fleet/versions`, ref: { semver: '1.x' } }, readyAt(`1.1.0@${one.digest}`), 'Ready at 1.1.0');
    // A prerelease only for a range that names one; a filter narrows the tags first.
    const rc = await pushArtifact(host, 'fleet/versions', 'v1.2.0-rc.1', [{ files: { 'version.yaml': configMap('version', { version: 'rc' }) } }]);
    let s = await reconcile('ranged', { url: `oci://${host}/fleet/versions`, ref: { semver: '>=1.0.0-0', semverFilter: '^v' } }, readyAt(`v1.2.0-rc.1@${rc.digest}`), 'Ready at the rc');
    expect(s.artifact?.revision).toBe(`v1.2.0-rc.1@${rc.digest}`);

    const newer = await pushArtifact(host, 'fleet/versions', '1.3.0', [{ files: { 'version.yaml': configMap('version', { version: '1.3.0' }) } }]);
    s = await reconcile('ranged', { url: `oci://${host}/fleet/versions`, ref: { semver: '1.x' } }, readyAt(`1.3.0@${newer.digest}`), 'Ready at 1.3.0');
    expect(ready(s)?.message).toBe(`stored artifact for digest '1.3.0@${newer.digest}'`);
  });

  it('pins a digest: the revision is the digest alone', async () => {
    const pinned = await pushArtifact(host, 'fleet/versions', '1.0.0', [{ files: { 'version.yaml': configMap('version', { version: '1.0.0' }) } }]);
    const s = await reconcile('pinned', { url: `oci://${host}/fleet/versions`, ref: { digest: pinned.digest, tag: '2.0.0' } }, readyAt(pinned.digest), 'Ready at the digest');
    expect(ready(s)?.message).toBe(`stored artifact for digest '${pinned.digest}'`);
  });

  it("copies the selected layer as it is, and builds the artifact again when the layer selector changes", async () => {
    const chart = await tarGz({ 'demo/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.0.0\n' });
    const pushed = await pushArtifact(host, 'charts/demo', '1.0.0', [{ files: { 'README.md': 'a chart\n' } }, { bytes: chart, mediaType: helmChartLayer }]);
    const revision = `1.0.0@${pushed.digest}`;
    const layerSelector = { mediaType: helmChartLayer, operation: 'copy' };
    let s = await reconcile('chart', { url: `oci://${host}/charts/demo`, ref: { tag: '1.0.0' }, layerSelector }, readyAt(revision), 'Ready');
    expect(s.artifact?.digest).toBe(sha256(chart));
    expect(s.artifact?.path).toBe(`ocirepository/${namespace}/chart/${pushed.digest}.tar.gz`);
    expect(s.observedLayerSelector).toEqual(layerSelector);

    // Same revision, another selector: Flux builds the artifact again.
    s = await reconcile('chart', { url: `oci://${host}/charts/demo`, ref: { tag: '1.0.0' }, layerSelector: { mediaType: helmChartLayer } }, (x) => readyAt(revision)(x) && x.artifact?.digest !== sha256(chart), 'extracted');
    expect(s.observedLayerSelector).toEqual({ mediaType: helmChartLayer });
    expect(await storedFiles(s.artifact!.url)).toEqual(['demo', 'demo/Chart.yaml']);
  });

  it('fails in Flux’s words and keeps the last artifact: a missing tag, no match for a range, a missing layer, a missing Secret', async () => {
    const url = `oci://${host}/fleet/versions`;
    const before = await reconcile('failing', { url, ref: { tag: '2.0.0' } }, (x) => ready(x)?.status === 'True', 'Ready');
    const kept = before.artifact;

    let s = await reconcile('failing', { url, ref: { tag: 'missing' } }, failedWith('OCIArtifactPullFailed'), 'a missing tag');
    expect(ready(s)?.message).toBe(`failed to determine artifact digest: GET http://${host}/v2/fleet/versions/manifests/missing: MANIFEST_UNKNOWN: Unknown manifest`);
    expect(findCondition(s.conditions, 'FetchFailed')).toMatchObject({ status: 'True', reason: 'OCIArtifactPullFailed' });
    expect(s.artifact).toEqual(kept);
    await eventually(events, (list) => list.some((event) => event.type === 'Warning' && event.reason === 'OCIArtifactPullFailed' && event.involvedObject.name === 'failing'), { what: 'a Warning event', timeoutMs: 10_000 });

    s = await reconcile('failing', { url, ref: { semver: '>=9.0.0' } }, failedWith('ReadOperationFailed'), 'no match');
    expect(ready(s)?.message).toBe(`failed to determine the artifact tag for '${url}': no match found for semver: >=9.0.0`);

    s = await reconcile('failing', { url, ref: { tag: '2.0.0' }, layerSelector: { mediaType: 'application/vnd.example.none' } }, failedWith('OCIArtifactLayerOperationFailed'), 'no such layer');
    expect(ready(s)?.message).toBe("failed to find layer with media type 'application/vnd.example.none' in artifact");

    s = await reconcile('failing', { url, ref: { tag: '2.0.0' }, secretRef: { name: 'missing' } }, failedWith('AuthenticationFailed'), 'a missing Secret');
    expect(ready(s)?.message).toBe(`failed to get credential: failed to get secret '${namespace}/missing': secrets "missing" not found`);
    expect(s.artifact).toEqual(kept);

    s = await reconcile('failing', { url, ref: { tag: '2.0.0' } }, (x) => ready(x)?.status === 'True', 'recovered');
    expect(s.artifact?.revision).toBe(kept?.revision);
  });

  it("pulls with the credentials of spec.secretRef or a ServiceAccount's imagePullSecrets, and names a refusal; no password leaves the worker", async () => {
    const password = 'oci-pa55-never-logged';
    const guarded = await startBasicAuthProxy(host, { username: 'puller', password });
    try {
      const auths = { [guarded.host]: { auth: Buffer.from(`puller:${password}`).toString('base64') } };
      await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred', namespace }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths }) } });
      await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller', namespace }, imagePullSecrets: [{ name: 'regcred' }] });
      const url = `oci://${guarded.host}/fleet/apps`;
      const revision = `latest@${latest.digest}`;

      let s = await reconcile('guarded', { url }, failedWith('OCIArtifactPullFailed'), 'refused without credentials');
      expect(ready(s)?.message).toBe(`failed to determine artifact digest: GET http://${guarded.host}/v2/fleet/apps/manifests/latest: UNAUTHORIZED: authentication required`);

      s = await reconcile('guarded', { url, serviceAccountName: 'puller' }, readyAt(revision), 'Ready with the ServiceAccount');
      s = await reconcile('guarded', { url, secretRef: { name: 'regcred' } }, (x) => readyAt(revision)(x) && x.observedGeneration === 3, 'Ready with secretRef');
      expect(guarded.authorized).toBeGreaterThan(0);

      s = await reconcile('guarded', { url, serviceAccountName: 'nobody' }, failedWith('AuthenticationFailed'), 'a missing ServiceAccount');
      expect(ready(s)?.message).toBe(`failed to get credential: serviceaccount '${namespace}/nobody' not found`);
      expect(s.artifact?.revision).toBe(revision);

      const history = JSON.stringify(await fetchHistoryJson(`ocirepository/${namespace}/guarded`, 'ocirepository-credentials.json'));
      expect(history).not.toContain(password);
      expect(history).not.toContain(Buffer.from(`puller:${password}`).toString('base64'));
      expect(JSON.stringify(await events())).not.toContain(password);
    } finally {
      await guarded.stop();
    }
  });

  it('stalls on a URL that cannot name a repository or a field it cannot honour, and names an unreachable registry', async () => {
    let s = await reconcile('tagged', { url: `oci://${host}/fleet/apps:v1` }, failedWith('URLInvalid'), 'URLInvalid');
    expect(ready(s)?.message).toBe(`URL validation failed for 'oci://${host}/fleet/apps:v1': URL must not contain a tag; remove ':v1'`);
    expect(findCondition(s.conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'URLInvalid' });

    s = await reconcile('cloud', { url: `oci://${host}/fleet/apps`, provider: 'aws' }, failedWith('InvalidSpec'), 'InvalidSpec');
    expect(ready(s)?.message).toMatch(/^spec\.provider 'aws' is not supported yet/);
    expect(findCondition(s.conditions, 'Stalled')?.status).toBe('True');

    const closed = await freePort();
    s = await reconcile('unreachable', { url: `oci://127.0.0.1:${closed}/fleet/apps` }, failedWith('OCIArtifactPullFailed'), 'unreachable');
    expect(ready(s)?.message).toBe(
      `failed to determine artifact digest: Get "https://127.0.0.1:${closed}/v2/": dial tcp 127.0.0.1:${closed}: connect: connection refused; Get "http://127.0.0.1:${closed}/v2/": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    );
    expect(findCondition(s.conditions, 'Stalled')).toBeUndefined();
  });
});
