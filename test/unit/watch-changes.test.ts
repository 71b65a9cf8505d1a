// Which object changes wake a reconcile loop.
import { describe, expect, it } from '@jest/globals';
import { observe, wakesReconcile } from '../../domain/watch-changes.js';

describe('watch changes', () => {
  const seen = observe({ generation: 1, annotations: {} });

  it('wakes the loop for a new object, a spec change, a reconcile request and a deletion', () => {
    expect(wakesReconcile(undefined, seen)).toBe(true);
    expect(wakesReconcile(seen, observe({ generation: 2 }))).toBe(true);
    expect(wakesReconcile(seen, observe({ generation: 1, annotations: { 'reconcile.fluxcd.io/requestedAt': '2026-01-01T00:00:00Z' } }))).toBe(true);
    expect(wakesReconcile(seen, observe({ generation: 1, deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe(true);
  });

  it('ignores status writes and label edits, which keep the generation', () => {
    expect(wakesReconcile(seen, observe({ generation: 1, annotations: { 'team': 'platform' } }))).toBe(false);
  });
});
