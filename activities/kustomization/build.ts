// kustomize build of the fetched artifact, with postBuild substitution and SOPS
// decryption; the objects stay in the workspace for the apply.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepFailure, WorkerLocal } from '../../common/reconcile-steps.js';
import { KustomizationReason } from '../../domain/kustomization-status.js';
import { referenceOf } from '../../kube/objects.js';
import { healthTargetsOf } from '../../domain/health.js';
import { findEncrypted } from '../../kustomize/decrypt.js';
import { renderKustomization } from '../../kustomize/render.js';
import { selfContainedPath } from '../../kustomize/build.js';
import { cancellationSignal } from '../heartbeat.js';
import type { KustomizationContext } from './work.js';

export function buildStep(context: KustomizationContext) {
  const { workspaces, buildInputs, buildSlot, artifacts, builds, strictSubstitution, access } = context;
  return async function build({ local }: { local: WorkerLocal }): Promise<{ objects?: number; cached?: boolean; failure?: StepFailure }> {
    const workspace = workspaces.get(local.workspace);
    const work = workspace.state;
    const { ref, spec } = work;
    const { artifact } = work.source;
    const root = join(workspace.dir, 'source');
    // A private copy of the artifact, made only when kustomize has to run; a retried
    // attempt starts from nothing, not from what a failed one left.
    const checkout = async () => {
      await rm(root, { recursive: true, force: true });
      await artifacts.checkout(artifact.url, artifact.digest, root, { subtree: (tree) => selfContainedPath(tree, spec) });
      return root;
    };
    const rendering = await renderKustomization({
      root: checkout,
      spec,
      ref,
      inputs: buildInputs,
      runBuild: buildSlot,
      signal: cancellationSignal(spec.timeoutMs),
      cache: { builds, digest: artifact.digest },
      strictSubstitution,
      noRemoteBases: access.noRemoteBases,
      sopsAgeSecret: access.sopsAgeSecret,
    });
    // The copy is not needed past a build that ended; the artifact cache keeps the artifact.
    await rm(root, { recursive: true, force: true });
    if (!rendering.ok) return { failure: { reason: KustomizationReason.BuildFailed, message: rendering.message, stalled: false } };
    // Never apply a Secret still encrypted: the cluster would hold ciphertext as its value.
    const encrypted = findEncrypted(rendering.objects);
    if (encrypted) {
      const message = `${encrypted} is SOPS encrypted, configuring decryption is required for this secret to be reconciled`;
      return { failure: { reason: KustomizationReason.ReconciliationFailed, message, stalled: false } };
    }
    work.objects = rendering.objects;
    // What status.history tells one set of objects from another by.
    work.digest = `sha256:${createHash('sha256').update(JSON.stringify(rendering.objects)).digest('hex')}`;
    if (spec.wait) work.healthTargets = healthTargetsOf(ref, { applied: rendering.objects.map(referenceOf) });
    return { objects: rendering.objects.length, ...(rendering.fromCache ? { cached: true } : {}) };
  };
}
