// Every committed workflow history replays against the current workflow code.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows } from '../../workers/pools.js';
import { loadRecordedHistories, replay } from '../harness/replay.js';

const histories = loadRecordedHistories();

describe('recorded workflow histories', () => {
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    bundle = await bundleWorkflows();
  });

  it('has histories to replay', () => {
    expect(histories.size).toBeGreaterThan(0);
  });

  it.each([...histories.keys()])('%s replays deterministically', async (file) => {
    await expect(replay(file, histories.get(file), bundle)).resolves.toBeUndefined();
  });
});
