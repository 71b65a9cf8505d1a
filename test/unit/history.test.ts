// status.history as fluxcd/pkg's History.Upsert keeps it.
import { describe, expect, it } from '@jest/globals';
import { upsertHistory } from '../../domain/history.js';

const at = (minute: number) => `2026-12-02T10:${String(minute).padStart(2, '0')}:00Z`;

describe('status.history', () => {
  it('adds a snapshot per digest and outcome, newest first, and counts a repeat up', () => {
    let history = upsertHistory(undefined, { digest: 'sha256:a', at: at(0), durationMs: 1234, status: 'ReconciliationSucceeded', metadata: { revision: 'main@sha1:1' } });
    expect(history).toEqual([
      { digest: 'sha256:a', firstReconciled: at(0), lastReconciled: at(0), lastReconciledDuration: '1.234s', lastReconciledStatus: 'ReconciliationSucceeded', totalReconciliations: 1, metadata: { revision: 'main@sha1:1' } },
    ]);
    history = upsertHistory(history, { digest: 'sha256:a', at: at(1), durationMs: 62_500, status: 'HealthCheckFailed', metadata: { revision: 'main@sha1:1' } });
    history = upsertHistory(history, { digest: 'sha256:a', at: at(2), durationMs: 900, status: 'ReconciliationSucceeded', metadata: { revision: 'main@sha1:1' } });
    expect(history.map((s) => [s.lastReconciledStatus, s.totalReconciliations, s.firstReconciled, s.lastReconciled, s.lastReconciledDuration])).toEqual([
      ['ReconciliationSucceeded', 2, at(0), at(2), '900ms'],
      ['HealthCheckFailed', 1, at(1), at(1), '1m2.5s'],
    ]);
  });

  it('keeps the five latest', () => {
    let history = upsertHistory(undefined, { digest: 'sha256:0', at: at(0), durationMs: 1000, status: 'ReconciliationSucceeded' });
    for (let i = 1; i <= 6; i++) history = upsertHistory(history, { digest: `sha256:${i}`, at: at(i), durationMs: 1000, status: 'ReconciliationSucceeded' });
    expect(history.map((s) => s.digest)).toEqual(['sha256:6', 'sha256:5', 'sha256:4', 'sha256:3', 'sha256:2']);
  });
});
