// The reconcile loop itself, on the real Temporal server with the real workflow code and
// stand-in steps, its durations shortened through the workflow's input: the back-off
// after reconciles that could not finish (and its cap at the interval), jitter, signals
// that coalesce, suspend and resume, a health wait that a newer request cuts short, and
// a worker lost between steps.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { reconcileSignal, resumeSignal, statusQuery, suspendSignal, type ObjectWorkflowStatus } from '../../common/object-workflow.js';
import type { SourceResolution } from '../../activities/kustomization/index.js';
import { eventually } from '../harness/eventually.js';
import { startStandInLoops, type StandInLoops } from '../harness/stand-in-steps.js';
import { uniqueSuffix } from '../harness/test-workers.js';

const namespace = `loop-${uniqueSuffix()}`;
const revision = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const ref = (name: string) => ({ kind: 'Kustomization' as const, namespace, name });

/** How each object's stand-in steps behave, by object name. */
interface Script {
  /** the nth call (from 1) of resolveSource: what it does */
  resolve(call: number, queue: string): Promise<SourceResolution>;
  checkHealth?(call: number): Promise<{ failure?: string }>;
}

const calls = new Map<string, Record<string, number>>();
const count = (name: string, step: string) => {
  const byStep = calls.get(name) ?? {};
  byStep[step] = (byStep[step] ?? 0) + 1;
  calls.set(name, byStep);
  return byStep[step]!;
};
const callsOf = (name: string, step: string) => calls.get(name)?.[step] ?? 0;

function resolved(name: string, queue: string, options: { intervalMs: number; health?: boolean; requestedAt?: string }): SourceResolution {
  return {
    outcome: 'resolved',
    local: { workerQueue: queue, workspace: name },
    generation: 1,
    requestedAt: options.requestedAt,
    revision,
    timing: { intervalMs: options.intervalMs, retryIntervalMs: options.intervalMs },
    timeoutMs: 60_000,
    steps: { dependencies: false, prune: false, health: options.health === true },
  };
}

/** A health wait that never ends by itself: it heartbeats until cancelled, as the real one does. */
async function untilCancelled(): Promise<never> {
  const context = Context.current();
  for (;;) {
    context.heartbeat();
    await context.sleep(100);
  }
}

const forbidden = () => ApplicationFailure.create({ message: `get Kustomization/${namespace}/x: forbidden`, type: 'KubeApiError', nonRetryable: true });

