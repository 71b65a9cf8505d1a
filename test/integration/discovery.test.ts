// Discovery: a GitRepository applied with kubectl is reconciled without anyone starting
// its workflow; `flux reconcile`'s annotation forces a reconcile and is echoed in status;
// deleting the object ends its loop.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireBinary } from '../../tools/paths.js';
import { TaskQueue } from '../../common/task-queues.js';
import { objectWorkflowId } from '../../common/loop-addresses.js';
import { loadKubeConfig } from '../../kube/client.js';
import type { GitRepositoryStatus } from '../../domain/gitrepository-status.js';
import { findCondition } from '../../domain/conditions.js';
import { ensureResyncSchedule, startDiscovery } from '../../workers/discovery.js';
import type { ResyncReport } from '../../activities/resync.js';
import { fetchHistoryJson } from '../harness/replay.js';
import type { Watcher } from '../../workers/watcher.js';
import { sharedEnvironment } from '../harness/shared-environment.js';
import { startTestWorkers, uniqueSuffix, type TestWorkers } from '../harness/test-workers.js';
import { newGitRoot, TestRepository } from '../harness/git-servers.js';
import { eventually } from '../harness/eventually.js';

describe('discovery', () => {
  let workers: TestWorkers;
  let watcher: Watcher;
  let repository: TestRepository;
  const namespace = `discovery-${uniqueSuffix()}`;
  const ref = { kind: 'GitRepository' as const, namespace, name: 'podinfo' };
  const gitRepository = (requestedAt?: string) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: ref.name, namespace, ...(requestedAt ? { annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt } } : {}) },
    spec: { url: repository.fileUrl, interval: '1h', ref: { branch: 'main' } },
  });
  const status = async () => ((await workers.objects.get(ref))?.status ?? {}) as GitRepositoryStatus;

  beforeAll(async () => {
    workers = await startTestWorkers('discovery', [TaskQueue.Source], { namespace });
    const shared = sharedEnvironment();
    watcher = await startDiscovery(
      { address: shared.temporalAddress, namespace: shared.temporalNamespace },
      loadKubeConfig(shared.kubeconfigPath),
      [TaskQueue.Source],
      { namespace, taskQueuePrefix: workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length) },
    );
    repository = new TestRepository(newGitRoot(), 'podinfo');
    repository.commit({ 'deploy.yaml': 'kind: ConfigMap\n' });
    await workers.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { fieldManager: 'test' });
  });

  afterAll(async () => {
    await watcher?.stop();
    await workers?.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await workers?.stop();
  });

  it('reconciles an object as soon as it is applied', async () => {
    await workers.kube.apply(gitRepository(), { fieldManager: 'kubectl' });
    // As a user would wait for it:
    await promisify(execFile)(requireBinary('kubectl'), ['--kubeconfig', sharedEnvironment().kubeconfigPath, '-n', namespace, 'wait', '--for=condition=Ready', `gitrepository/${ref.name}`, '--timeout=60s']);
    const s = await status();
    expect(s.artifact?.revision).toMatch(/^main@sha1:[0-9a-f]{40}$/);
  });

  it('reconciles on the requestedAt annotation and echoes it in lastHandledReconcileAt', async () => {
    const head = repository.commit({ 'deploy.yaml': 'kind: ConfigMap # 2\n' });
    await workers.kube.apply(gitRepository('2026-11-27T10:00:00Z'), { fieldManager: 'kubectl' });
    const s = await eventually(status, (x) => x.lastHandledReconcileAt === '2026-11-27T10:00:00Z', { what: 'lastHandledReconcileAt' });
    expect(s.artifact?.revision).toBe(`main@sha1:${head}`);
  });

  it('restarts a lost loop from the resync Schedule', async () => {
    const lost = await workers.client.workflow.getHandle(objectWorkflowId(ref)).describe();
    await workers.client.workflow.getHandle(lost.workflowId, lost.runId).terminate('lost, for the test');
    const scheduleId = `resync-${namespace}`;
    const taskQueuePrefix = workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length);
    await ensureResyncSchedule(workers.client, { scheduleId, taskQueuePrefix, every: '1h' });
    const schedule = workers.client.schedule.getHandle(scheduleId);
    try {
      await schedule.trigger();
      const restarted = await eventually(() => workers.client.workflow.getHandle(objectWorkflowId(ref)).describe(), (d) => d.status.name === 'RUNNING', {
        what: 'a new run of the loop',
      });
      expect(restarted.runId).not.toBe(lost.runId);
      // The resync's own run reports what it saw (and is kept for replay tests).
      const described = await eventually(() => schedule.describe(), (d) => d.info.recentActions.length > 0, { what: 'the resync run' });
      const resync = described.info.recentActions[0]!.action.workflow.workflowId;
      const report = (await workers.client.workflow.getHandle(resync).result()) as ResyncReport;
      expect(report.objects).toBeGreaterThanOrEqual(1);
      await fetchHistoryJson(resync, 'resync.json');
    } finally {
      await schedule.delete();
    }
  });

  it('ends the loop and removes the artifacts when the object is deleted', async () => {
    const artifactUrl = (await status()).artifact!.url;
    expect((await fetch(artifactUrl)).status).toBe(200);
    await workers.kube.delete({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', namespace, name: ref.name });
    const handle = workers.client.workflow.getHandle(objectWorkflowId(ref));
    await eventually(async () => (await handle.describe()).status.name, (state) => state === 'COMPLETED', { what: 'workflow completed' });
    expect((await fetch(artifactUrl)).status).toBe(404);
  });
  it('ends a loop whose object vanished while nobody watched, from the resync Schedule', async () => {
    const orphan = { ...ref, name: 'orphan' };
    await workers.kube.apply({ ...gitRepository(), metadata: { name: orphan.name, namespace } }, { fieldManager: 'kubectl' });
    await eventually(async () => (await workers.objects.get(orphan))?.status as GitRepositoryStatus | undefined, (x) => findCondition(x?.conditions, 'Ready')?.status === 'True', { what: 'orphan Ready' });
    await watcher.stop();
    await workers.kube.delete({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', namespace, name: orphan.name });
    const scheduleId = `resync-orphans-${namespace}`;
    await ensureResyncSchedule(workers.client, { scheduleId, taskQueuePrefix: workers.taskQueue(TaskQueue.Source).slice(0, -TaskQueue.Source.length), every: '1h' });
    const schedule = workers.client.schedule.getHandle(scheduleId);
    try {
      await schedule.trigger();
      const handle = workers.client.workflow.getHandle(objectWorkflowId(orphan));
      await eventually(async () => (await handle.describe()).status.name, (state) => state === 'COMPLETED', { what: 'orphaned loop completed' });
    } finally {
      await schedule.delete();
    }
  });
});
