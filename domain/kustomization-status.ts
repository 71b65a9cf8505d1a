// The one place a Kustomization's status is decided, from how far its reconcile got:
// Flux's reasons (ArtifactFailed, BuildFailed, ReconciliationFailed, PruneFailed,
// HealthCheckFailed, DependencyNotReady), lastAppliedRevision only after a complete
// apply, lastAttemptedRevision always, the inventory of what was applied.
import { findCondition, markFailed, markReady, removeCondition, setCondition, type Condition } from './conditions.js';
import type { Inventory } from './inventory.js';
import { upsertHistory, type Snapshot } from './history.js';

export const KustomizationReason = {
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  ArtifactFailed: 'ArtifactFailed',
  BuildFailed: 'BuildFailed',
  ReconciliationFailed: 'ReconciliationFailed',
  PruneFailed: 'PruneFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  DependencyNotReady: 'DependencyNotReady',
  InvalidSpec: 'InvalidSpec',
  InvalidCELExpression: 'InvalidCELExpression',
  /** --no-cross-namespace-refs refused the sourceRef (Flux's acl.AccessDeniedReason) */
  AccessDenied: 'AccessDenied',
  /** ours, not Flux's: the applied revision deploys Flux's own controllers too */
  FluxControllersDeployed: 'FluxControllersDeployed',
} as const;

export interface KustomizationStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: string;
  /** the origin revision the applied artifact's annotations name (an OCIRepository's `org.opencontainers.image.revision`); null removes it */
  lastAppliedOriginRevision?: string | null;
  lastAttemptedRevision?: string;
  lastHandledReconcileAt?: string;
  inventory?: Inventory;
  history?: Snapshot[];
}

/** What status.history needs of a reconcile that got as far as a build. */
export interface BuiltReconcile {
  /** of the built objects */
  digest: string;
  durationMs: number;
  revision: string;
}

export type KustomizationResult =
  /** notice: a warning about what was applied (Flux's own controllers), added to Ready's message */
  /** `originRevision`: '' when the artifact names none, undefined when it was not read */
  | { outcome: 'applied'; revision: string; originRevision?: string; inventory: Inventory; changes: string[]; healthChecked: boolean; notice?: string; built?: BuiltReconcile }
  | { outcome: 'failed'; reason: string; message: string; stalled: boolean; revision?: string; inventory?: Inventory; built?: BuiltReconcile };

export interface StatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  annotations?: Record<string, string>;
}

export function nextKustomizationStatus(
  previous: KustomizationStatus,
  result: KustomizationResult,
  context: { now: string; generation: number; requestedAt?: string },
): { status: KustomizationStatus; event?: StatusEvent; warning?: StatusEvent } {
  const base: KustomizationStatus = { ...previous };
  if (context.requestedAt) base.lastHandledReconcileAt = context.requestedAt;
  const conditions = previous.conditions ?? [];
  // Flux records a reconcile in the history once it has built: with the reason it ended with.
  const endedWith = result.outcome === 'applied' ? KustomizationReason.ReconciliationSucceeded : result.reason;
  if (result.built) {
    base.history = upsertHistory(previous.history, { digest: result.built.digest, at: context.now, durationMs: result.built.durationMs, status: endedWith, metadata: { revision: result.built.revision } });
  }
  const annotations = (revision: string | undefined) => (revision ? { 'kustomize.toolkit.fluxcd.io/revision': revision } : undefined);

  if (result.outcome === 'failed') {
    let next = markFailed(conditions, result, context);
    if (result.reason === KustomizationReason.HealthCheckFailed) {
      next = setCondition(next, { type: 'Healthy', status: 'False', reason: result.reason, message: result.message }, context);
    }
    const status: KustomizationStatus = { ...base, conditions: next };
    if (result.revision) status.lastAttemptedRevision = result.revision;
    if (result.inventory) status.inventory = result.inventory;
    if (result.stalled) status.observedGeneration = context.generation;
    // Waiting on a dependency is news only the first time, and not an error (Flux reports
    // it at info severity, so alerts on errors do not fire on every dependsOn wait).
    const waiting = result.reason === KustomizationReason.DependencyNotReady;
    const repeated = findCondition(conditions, 'Ready')?.message === result.message;
    const event = waiting && repeated ? undefined : { type: waiting ? ('Normal' as const) : ('Warning' as const), reason: result.reason, message: result.message, annotations: annotations(result.revision) };
    return { status, event };
  }

  const message = `Applied revision: ${result.revision}${result.notice ? `\n${result.notice}` : ''}`;
  const ctx = { now: context.now, generation: context.generation };
  let next = markReady(conditions, message, ctx, KustomizationReason.ReconciliationSucceeded);
  next = result.healthChecked
    ? setCondition(next, { type: 'Healthy', status: 'True', reason: 'Succeeded', message: 'Health check passed' }, ctx)
    : removeCondition(next, 'Healthy');
  const status: KustomizationStatus = {
    ...base,
    conditions: next,
    observedGeneration: context.generation,
    lastAppliedRevision: result.revision,
    lastAttemptedRevision: result.revision,
    inventory: result.inventory,
  };
  // As kustomize-controller: set from the artifact's origin annotation, cleared when it has none.
  if (result.originRevision) status.lastAppliedOriginRevision = result.originRevision;
  else if (result.originRevision === '' && previous.lastAppliedOriginRevision) status.lastAppliedOriginRevision = null;
  const previousReady = findCondition(conditions, 'Ready');
  const wasFailing = previousReady?.status === 'False';
  // The notice is a Warning when it is news, not on every reconcile.
  const warning =
    result.notice && !previousReady?.message.includes(result.notice)
      ? { type: 'Warning' as const, reason: KustomizationReason.FluxControllersDeployed, message: result.notice, annotations: annotations(result.revision) }
      : undefined;
  if (result.changes.length === 0 && !wasFailing && previous.lastAppliedRevision === result.revision) return { status, warning };
  const changes = result.changes.length > 0 ? result.changes.join('\n') : 'no changes';
  return { status, event: { type: 'Normal', reason: KustomizationReason.ReconciliationSucceeded, message: `${changes}\n${message}`, annotations: annotations(result.revision) }, warning };
}
