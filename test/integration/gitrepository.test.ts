// A GitRepository reconciled by its workflow on the source-controller queue, against a
// real git server over HTTP with basic auth and the real API server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { TaskQueue } from '../../common/task-queues.js';
import { resumeSignal, statusQuery, suspendSignal } from '../../common/object-workflow.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { KubernetesObject } from '../../kube/objects.js';
import type { GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { findCondition } from '../../domain/conditions.js';
import { fetchArtifact } from '../../artifacts/fetch.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, otherKeyPair, startHttpGitServer, startSshGitServer, TestRepository, type HttpGitServer, type SshGitServer } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';

describe('GitRepository', () => {
  let workers: TestWorkers;
  let http: HttpGitServer;
  let repository: TestRepository;
  let firstCommit: string;
  const namespace = `source-${uniqueSuffix()}`;
  const name = 'fleet';
  const ref = { kind: 'GitRepository' as const, namespace, name };
  const password = 'pa55-w0rd-never-logged';
  let taskQueuePrefix: string;

  const status = async () => ((await workers.objects.get(ref))?.status ?? {}) as GitRepositoryStatus;
  const ready = (s: GitRepositoryStatus) => findCondition(s.conditions, 'Ready');
  const secret = (pass: string): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'fleet-auth', namespace },
    stringData: { username: 'flux', password: pass },
  });

  beforeAll(async () => {
    workers = await startTestWorkers('gitrepository', [TaskQueue.Source]);
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const root = newGitRoot();
    repository = new TestRepository(root, 'fleet');
    firstCommit = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n', 'docs/guide.md': '# guide\n', 'logo.png': 'png' }, 'add the app');
    http = await startHttpGitServer(root, { username: 'flux', password });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
    await workers.kube.apply(secret(password), { fieldManager: 'test' });
    await workers.kube.apply(
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name, namespace },
        spec: { url: http.url(repository), interval: '1h', ref: { branch: 'main' }, secretRef: { name: 'fleet-auth' }, ignore: '/docs/\n' },
      },
      { fieldManager: 'test' },
    );
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await http?.stop();
  });

  it('stores an artifact of the branch head and reports Ready', async () => {
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    const s = await eventually(status, (x) => ready(x)?.status === 'True', { what: 'GitRepository Ready' });
    const revision = `main@sha1:${firstCommit}`;
    expect(s.artifact?.revision).toBe(revision);
    expect(ready(s)?.message).toBe(`stored artifact for revision '${revision}'`);
    expect(findCondition(s.conditions, 'ArtifactInStorage')?.status).toBe('True');
    expect(s.observedGeneration).toBe(1);

    // The artifact is served by URL, verifies against its digest, and honours spec.ignore.
    const dir = join(mkdtempSync(join(tmpdir(), 'artifact-')), 'source');
    await fetchArtifact(s.artifact!.url, s.artifact!.digest, dir);
    expect(readFileSync(join(dir, 'apps/app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(existsSync(join(dir, 'docs'))).toBe(false);
    expect(existsSync(join(dir, 'logo.png'))).toBe(true); // user patterns replace Flux's default exclusions

    const events = await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
    expect(events.items.map((e) => `${e.reason}: ${e.message}`)).toContain("NewArtifact: stored artifact for commit 'add the app'");
  });

  it('does not clone again when the remote head is the stored revision', async () => {
    const before = (await status()).artifact!;
    const requestsBefore = http.uploadPackRequests;
    const loop = () => workers.client.workflow.getHandle(`gitrepository/${namespace}/${name}`);
    const runBefore = (await loop().describe()).runId;
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    // The forced reconcile runs in the next run of the loop (continue-as-new); wait until that run waits again.
    await eventually(
      async () => ((await loop().describe()).runId === runBefore ? undefined : await loop().query(statusQuery)),
      (q) => q?.phase === 'Waiting' && q.ready === true,
      { what: 'the forced reconcile to end' },
    );
    const after = (await status()).artifact!;
    expect(after).toEqual(before); // same file, same time: nothing was packed again
    // ls-remote alone: its info/refs and ls-refs requests, no fetch.
    expect(http.uploadPackRequests - requestsBefore).toBeLessThanOrEqual(1);
  });

  it('can be found in the Web UI by its search attributes', async () => {
    const query = `ObjectKind="GitRepository" AND ObjectNamespace="${namespace}" AND ObjectName="${name}" AND Ready="True"`;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const workflow of workers.client.workflow.list({ query })) ids.push(workflow.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
      { what: 'a workflow matching the search attributes' },
    );
    expect(found).toContain(`gitrepository/${namespace}/${name}`);
  });

  it('reports a missing branch and an unreachable host, keeping the last artifact', async () => {
    const before = (await status()).artifact;
    const spec = { url: http.url(repository), interval: '1h', ref: { branch: 'main' }, secretRef: { name: 'fleet-auth' }, ignore: '/docs/\n' };
    const apply = (changes: Record<string, unknown>) =>
      workers.kube.apply({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name, namespace }, spec: { ...spec, ...changes } }, { fieldManager: 'test' });

    await apply({ ref: { branch: 'release' } });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    let s = await eventually(status, (x) => ready(x)?.status === 'False', { what: 'missing branch' });
    expect(ready(s)).toMatchObject({ reason: 'GitOperationFailed', message: "failed to checkout and determine revision: branch 'release' not found" });
    expect(s.artifact).toEqual(before);

    await apply({ url: 'http://127.0.0.1:9/fleet.git' });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    s = await eventually(status, (x) => ready(x)?.message?.includes('127.0.0.1:9') === true, { what: 'unreachable host' });
    expect(ready(s)).toMatchObject({ status: 'False', reason: 'GitOperationFailed' });
    expect(ready(s)?.message).toMatch(/^remote unreachable for http:\/\/127\.0\.0\.1:9\/fleet\.git/);
    expect(s.artifact).toEqual(before);

    await apply({});
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    await eventually(status, (x) => ready(x)?.status === 'True', { what: 'recovery' });
  });

  it('picks up a new commit when a reconcile is requested, and answers the status query', async () => {
    const second = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # 2\n' }, 'change the app');
    const handle = await reconcileObject(workers.client, ref, { taskQueuePrefix, requestedAt: 'manual-1' });
    const s = await eventually(status, (x) => x.artifact?.revision === `main@sha1:${second}`, { what: 'new revision' });
    expect(s.lastHandledReconcileAt).toBeUndefined(); // echoed only from the annotation, not from signals
    const live = await eventually(() => handle.query(statusQuery), (q) => q.phase === 'Waiting' && q.revision === `main@sha1:${second}`, { what: 'query' });
    expect(live.ready).toBe(true);
    expect(live.failures).toBe(0);
  });

  it('reports wrong credentials and keeps the last artifact', async () => {
    const before = await status();
    await workers.kube.apply(secret('wrong-password'), { fieldManager: 'test' });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    const s = await eventually(status, (x) => ready(x)?.status === 'False', { what: 'Ready=False' });
    expect(ready(s)?.reason).toBe('AuthenticationFailed');
    expect(ready(s)?.message).toContain(http.url(repository));
    expect(ready(s)?.message).not.toContain('wrong-password');
    expect(findCondition(s.conditions, 'FetchFailed')?.status).toBe('True');
    expect(s.artifact).toEqual(before.artifact);
    const events = await loadKubeConfig(sharedEnvironment().kubeconfigPath).makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
    const warnings = events.items.filter((e) => e.type === 'Warning');
    expect(warnings.map((e) => e.reason)).toContain('AuthenticationFailed');
    expect(JSON.stringify(events.items)).not.toContain('wrong-password');

    // Recovers once the credentials are right again.
    await workers.kube.apply(secret(password), { fieldManager: 'test' });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    await eventually(status, (x) => ready(x)?.status === 'True', { what: 'recovery' });
  });

  it('keeps secrets out of the workflow history', async () => {
    const history = JSON.stringify(await fetchHistoryJson(`gitrepository/${namespace}/${name}`, 'gitrepository.json'));
    expect(history).toContain('GitRepository.checkRemote');
    expect(history).not.toContain(password);
    expect(history).not.toContain(Buffer.from(password).toString('base64'));
  });
  it('holds still while suspended by a signal, and catches up on resume', async () => {
    const handle = await reconcileObject(workers.client, ref, { taskQueuePrefix });
    await handle.signal(suspendSignal);
    await eventually(() => handle.query(statusQuery), (q) => q.phase === 'Suspended', { what: 'Suspended' });
    const before = (await status()).artifact?.revision;
    const next = repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # suspended\n' }, 'while suspended');
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await status()).artifact?.revision).toBe(before);

    await handle.signal(resumeSignal);
    await eventually(status, (x) => x.artifact?.revision === `main@sha1:${next}`, { what: 'revision after resume' });
  });

  it('honours spec.suspend', async () => {
    await workers.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name, namespace }, spec: { url: http.url(repository), interval: '1h', ref: { branch: 'main' }, secretRef: { name: 'fleet-auth' }, ignore: '/docs/\n', suspend: true } },
      { fieldManager: 'test' },
    );
    const handle = await reconcileObject(workers.client, ref, { taskQueuePrefix });
    await eventually(() => handle.query(statusQuery), (q) => q.phase === 'Suspended', { what: 'Suspended by spec' });
  });
});

