// spec.include: a GitRepository composed from another one's artifact, rebuilt as soon as
// the included repository has a new revision (it signals its dependents).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskQueue } from '../../common/task-queues.js';
import type { GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { findCondition } from '../../domain/conditions.js';
import { fetchArtifact } from '../../artifacts/fetch.js';
import { reconcileObject } from '../../temporal/object-loops.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';
import { fetchHistoryJson } from '../harness/replay.js';

describe('GitRepository include', () => {
  let workers: TestWorkers;
  let shared: TestRepository;
  let app: TestRepository;
  let taskQueuePrefix: string;
  const namespace = `include-${uniqueSuffix()}`;
  const sharedRef = { kind: 'GitRepository' as const, namespace, name: 'shared' };
  const appRef = { kind: 'GitRepository' as const, namespace, name: 'app' };
  const status = async (ref: typeof appRef) => ((await workers.objects.get(ref))?.status ?? {}) as GitRepositoryStatus;
  const ready = (s: GitRepositoryStatus) => findCondition(s.conditions, 'Ready');
  const gitRepository = (name: string, url: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace },
    spec: { url, interval: '1h', ref: { branch: 'main' }, ...spec },
  });
  const unpack = async (s: GitRepositoryStatus) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'include-')), 'source');
    await fetchArtifact(s.artifact!.url, s.artifact!.digest, dir);
    return dir;
  };

  beforeAll(async () => {
    workers = await startTestWorkers('include', [TaskQueue.Source], { namespace });
    taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    const root = newGitRoot();
    shared = new TestRepository(root, 'shared');
    shared.commit({ 'manifests/policy.yaml': 'kind: Policy # v1\n', 'README.md': 'shared\n' });
    app = new TestRepository(root, 'app');
    app.commit({ 'deploy.yaml': 'kind: Deployment\n' });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
  });

  afterAll(async () => {
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('waits for the included repository, saying which one', async () => {
    const include = [{ repository: { name: 'shared' }, fromPath: 'manifests', toPath: 'vendor/policies' }];
    await workers.kube.apply(gitRepository('app', app.fileUrl, { include }), { fieldManager: 'test' });
    await reconcileObject(workers.client, appRef, { taskQueuePrefix });
    const s = await eventually(() => status(appRef), (x) => ready(x)?.status === 'False', { what: 'waiting for the include' });
    expect(findCondition(s.conditions, 'IncludeUnavailable')).toMatchObject({ status: 'True', reason: 'NotFound' });
    expect(ready(s)?.message).toContain("include 'shared'");
  });

  it('copies the included folder into the artifact', async () => {
    await workers.kube.apply(gitRepository('shared', shared.fileUrl), { fieldManager: 'test' });
    await reconcileObject(workers.client, sharedRef, { taskQueuePrefix });
    // The shared repository's first artifact wakes the app through dependents; no signal needed here.
    const s = await eventually(() => status(appRef), (x) => ready(x)?.status === 'True', { what: 'app Ready', timeoutMs: 90_000 });
    const dir = await unpack(s);
    expect(readFileSync(join(dir, 'vendor/policies/policy.yaml'), 'utf8')).toBe('kind: Policy # v1\n');
    expect(existsSync(join(dir, 'vendor/policies/README.md'))).toBe(false);
    expect(s.includedArtifacts?.map((a) => a.revision)).toEqual([(await status(sharedRef)).artifact!.revision]);
  });

  it('rebuilds when the included repository has a new revision', async () => {
    const before = (await status(appRef)).artifact!;
    shared.commit({ 'manifests/policy.yaml': 'kind: Policy # v2\n' });
    await reconcileObject(workers.client, sharedRef, { taskQueuePrefix });
    const s = await eventually(() => status(appRef), (x) => x.artifact?.digest !== before.digest, { what: 'app rebuilt', timeoutMs: 90_000 });
    expect(s.artifact?.revision).toBe(before.revision); // the app's own commit is unchanged
    expect(readFileSync(join(await unpack(s), 'vendor/policies/policy.yaml'), 'utf8')).toBe('kind: Policy # v2\n');

    // The shared repository's loop told its dependents, as its history shows.
    const history = JSON.stringify(await fetchHistoryJson(`gitrepository/${namespace}/shared`, 'gitrepository-notifying-dependents.json', { containing: 'notifyDependents' }));
    expect(history).toContain('notifyDependents');
  });
});
