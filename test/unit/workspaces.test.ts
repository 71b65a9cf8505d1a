// A reconcile's workspace on its worker: found by ID by the later steps, gone after it
// closes (a step then fails as WorkspaceLost), and swept when left idle but never while used.
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../common/failures.js';
import { createWorkspaces } from '../../activities/workspaces.js';

describe('workspaces', () => {
  it('hold a reconcile\'s state in a private folder until closed, disposing what it holds', async () => {
    const disposed: string[] = [];
    const workspaces = createWorkspaces<{ name: string }>({ prefix: 'test', dispose: async (state) => void disposed.push(state.name) });
    const workspace = await workspaces.open({ name: 'apps' });
    expect(workspaces.get(workspace.id).state).toEqual({ name: 'apps' });
    expect(existsSync(workspace.dir)).toBe(true);
    await workspaces.close(workspace.id);
    expect(existsSync(workspace.dir)).toBe(false);
    expect(disposed).toEqual(['apps']);
    let failure: unknown;
    try {
      workspaces.get(workspace.id);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.WorkspaceLost, nonRetryable: true });
  });

  it('close one left idle when the next opens, but not one a step is using', async () => {
    const workspaces = createWorkspaces<number>({ prefix: 'test', maxIdleMs: 20 });
    const idle = await workspaces.open(1);
    const busy = await workspaces.open(2);
    let release: () => void = () => {};
    const using = workspaces.using(busy.id, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await workspaces.open(3);
    expect(() => workspaces.get(idle.id)).toThrow();
    expect(workspaces.get(busy.id).state).toBe(2);
    release();
    await using;
    expect(workspaces.size).toBe(2);
    await workspaces.close(busy.id);
    await workspaces.close(next.id);
  });
});
