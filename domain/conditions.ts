// Flux's status conditions (metav1.Condition) and the summary rules every Flux object
// follows: Ready is Unknown while working, Reconciling says work is in progress (or being
// retried after a failure), Stalled marks a failure that retrying cannot fix.
export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
} as const;

export const ConditionReason = {
  Succeeded: 'Succeeded',
  Progressing: 'Progressing',
  ProgressingWithRetry: 'ProgressingWithRetry',
} as const;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionChange = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/**
 * Sets one condition. lastTransitionTime moves only when the status changes, as
 * Kubernetes expects; Ready is kept first because kubectl and Flux's CLI read it there.
 */
export function setCondition(
  conditions: readonly Condition[],
  change: ConditionChange,
  context: { now: string; generation?: number },
): Condition[] {
  const previous = findCondition(conditions, change.type);
  const next: Condition = {
    ...change,
    ...(context.generation !== undefined ? { observedGeneration: context.generation } : {}),
    lastTransitionTime: previous && previous.status === change.status ? previous.lastTransitionTime : context.now,
  };
  const others = conditions.filter((condition) => condition.type !== change.type);
  const all = [...others, next];
  return [...all.filter((c) => c.type === ConditionType.Ready), ...all.filter((c) => c.type !== ConditionType.Ready)];
}

export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((condition) => condition.type !== type);
}

type Context = { now: string; generation?: number };

/** A reconcile has started: Reconciling=True, Ready=Unknown with the same words. */
export function markReconciling(conditions: readonly Condition[], message: string, context: Context, retrying = false): Condition[] {
  const reason = retrying ? ConditionReason.ProgressingWithRetry : ConditionReason.Progressing;
  let next = setCondition(conditions, { type: ConditionType.Reconciling, status: 'True', reason, message }, context);
  next = setCondition(next, { type: ConditionType.Ready, status: 'Unknown', reason, message }, context);
  return removeCondition(next, ConditionType.Stalled);
}

/** Success: Ready=True, and no Reconciling or Stalled left behind. */
export function markReady(conditions: readonly Condition[], message: string, context: Context, reason: string = ConditionReason.Succeeded): Condition[] {
  const next = setCondition(conditions, { type: ConditionType.Ready, status: 'True', reason, message }, context);
  return removeCondition(removeCondition(next, ConditionType.Reconciling), ConditionType.Stalled);
}

/**
 * Failure: Ready=False with the failure's reason. A failure that retrying can fix keeps
 * Reconciling=True (ProgressingWithRetry); one that cannot is Stalled instead.
 */
export function markFailed(
  conditions: readonly Condition[],
  failure: { reason: string; message: string; stalled: boolean },
  context: Context,
): Condition[] {
  const { reason, message, stalled } = failure;
  let next = setCondition(conditions, { type: ConditionType.Ready, status: 'False', reason, message }, context);
  if (stalled) {
    next = removeCondition(next, ConditionType.Reconciling);
    next = setCondition(next, { type: ConditionType.Stalled, status: 'True', reason, message }, context);
  } else {
    next = removeCondition(next, ConditionType.Stalled);
    next = setCondition(
      next,
      { type: ConditionType.Reconciling, status: 'True', reason: ConditionReason.ProgressingWithRetry, message },
      context,
    );
  }
  return next;
}
