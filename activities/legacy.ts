// The activities of the loops that ran each reconcile as one activity, before the
// step-by-step loops. Their workflows (workflows/legacy/) still replay for runs recorded
// then; a run that asks for one of these after an upgrade is told, non-retryably, to
// back off — its loop then continues as the step-by-step workflow.
import { ApplicationFailure } from '@temporalio/common';
import type { ReconcileOutcome } from '../common/object-workflow.js';
import type { ObjectReference } from '../kube/objects.js';
import type { ClusterTarget } from '../kube/targets.js';
import type { Inventory } from '../domain/inventory.js';
import type { CustomHealthCheck } from '../schemas/types.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';

export interface KustomizationOutcome extends ReconcileOutcome {
  healthCheck?: { objects: ObjectReference[]; timeoutMs: number; target: ClusterTarget; expressions?: CustomHealthCheck[]; pending: PendingHealth };
}

export interface PendingHealth {
  revision: string;
  inventory: Inventory;
  changes: string[];
  generation: number;
  requestedAt?: string;
}

export interface GitRepositoryOutcome extends ReconcileOutcome {
  newRevision: boolean;
}

function replaced(name: string): never {
  throw ApplicationFailure.create({ message: `${name} was replaced by the step-by-step reconcile; this loop continues with it`, type: 'ActivityReplaced', nonRetryable: true });
}

export function createLegacyKustomizationActivities() {
  return {
    async applyKustomization(_input: { ref: FluxObjectRef }): Promise<KustomizationOutcome> {
      return replaced('applyKustomization');
    },
    async recordKustomizationHealth(_input: { ref: FluxObjectRef; pending: PendingHealth; failure?: string }): Promise<KustomizationOutcome> {
      return replaced('recordKustomizationHealth');
    },
  };
}

export function createLegacyGitRepositoryActivities() {
  return {
    async reconcileGitRepository(_input: { ref: FluxObjectRef }): Promise<GitRepositoryOutcome> {
      return replaced('reconcileGitRepository');
    },
  };
}