describe('a reconcile loop', () => {
  let loops: StandInLoops;
  const scripts = new Map<string, Script>();
  let releaseBlocked: () => void = () => {};
  const releases: (() => void)[] = [];
  const blocked = new Promise<void>((resolve) => (releaseBlocked = resolve));

  beforeAll(async () => {
    const step = (name: string) => async (input: { ref?: { name: string }; local?: { workspace: string } }) => {
      const object = input.ref?.name ?? input.local!.workspace;
      const call = count(object, name);
      const script = scripts.get(object)!;
      if (name === 'resolveSource') return script.resolve(call, loops.taskQueue);
      if (name === 'checkHealth') return script.checkHealth!(call);
      if (name === 'finalizeStatus') {
        const verdict = input as { failure?: { message: string } };
        return { ready: !verdict.failure, revision, message: verdict.failure?.message ?? `Applied revision: ${revision}` };
      }
      return {};
    };
    loops = await startStandInLoops('reconcile-loop', 'Kustomization', {
      ...Object.fromEntries(['resolveSource', 'fetchArtifact', 'build', 'apply', 'checkHealth', 'finalizeStatus'].map((name) => [name, step(name)])),
      notifyDependents: async () => [],
    });
  });

  afterAll(async () => {
    releaseBlocked();
    for (const release of releases) release();
    await loops?.stop();
  });

  const status = (name: string) => loops.client.workflow.getHandle(`kustomization/${namespace}/${name}`).query(statusQuery);

  it('backs off 1×, 2×, 4× the first retry after reconciles that cannot finish, capped at the interval, and recovers', async () => {
    scripts.set('backoff', {
      async resolve(call, queue) {
        if (call >= 2 && call <= 6) throw forbidden();
        return resolved('backoff', queue, { intervalMs: 500 });
      },
    });
    await loops.start(ref('backoff'), { firstRetryMs: 100, jitter: 0 });
    const failed = await eventually(() => status('backoff'), (s: ObjectWorkflowStatus) => s.failures >= 1, { what: 'the first failure' });
    expect(failed.message).toBe(`reconcile failed: get Kustomization/${namespace}/x: forbidden`);
    expect(failed.ready).toBe(false);
    const timers = await eventually(async () => (await loops.timers(ref('backoff'))).flat(), (t) => t.length >= 7, { what: 'seven waits', timeoutMs: 30_000 });
    // Ready (the interval), five failures (100, 200, 400, then the 500 ms interval caps it), Ready again.
    expect(timers.slice(0, 7)).toEqual([500, 100, 200, 400, 500, 500, 500]);
    expect(await status('backoff')).toMatchObject({ ready: true, failures: 0, revision });
  });

  it('spreads its waits by up to ±5% of the interval', async () => {
    scripts.set('jitter', { resolve: async (_call, queue) => resolved('jitter', queue, { intervalMs: 1000 }) });
    await loops.start(ref('jitter'));
    const timers = await eventually(async () => (await loops.timers(ref('jitter'))).flat(), (t) => t.length >= 5, { what: 'five waits', timeoutMs: 30_000 });
    for (const timer of timers) {
      expect(timer).toBeGreaterThanOrEqual(950);
      expect(timer).toBeLessThanOrEqual(1050);
    }
    expect(new Set(timers).size).toBeGreaterThan(1);
  });

  it('turns many requests during a reconcile into one more reconcile', async () => {
    scripts.set('coalesce', {
      async resolve(call, queue) {
        if (call === 1) await blocked;
        return resolved('coalesce', queue, { intervalMs: 3_600_000 });
      },
    });
    const handle = await loops.start(ref('coalesce'));
    await eventually(async () => callsOf('coalesce', 'resolveSource'), (n) => n === 1, { what: 'the first reconcile to start' });
    for (let i = 0; i < 5; i++) await handle.signal(reconcileSignal, {});
    releaseBlocked();
    await eventually(async () => callsOf('coalesce', 'finalizeStatus'), (n) => n === 2, { what: 'the second reconcile' });
    await eventually(() => status('coalesce'), (s: ObjectWorkflowStatus) => s.phase === 'Waiting', { what: 'the loop to wait' });
    expect(callsOf('coalesce', 'resolveSource')).toBe(2);
  });

  it('holds still while suspended, whatever is asked, and reconciles on resume', async () => {
    scripts.set('suspend', { resolve: async (_call, queue) => resolved('suspend', queue, { intervalMs: 3_600_000 }) });
    const handle = await loops.start(ref('suspend'));
    await eventually(async () => callsOf('suspend', 'finalizeStatus'), (n) => n === 1, { what: 'the first reconcile' });
    await handle.signal(suspendSignal);
    await eventually(() => status('suspend'), (s: ObjectWorkflowStatus) => s.phase === 'Suspended', { what: 'Suspended' });
    await handle.signal(reconcileSignal, {});
    await handle.signal(reconcileSignal, {});
    await eventually(() => status('suspend'), (s: ObjectWorkflowStatus) => s.phase === 'Suspended', { what: 'still Suspended after the requests' });
    expect(callsOf('suspend', 'resolveSource')).toBe(1);
    await handle.signal(resumeSignal);
    await eventually(async () => callsOf('suspend', 'finalizeStatus'), (n) => n === 2, { what: 'the reconcile on resume' });
    expect(callsOf('suspend', 'resolveSource')).toBe(2);
  });

  it('cancels a health wait when a newer request arrives, and reconciles again at once without judging the old one', async () => {
    let cancelled = false;
    scripts.set('supersede', {
      resolve: async (_call, queue) => resolved('supersede', queue, { intervalMs: 3_600_000, health: true }),
      async checkHealth(call) {
        if (call > 1) return {};
        try {
          return await untilCancelled();
        } catch (error) {
          cancelled = Context.current().cancellationSignal.aborted;
          throw error;
        }
      },
    });
    const handle = await loops.start(ref('supersede'));
    await eventually(async () => callsOf('supersede', 'checkHealth'), (n) => n === 1, { what: 'the health wait' });
    // What `flux reconcile` and `kimbernetes reconcile` send: a new requestedAt token.
    await handle.signal(reconcileSignal, { requestedAt: '2026-12-01T10:00:00Z' });
    await eventually(async () => callsOf('supersede', 'finalizeStatus'), (n) => n === 1, { what: 'the newer reconcile to finish' });
    expect(callsOf('supersede', 'resolveSource')).toBe(2);
    expect(callsOf('supersede', 'checkHealth')).toBe(2);
    await eventually(async () => cancelled, (c) => c, { what: 'the old health wait to be cancelled', timeoutMs: 10_000 });
    expect(await status('supersede')).toMatchObject({ ready: true, failures: 0 });
  });

  it('lets a health wait finish when a request brings nothing new, then reconciles once more', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    releases.push(release);
    scripts.set('plain', {
      resolve: async (_call, queue) => resolved('plain', queue, { intervalMs: 3_600_000, health: true }),
      async checkHealth(call) {
        if (call === 1) await released;
        return {};
      },
    });
    const handle = await loops.start(ref('plain'));
    await eventually(async () => callsOf('plain', 'checkHealth'), (n) => n === 1, { what: 'the health wait' });
    // A source telling of the revision under way, the resync, a bare `temporal workflow signal`.
    await handle.signal(reconcileSignal, { revision });
    await handle.signal(reconcileSignal, {});
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(callsOf('plain', 'resolveSource')).toBe(1);
    release();
    await eventually(async () => callsOf('plain', 'finalizeStatus'), (n) => n === 2, { what: 'the wait judged, then one more reconcile' });
    expect(callsOf('plain', 'checkHealth')).toBe(2);
  });

  it('does not reconcile again for requests that tell only what the reconcile already saw', async () => {
    const token = '2026-12-01T11:00:00Z';
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    releases.push(release);
    scripts.set('seen', {
      resolve: async (_call, queue) => resolved('seen', queue, { intervalMs: 3_600_000, health: true, requestedAt: token }),
      async checkHealth(call) {
        if (call === 1) await released;
        return {};
      },
    });
    const handle = await loops.start(ref('seen'));
    await eventually(async () => callsOf('seen', 'checkHealth'), (n) => n === 1, { what: 'the health wait' });
    // The watcher seeing the annotation this reconcile read, its source telling of the
    // revision under way, the object's own status update: nothing the reconcile missed.
    await handle.signal(reconcileSignal, { requestedAt: token, generation: 1 });
    await handle.signal(reconcileSignal, { revision });
    await handle.signal(reconcileSignal, { generation: 1 });
    release();
    await eventually(() => status('seen'), (s: ObjectWorkflowStatus) => s.phase === 'Waiting' && s.ready === true, { what: 'the loop to wait' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await status('seen')).toMatchObject({ phase: 'Waiting' });
    expect(callsOf('seen', 'resolveSource')).toBe(1);
    expect(callsOf('seen', 'finalizeStatus')).toBe(1);
  });

  it('does not reconcile again for a late request that tells only what the last reconcile saw', async () => {
    const token = '2026-12-01T12:00:00Z';
    scripts.set('late', { resolve: async (_call, queue) => resolved('late', queue, { intervalMs: 3_600_000, requestedAt: token }) });
    const handle = await loops.start(ref('late'));
    await eventually(() => status('late'), (s: ObjectWorkflowStatus) => s.phase === 'Waiting' && s.ready === true, { what: 'the loop to wait' });
    // After the reconcile: its source telling again of the revision it applied, the
    // watcher seeing the annotation it handled (a `reconcile` of a CLI that raced them).
    await handle.signal(reconcileSignal, { revision });
    await handle.signal(reconcileSignal, { requestedAt: token, generation: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await status('late')).toMatchObject({ phase: 'Waiting' });
    expect(callsOf('late', 'resolveSource')).toBe(1);
    // Anything new still reconciles at once.
    await handle.signal(reconcileSignal, { requestedAt: '2026-12-01T12:05:00Z' });
    await eventually(async () => callsOf('late', 'resolveSource'), (n) => n === 2, { what: 'a reconcile for the new request' });
  });

  it('cuts a health wait short for another source revision', async () => {
    scripts.set('new-revision', {
      resolve: async (_call, queue) => resolved('new-revision', queue, { intervalMs: 3_600_000, health: true }),
      async checkHealth(call) {
        if (call === 1) return untilCancelled();
        return {};
      },
    });
    const handle = await loops.start(ref('new-revision'));
    await eventually(async () => callsOf('new-revision', 'checkHealth'), (n) => n === 1, { what: 'the health wait' });
    await handle.signal(reconcileSignal, { revision: 'main@sha1:ffffffffffffffffffffffffffffffffffffffff' });
    await eventually(async () => callsOf('new-revision', 'finalizeStatus'), (n) => n === 1, { what: 'the reconcile of the new revision' });
    expect(callsOf('new-revision', 'resolveSource')).toBe(2);
  });

  it('starts the reconcile again when the worker holding its workspace is gone', async () => {
    scripts.set('lost', {
      async resolve(call, queue) {
        // First, a workspace on a worker that no longer polls its queue.
        return resolved('lost', call === 1 ? `${queue}/worker-gone` : queue, { intervalMs: 3_600_000 });
      },
    });
    await loops.start(ref('lost'), { workerLostAfterMs: 500, firstRetryMs: 2000 });
    const lost = await eventually(() => status('lost'), (s: ObjectWorkflowStatus) => s.failures === 1, { what: 'the lost worker noticed' });
    expect(lost.message).toBe('the worker running this reconcile was lost; reconciling again');
    await eventually(() => status('lost'), (s: ObjectWorkflowStatus) => s.ready === true, { what: 'reconciled on a live worker' });
    expect(callsOf('lost', 'fetchArtifact')).toBe(1);
    expect(callsOf('lost', 'resolveSource')).toBe(2);
  });
});
