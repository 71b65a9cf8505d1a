// status.history, as Flux keeps it (fluxcd/pkg apis/meta History.Upsert): the last
// reconciliations, newest first, one snapshot per digest of the built objects and
// outcome; a repeat of the newest outcome counts up instead of adding a snapshot; at
// most five kept.
import { goDurationString } from './duration.js';

export interface Snapshot {
  /** `sha256:<hex>` of the built objects */
  digest: string;
  firstReconciled: string;
  lastReconciled: string;
  /** as Go prints a duration: `1.234s`, `2m3.5s` */
  lastReconciledDuration: string;
  /** the Ready reason the reconcile ended with */
  lastReconciledStatus: string;
  totalReconciliations: number;
  metadata?: Record<string, string>;
}

export const historyMaxSize = 5;

export interface Reconciliation {
  digest: string;
  at: string;
  durationMs: number;
  status: string;
  metadata?: Record<string, string>;
}

export function upsertHistory(history: readonly Snapshot[] | undefined, reconciliation: Reconciliation): Snapshot[] {
  const { digest, at, durationMs, status, metadata } = reconciliation;
  const snapshots = [...(history ?? [])];
  const index = snapshots.findIndex((snapshot) => snapshot.digest === digest && snapshot.lastReconciledStatus === status);
  const duration = goDurationString(durationMs);
  if (index >= 0) {
    const updated = { ...snapshots[index]!, lastReconciled: at, lastReconciledDuration: duration, totalReconciliations: snapshots[index]!.totalReconciliations + 1, metadata };
    snapshots.splice(index, 1);
    return [updated, ...snapshots].slice(0, historyMaxSize);
  }
  const added: Snapshot = { digest, firstReconciled: at, lastReconciled: at, lastReconciledDuration: duration, lastReconciledStatus: status, totalReconciliations: 1, metadata };
  return [added, ...snapshots].slice(0, historyMaxSize);
}
