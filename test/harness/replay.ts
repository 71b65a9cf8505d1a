// Replay tests: run recorded workflow histories through the current workflow code. A
// change that would make a running workflow take a different path fails here, before
// it reaches a cluster; such a change needs patched() or a new workflow version.
//
// Histories are stored in Temporal's JSON form, the same as
// `temporal workflow show --workflow-id ID --output json` prints, so one recorded from
// a real cluster can be dropped into test/histories as it is.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { requireBinary } from '../../tools/paths.js';
import { sharedEnvironment } from './shared-environment.js';

export const recordedHistoriesDir = fileURLToPath(new URL('../histories', import.meta.url));

/** Every history committed under test/histories: file name → history JSON. */
export function loadRecordedHistories(dir = recordedHistoriesDir): Map<string, unknown> {
  const histories = new Map<string, unknown>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    histories.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')));
  }
  return histories;
}

/** Replays one history; throws DeterminismViolationError when the code no longer matches it. */
export async function replay(name: string, history: unknown, workflowBundle: WorkflowBundleOption): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle, replayName: name }, history);
}

/**
 * A workflow's history in JSON form, fetched the way a user would with the temporal
 * CLI. A reconcile loop continues as new after every reconcile, and a wake-up (a
 * dependency's new revision, a signal) may start the next run at any moment; with
 * `containing`, the newest run whose history holds that text (an activity's name) is
 * returned, found by walking back along each run's continuedExecutionRunId. With
 * KIMBERNETES_RECORD_HISTORIES=1 the history is also written to test/histories/<file>,
 * to be committed so that later changes to the workflow are replayed against it.
 */
export async function fetchHistoryJson(workflowId: string, file: string, options: { containing?: string } = {}): Promise<unknown> {
  let runId: string | undefined;
  for (let runs = 0; ; runs++) {
    const json = await showHistory(workflowId, runId);
    const previous = (JSON.parse(json) as StartedHistory).events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (options.containing === undefined || json.includes(options.containing) || !previous || runs >= maxRunsWalkedBack) {
      if (process.env.KIMBERNETES_RECORD_HISTORIES === '1') writeFileSync(join(recordedHistoriesDir, file), json);
      return JSON.parse(json);
    }
    runId = previous;
  }
}

/** How far back a search for a step goes: a test's reconciles are a handful of runs. */
const maxRunsWalkedBack = 20;

interface StartedHistory {
  events?: Array<{ workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string } }>;
}

async function showHistory(workflowId: string, runId: string | undefined): Promise<string> {
  const shared = sharedEnvironment();
  const { stdout } = await promisify(execFile)(
    requireBinary('temporal'),
    ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--address', shared.temporalAddress, '--namespace', shared.temporalNamespace, '--output', 'json'],
    { maxBuffer: 64 << 20 },
  );
  return stdout;
}
