// Waiting for a requested reconcile, as `flux reconcile` does: the object's status has
// handled our reconcile.fluxcd.io/requestedAt (lastHandledReconcileAt echoes it) and
// Ready is no longer Unknown; then Ready says how it went.
import { findCondition, type Condition } from '../domain/conditions.js';
import { requestedAtAnnotation } from '../domain/watch-changes.js';
import { fluxKinds, type FluxKindName, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { notFoundMessage, quoted } from './kinds.js';
import { summarize } from './summaries.js';

export type ReconcileState =
  /** `message`: Ready's message while a reconcile is under way */
  | { handled: false; message?: string }
  | { handled: true; ready: boolean; revision: string; message: string };

/** Where the reconcile asked for at `requestedAt` stands, from the object. */
export function reconcileState(kind: FluxKindName, object: KubernetesObject, requestedAt: string): ReconcileState {
  const status = (object.status ?? {}) as { lastHandledReconcileAt?: string; conditions?: Condition[] };
  const ready = findCondition(status.conditions, 'Ready');
  if (status.lastHandledReconcileAt !== requestedAt || !ready || ready.status === 'Unknown') {
    return { handled: false, message: ready?.status === 'Unknown' ? ready.message : undefined };
  }
  return { handled: true, ready: ready.status === 'True', revision: summarize(kind, object).revision, message: ready.message };
}

/** What flux prints once a kind's reconcile succeeded. */
export function successMessage(kind: FluxKindName, revision: string): string {
  // flux says a source fetched its revision, an applier applied it; a kind without
  // revisions (a Receiver) completed.
  if (kind === 'Receiver') return `${kind} reconciliation completed`;
  return fluxKinds[kind].group === 'source.toolkit.fluxcd.io' ? `fetched revision ${revision}` : `applied revision ${revision}`;
}

/** A new requestedAt, as flux writes it (RFC 3339). */
export function newRequestedAt(now: number): string {
  return new Date(now).toISOString();
}

/** The merge patch that asks for a reconcile at `requestedAt`. */
export function requestPatch(requestedAt: string): Record<string, unknown> {
  return { metadata: { annotations: { [requestedAtAnnotation]: requestedAt } } };
}

const pollMs = 500;

/**
 * Shows progress until the reconcile requested at `requestedAt` was handled; returns its
 * outcome. A CliError when the object disappears or `context.timeoutMs` passes.
 */
export async function waitForReconcile(context: CliContext, ref: FluxObjectRef, requestedAt: string): Promise<Extract<ReconcileState, { handled: true }>> {
  const deadline = context.now() + context.timeoutMs;
  const waiting = `waiting for ${ref.kind} reconciliation`;
  const progress = context.terminal.progress(waiting);
  let last: string | undefined;
  try {
    for (;;) {
      const object = await context.cluster().get(ref);
      if (!object) throw new CliError(notFoundMessage(ref));
      const state = reconcileState(ref.kind, object, requestedAt);
      if (state.handled) return state;
      last = state.message;
      progress.update(state.message ? `${waiting}: ${state.message}` : waiting);
      if (context.now() > deadline) {
        throw new CliError(`timed out waiting for ${quoted(ref)} to reconcile${last ? ` (last seen: ${last})` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    progress.stop();
  }
}
