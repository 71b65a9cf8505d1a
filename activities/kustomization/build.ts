// kustomize build of the fetched artifact, with postBuild substitution and SOPS
// decryption; the objects stay in the workspace for the apply.
import { rm } from 'node:fs/promises';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { referenceOf } from '../../kube/objects.js';
import { findEncrypted } from '../../kustomize/decrypt.js';
import { renderKustomization } from '../../kustomize/render.js';
import { cancellationSignal } from '../heartbeat.js';
import type { KustomizationContext } from './work.js';

export function buildStep(context: KustomizationContext) {
  const { workspaces, buildInputs, buildSlot } = context;
  return async function build({ local }: { local: WorkerLocal }): Promise<{ objects?: number; failure?: StepFailure }> {
    const work = workspaces.get(local.workspace).state;
    const { ref, spec, root } = work;
    if (!root) throw new Error(`the build of ${ref.namespace}/${ref.name} ran before its artifact was fetched`);
    const rendering = await renderKustomization({ root, spec, ref, inputs: buildInputs, runBuild: buildSlot, signal: cancellationSignal(spec.timeoutMs) });
    // The sources are not needed past a build that ended (a retried step still has them);
    // the artifact cache keeps the artifact itself.
    await rm(root, { recursive: true, force: true });
    work.root = undefined;
    if (!rendering.ok) return { failure: { reason: KustomizationReason.BuildFailed, message: rendering.message, stalled: false } };
    // Never apply a Secret still encrypted: the cluster would hold ciphertext as its value.
    const encrypted = findEncrypted(rendering.objects);
    if (encrypted) {
      const message = `${encrypted} is SOPS encrypted, configuring decryption is required for this secret to be reconciled`;
      return { failure: { reason: KustomizationReason.ReconciliationFailed, message, stalled: false } };
    }
    work.objects = rendering.objects;
    if (spec.wait) work.healthTargets = rendering.objects.map(referenceOf);
    return { objects: rendering.objects.length };
  };
}
