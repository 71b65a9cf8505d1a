// dependsOn: each dependency exists, observed its generation, is Ready and, when it
// shares this Kustomization's source, applied the same revision; or, where it has a
// readyExpr, that expression is true of it. A cycle is named; an expression that does
// not compile stalls the Kustomization. A dependency may be a HelmRelease (`kind`).
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { checkDependsOn } from '../depends-on.js';
import { dependencyRetryMs, type KustomizationContext } from './work.js';

export function checkDependenciesStep(context: KustomizationContext) {
  const { objects, workspaces } = context;
  return async function checkDependencies({ local }: { local: WorkerLocal }): Promise<{ failure?: StepFailure }> {
    const { ref, spec, source } = workspaces.get(local.workspace).state;
    const verdict = await checkDependsOn(objects, {
      self: { kind: 'Kustomization', namespace: ref.namespace, name: ref.name },
      dependsOn: spec.dependsOn ?? [],
      source: { id: source.id, revision: source.artifact.revision },
      additive: context.additiveCELDependencyCheck,
    });
    switch (verdict?.failure) {
      case undefined:
        return {};
      case 'invalid':
        return { failure: { reason: KustomizationReason.InvalidCELExpression, message: verdict.message, stalled: true, retryAfterMs: spec.intervalMs } };
      case 'cycle':
        return { failure: { reason: KustomizationReason.DependencyNotReady, message: verdict.message, stalled: false, retryAfterMs: spec.retryIntervalMs } };
      // Deleted since the reconcile began: the next one ends its loop.
      case 'gone':
        return { failure: { reason: KustomizationReason.DependencyNotReady, message: verdict.message, stalled: false } };
      case 'waiting':
        return { failure: { reason: KustomizationReason.DependencyNotReady, message: verdict.message, stalled: false, retryAfterMs: dependencyRetryMs } };
    }
  };
}