describe('GitRepository over SSH', () => {
  let workers: TestWorkers;
  let ssh: SshGitServer;
  let repository: TestRepository;
  const namespace = `source-ssh-${uniqueSuffix()}`;
  const ref = { kind: 'GitRepository' as const, namespace, name: 'fleet' };
  const status = async () => ((await workers.objects.get(ref))?.status ?? {}) as GitRepositoryStatus;
  const ready = (s: GitRepositoryStatus) => findCondition(s.conditions, 'Ready');
  let taskQueuePrefix: string;

  const applySecret = (knownHosts: string) =>
    workers.kube.apply(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ssh-auth', namespace }, stringData: { identity: ssh.identity, known_hosts: knownHosts } },
      { fieldManager: 'test' },
    );

  beforeAll(async () => {
    workers = await startTestWorkers('gitrepository-ssh', [TaskQueue.Source]);
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    repository = new TestRepository(newGitRoot(), 'fleet');
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap\n' });
    ssh = await startSshGitServer();
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
    await applySecret(ssh.knownHosts);
    await workers.kube.apply(
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: ref.name, namespace }, spec: { url: ssh.url(repository), interval: '1h', ref: { branch: 'main' }, secretRef: { name: 'ssh-auth' } } },
      { fieldManager: 'test' },
    );
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
    await ssh?.stop();
  });

  it('fetches with a key and verifies the host key', async () => {
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    const s = await eventually(status, (x) => ready(x)?.status === 'True', { what: 'Ready over SSH' });
    expect(s.artifact?.revision).toMatch(/^main@sha1:[0-9a-f]{40}$/);
  });

  it('refuses a server whose host key changed, keeping the artifact', async () => {
    const before = (await status()).artifact;
    await applySecret(`[127.0.0.1]:${ssh.port} ${otherKeyPair().publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    repository.commit({ 'apps/app.yaml': 'kind: ConfigMap # 2\n' });
    await reconcileObject(workers.client, ref, { taskQueuePrefix });
    const s = await eventually(status, (x) => ready(x)?.status === 'False', { what: 'Ready=False' });
    expect(ready(s)).toMatchObject({ reason: 'AuthenticationFailed' });
    expect(ready(s)?.message).toMatch(/^ssh host key does not match known_hosts for ssh:\/\//);
    expect(s.artifact).toEqual(before);
  });
});
