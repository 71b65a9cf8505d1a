// Status conditions read the way Flux users expect from `kubectl get` and `flux get`.
import { describe, expect, it } from '@jest/globals';
import { findCondition, markFailed, markReady, markReconciling, setCondition, type Condition } from '../../domain/conditions.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';

describe('conditions', () => {
  it('keeps lastTransitionTime while the status stays the same', () => {
    const first = setCondition([], { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'a' }, { now: t0 });
    const second = setCondition(first, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'b' }, { now: t1 });
    expect(second).toEqual([{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'b', lastTransitionTime: t0 }]);
    const third = setCondition(second, { type: 'Ready', status: 'False', reason: 'Failed', message: 'c' }, { now: t1 });
    expect(third[0]!.lastTransitionTime).toBe(t1);
  });

  it('marks a reconcile in progress with Ready Unknown', () => {
    const conditions = markReconciling([], "building artifact", { now: t0 });
    expect(findCondition(conditions, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Progressing', message: 'building artifact' });
    expect(findCondition(conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Progressing' });
    expect(conditions[0]!.type).toBe('Ready');
  });

  it('marks a retry after a failure as ProgressingWithRetry', () => {
    const conditions = markReconciling([], 'retrying', { now: t0 }, true);
    expect(findCondition(conditions, 'Reconciling')?.reason).toBe('ProgressingWithRetry');
  });

  it('clears Reconciling and Stalled on success', () => {
    const failed = markFailed([], { reason: 'BuildFailed', message: 'x', stalled: true }, { now: t0 });
    const ready = markReady(failed, "Applied revision: main@sha1:abc", { now: t1, generation: 4 });
    expect(ready).toEqual([
      { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'Applied revision: main@sha1:abc', observedGeneration: 4, lastTransitionTime: t1 },
    ]);
  });

  it('keeps retrying after a failure that may pass', () => {
    const conditions: Condition[] = markFailed([], { reason: 'GitOperationFailed', message: 'timeout', stalled: false }, { now: t0 });
    expect(findCondition(conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'GitOperationFailed', message: 'timeout' });
    expect(findCondition(conditions, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(findCondition(conditions, 'Stalled')).toBeUndefined();
  });

  it('stalls on a failure that retrying cannot fix', () => {
    const conditions = markFailed([], { reason: 'InvalidURL', message: 'bad url', stalled: true }, { now: t0 });
    expect(findCondition(conditions, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidURL' });
    expect(findCondition(conditions, 'Reconciling')).toBeUndefined();
  });
});
