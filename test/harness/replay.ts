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
 * A finished workflow's history in JSON form, fetched the way a user would with the
 * temporal CLI. With KIMBERNETES_RECORD_HISTORIES=1 it is also written to
 * test/histories/<file>, to be committed so that later changes to the workflow are
 * replayed against it.
 */
export async function fetchHistoryJson(workflowId: string, file: string): Promise<unknown> {
  const shared = sharedEnvironment();
  const { stdout: json } = await promisify(execFile)(
    requireBinary('temporal'),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', shared.temporalAddress, '--namespace', shared.temporalNamespace, '--output', 'json'],
    { maxBuffer: 64 << 20 },
  );
  if (process.env.KIMBERNETES_RECORD_HISTORIES === '1') writeFileSync(join(recordedHistoriesDir, file), json);
  return JSON.parse(json);
}
