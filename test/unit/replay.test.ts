// Every committed workflow history replays against the current workflow code, and a
// change that would make a running workflow take another path is caught.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflows } from '../../workers/pools.js';
import { loadRecordedHistories, replay } from '../harness/replay.js';

const histories = loadRecordedHistories();
const typeOf = (history: unknown) =>
  (history as { events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[] }).events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

describe('recorded workflow histories', () => {
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
  });

  it('cover every workflow type, the loops before the step-by-step reconcile among them', () => {
    const types = new Set([...histories.values()].map(typeOf));
    for (const type of ['smokeTest', 'resyncWorkflow', 'gitRepositoryLoop', 'ociRepositoryLoop', 'helmRepositoryLoop', 'helmChartLoop', 'helmReleaseLoop', 'kustomizationLoop', 'notificationDispatch', 'receiverLoop', 'gitRepositoryWorkflow', 'kustomizationWorkflow']) expect(types).toContain(type);
  });

  it.each([...histories.keys()])('%s replays deterministically', async (file) => {
    await expect(replay(file, histories.get(file), bundle)).resolves.toBeUndefined();
  });

  it('catch a change that would take a running loop down another path', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../fixtures/nondeterministic/workflows.ts', import.meta.url)) });
    const [file, history] = [...histories].find(([, h]) => typeOf(h) === 'kustomizationLoop')!;
    await expect(replay(file, history, changed)).rejects.toThrow(DeterminismViolationError);
  });
});
