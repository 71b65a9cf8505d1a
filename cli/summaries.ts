// What `get` shows of a Flux object, read from its status as flux reads it (revision,
// suspended, Ready and its message), with the live detail of its reconcile loop.
import type { ObjectWorkflowStatus } from '../common/object-workflow.js';
import { findCondition, type Condition } from '../domain/conditions.js';
import type { FluxKindName } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import { age, humanDuration } from './table.js';

export interface ObjectSummary {
  kind: FluxKindName;
  namespace: string;
  name: string;
  revision: string;
  suspended: boolean;
  /** the Ready condition's status */
  ready: 'True' | 'False' | 'Unknown';
  reason?: string;
  message: string;
  createdAt?: string;
  lastHandledReconcileAt?: string;
  /** the reconcile loop's answer to its `status` query, when Temporal answered */
  loop?: ObjectWorkflowStatus;
}

interface FluxStatus {
  conditions?: Condition[];
  artifact?: { revision?: string };
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastHandledReconcileAt?: string;
  history?: { chartVersion?: string }[];
}

/** The revision flux's REVISION column shows for each kind. */
function revisionOf(kind: FluxKindName, status: FluxStatus): string {
  switch (kind) {
    case 'GitRepository':
    case 'OCIRepository':
    case 'HelmRepository':
    case 'HelmChart':
      return status.artifact?.revision ?? '';
    case 'Kustomization':
      return status.lastAppliedRevision ?? '';
    case 'HelmRelease':
      return status.history?.[0]?.chartVersion ?? status.lastAttemptedRevision ?? '';
    case 'Alert':
    case 'Provider':
    case 'Receiver':
      return '';
  }
}

export function summarize(kind: FluxKindName, object: KubernetesObject): ObjectSummary {
  const status = (object.status ?? {}) as FluxStatus;
  const ready = findCondition(status.conditions, 'Ready');
  return {
    kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    revision: revisionOf(kind, status),
    suspended: (object.spec as { suspend?: boolean } | undefined)?.suspend === true,
    // As flux: an object no reconcile has reached yet is not ready.
    ready: ready?.status ?? 'False',
    ...(ready ? { reason: ready.reason } : {}),
    message: ready?.message ?? 'waiting to be reconciled',
    ...(typeof object.metadata.creationTimestamp === 'string' ? { createdAt: object.metadata.creationTimestamp } : {}),
    ...(status.lastHandledReconcileAt ? { lastHandledReconcileAt: status.lastHandledReconcileAt } : {}),
  };
}

/** The NEXT RECONCILE column: what the loop is doing, or when it reconciles next. */
export function nextReconcile(loop: ObjectWorkflowStatus | undefined, now: number): string {
  if (!loop) return '-';
  if (loop.phase === 'Reconciling') return 'reconciling';
  if (loop.phase === 'Suspended') return 'suspended';
  if (!loop.nextReconcileAt) return '-';
  const when = `in ${humanDuration(Date.parse(loop.nextReconcileAt) - now)}`;
  return loop.failures > 0 ? `${when} (retry ${loop.failures})` : when;
}

export interface TableOptions {
  /** -A: a NAMESPACE column first */
  allNamespaces: boolean;
  /** `get all`: names as `kustomization/apps` */
  kindPrefix: boolean;
  now: number;
}

export function summaryTable(summaries: readonly ObjectSummary[], options: TableOptions): { headers: string[]; rows: string[][] } {
  const headers = ['NAME', 'REVISION', 'SUSPENDED', 'READY', 'AGE', 'NEXT RECONCILE', 'MESSAGE'];
  const rows = summaries.map((s) => [
    options.kindPrefix ? `${s.kind.toLowerCase()}/${s.name}` : s.name,
    s.revision,
    s.suspended ? 'True' : 'False',
    s.ready,
    age(s.createdAt, options.now),
    nextReconcile(s.loop, options.now),
    s.message.replaceAll('\n', ' '),
  ]);
  if (!options.allNamespaces) return { headers, rows };
  return { headers: ['NAMESPACE', ...headers], rows: rows.map((row, i) => [summaries[i]!.namespace, ...row]) };
}
