// The state of one object's reconcile loop, kept apart from the workflow's I/O: what it
// is doing, whether it is suspended, how often it failed, when it reconciles next.
// It is carried from run to run through continue-as-new.
import { condition, patched, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import {
  ensureRunningSignal,
  ObjectPhase,
  reconcileSignal,
  resumeSignal,
  statusQuery,
  suspendSignal,
  type ObjectWorkflowStatus,
  type ReconcileOutcome,
  type ReconcileRequest,
  type ReconcileSight,
} from '../common/object-workflow.js';
import { Ready, Revision } from '../common/search-attributes.js';

export interface LoopMemory {
  /** suspended by a `suspend` signal (spec.suspend is read afresh each reconcile) */
  suspendedBySignal: boolean;
  reconcileRequested: boolean;
  failures: number;
  ready?: boolean;
  revision?: string;
  message?: string;
  intervalMs: number;
}

/**
 * The loop's own timing, which tests shorten through the workflow's input rather than
 * wait real seconds; users never set it.
 */
export interface LoopTimingOverrides {
  /** the first back-off after a reconcile that could not finish (then doubled, up to the interval); 5 s */
  firstRetryMs?: number;
  /** each wait is longer or shorter by up to this fraction, so objects created together spread out; 0.05 */
  jitter?: number;
  /** how long a later step waits for the worker that holds its reconcile's workspace; 1 min */
  workerLostAfterMs?: number;
}

const defaults = { firstRetryMs: 5_000, jitter: 0.05, workerLostAfterMs: 60_000 };

/** The loop of one object, answering its signals and its status query. */
export function listeningLoop(memory: LoopMemory | undefined, timing?: LoopTimingOverrides): ReconcileLoop {
  const loop = new ReconcileLoop(memory, timing);
  setHandler(reconcileSignal, (request) => loop.requestReconcile(request));
  setHandler(ensureRunningSignal, () => undefined);
  setHandler(suspendSignal, () => loop.suspend());
  setHandler(resumeSignal, () => loop.resume());
  setHandler(statusQuery, (): ObjectWorkflowStatus => loop.status());
  return loop;
}

/**
 * Shows a reconcile's outcome in the Web UI's search attributes and, given the object,
 * in the run's current details.
 */
export function showOutcome(outcome: ReconcileOutcome, ref?: FluxObjectRef): void {
  upsertSearchAttributes([
    { key: Ready, value: outcome.suspended ? 'Unknown' : outcome.ready ? 'True' : 'False' },
    ...(outcome.revision ? [{ key: Revision, value: outcome.revision }] : []),
  ]);
  if (!ref) return;
  const state = outcome.suspended ? 'suspended' : outcome.ready ? 'Ready' : 'not Ready';
  setCurrentDetails(`${ref.kind} ${ref.namespace}/${ref.name}${outcome.revision ? ` at ${outcome.revision}` : ''}: ${state}: ${outcome.message}`);
}

export class ReconcileLoop {
  private phase: ObjectPhase = ObjectPhase.Reconciling;
  private state: LoopMemory;
  private suspendedBySpec = false;
  private nextReconcileAt?: number;
  /** the wait planned when the last reconcile finished */
  private waitMs = 0;
  /** what requests since the reconcile started said; `bare` when one said nothing (asks all the same) */
  private news: { requestedAt?: string; revisions: Set<string>; generation?: number; bare?: boolean } = { revisions: new Set() };
  private retryAfterMs?: number;
  /** what the last finished reconcile of this run read, to tell late requests that bring nothing new */
  private lastSeen?: ReconcileSight;
  readonly timing: Required<LoopTimingOverrides>;

  constructor(memory?: LoopMemory, timing: LoopTimingOverrides = {}) {
    this.state = memory ? { ...memory } : { suspendedBySignal: false, reconcileRequested: false, failures: 0, intervalMs: 60_000 };
    this.timing = { ...defaults, ...timing };
  }

  get suspended(): boolean {
    return this.state.suspendedBySignal || this.suspendedBySpec;
  }

  /** someone asked for a reconcile since the current one started */
  get reconcileRequested(): boolean {
    return this.state.reconcileRequested;
  }

  requestReconcile(request: ReconcileRequest = {}): void {
    // Between reconciles, a request telling only what the last one read (a source's notice
    // of the revision it applied, arriving after a `reconcile` that raced it; the watcher
    // seeing the annotation it handled) asks for nothing.
    if (this.phase === ObjectPhase.Waiting && this.lastSeen && toldNothingNew(request, this.lastSeen) && patched('ignore-late-stale-requests')) return;
    this.state.reconcileRequested = true;
    if (request.requestedAt === undefined && request.revision === undefined && request.generation === undefined) this.news.bare = true;
    if (request.requestedAt !== undefined) this.news.requestedAt = request.requestedAt;
    if (request.revision !== undefined) this.news.revisions.add(request.revision);
    if (request.generation !== undefined) this.news.generation = Math.max(this.news.generation ?? 0, request.generation);
  }

  /**
   * Whether a request since this reconcile started brings what it cannot have seen: a
   * new requestedAt token, another source revision, a newer generation. Latest wins:
   * its health wait is then cut short.
   */
  supersedes(current: ReconcileSight): boolean {
    const { requestedAt, revisions, generation } = this.news;
    return (
      (requestedAt !== undefined && requestedAt !== current.requestedAt) ||
      [...revisions].some((revision) => revision !== current.revision) ||
      (generation !== undefined && generation > current.generation)
    );
  }

  suspend(): void {
    this.state.suspendedBySignal = true;
  }

  resume(): void {
    this.state.suspendedBySignal = false;
    this.state.reconcileRequested = true;
  }

  startReconcile(): void {
    this.phase = ObjectPhase.Reconciling;
    // Requests that arrive from now on ask for another reconcile after this one.
    this.state.reconcileRequested = false;
    this.news = { revisions: new Set() };
  }

  finishReconcile(outcome: ReconcileOutcome): void {
    this.suspendedBySpec = outcome.suspended;
    this.state.intervalMs = outcome.intervalMs;
    this.retryAfterMs = outcome.retryAfterMs;
    // The watcher seeing the annotation this reconcile read, or its own status update, a
    // source telling of the revision it applied: nothing to reconcile again for. (A
    // bootstrap's burst would otherwise reconcile every object twice.)
    if (outcome.seen && !this.news.bare && !this.supersedes(outcome.seen) && patched('rerun-only-for-news')) this.state.reconcileRequested = false;
    // Only after a success: a failed reconcile may be cured by a notice that says no more
    // (a source storing the same revision again at a new URL).
    this.lastSeen = outcome.ready ? outcome.seen : undefined;
    if (outcome.suspended) return;
    this.state.failures = outcome.ready ? 0 : this.state.failures + 1;
    this.state.ready = outcome.ready;
    this.state.revision = outcome.revision;
    this.state.message = outcome.message;
    // Done: the status query says when the next one is due from now on, even while the
    // loop still tells dependents.
    this.planNextReconcile();
  }

  private planNextReconcile(): void {
    if (this.suspended) {
      this.phase = ObjectPhase.Suspended;
      this.nextReconcileAt = undefined;
      return;
    }
    this.phase = ObjectPhase.Waiting;
    this.waitMs = this.delayMs();
    this.nextReconcileAt = Date.now() + this.waitMs;
  }

  /** Returns when the next reconcile is due: its time came, or someone asked for it. */
  async waitForNextReconcile(): Promise<void> {
    if (this.phase === ObjectPhase.Reconciling || (this.suspended && this.phase !== ObjectPhase.Suspended)) this.planNextReconcile();
    if (this.suspended) {
      await condition(() => this.state.reconcileRequested || (!this.state.suspendedBySignal && !this.suspendedBySpec));
      return;
    }
    await condition(() => this.state.reconcileRequested || this.state.suspendedBySignal, this.waitMs);
  }

  /**
   * After a failure: the object's retry timing when it has one, else 5s, 10s, 20s, ... up
   * to the interval. Otherwise the interval. Jittered either way.
   */
  private delayMs(): number {
    const { intervalMs, failures } = this.state;
    const backOff = this.retryAfterMs ?? Math.min(intervalMs, this.timing.firstRetryMs * 2 ** (failures - 1));
    const base = failures > 0 ? backOff : intervalMs;
    return Math.round(base * (1 + (Math.random() * 2 - 1) * this.timing.jitter));
  }

  status(): ObjectWorkflowStatus {
    const { ready, revision, message, failures } = this.state;
    return {
      phase: this.phase,
      ready,
      revision,
      message,
      failures,
      nextReconcileAt: this.nextReconcileAt ? new Date(this.nextReconcileAt).toISOString() : undefined,
    };
  }

  memory(): LoopMemory {
    return { ...this.state };
  }
}

/** Whether a request (not a bare one, which always asks) says nothing `seen` did not. */
function toldNothingNew(request: ReconcileRequest, seen: ReconcileSight): boolean {
  if (request.requestedAt === undefined && request.revision === undefined && request.generation === undefined) return false;
  return (
    (request.requestedAt === undefined || request.requestedAt === seen.requestedAt) &&
    (request.revision === undefined || request.revision === seen.revision) &&
    (request.generation === undefined || request.generation <= seen.generation)
  );
}
