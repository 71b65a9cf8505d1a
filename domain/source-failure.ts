// How every source kind's status takes a failure, as Flux's sources do: the failure's
// condition (FetchFailed unless it names another) with its reason and message, Ready=False
// (and Stalled when retrying cannot help, which also records observedGeneration), the last
// good artifact kept, and a Warning event.
import { markFailed, setCondition, type Condition } from './conditions.js';
import type { StatusEvent } from './gitrepository-status.js';

export interface SourceFailure {
  reason: string;
  message: string;
  stalled: boolean;
  /** the condition the failure sets; FetchFailed when absent */
  condition?: string;
}

/** Conditions that say True when things went well (SourceVerified): a failure sets them False. */
const positiveConditions = new Set(['SourceVerified']);

export function failedSourceStatus<S extends { conditions?: Condition[]; observedGeneration?: number }>(
  base: S,
  conditions: readonly Condition[],
  failure: SourceFailure,
  context: { now: string; generation: number },
): { status: S; event: StatusEvent } {
  const type = failure.condition ?? 'FetchFailed';
  const polarity = positiveConditions.has(type) ? 'False' : 'True';
  const next = markFailed(setCondition(conditions, { type, status: polarity, reason: failure.reason, message: failure.message }, context), failure, context);
  const status: S = { ...base, conditions: next };
  if (failure.stalled) status.observedGeneration = context.generation;
  return { status, event: { type: 'Warning', reason: failure.reason, message: failure.message } };
}
