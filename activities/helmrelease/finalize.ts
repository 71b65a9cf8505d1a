// The one place a HelmRelease reconcile's outcome is written: conditions, history,
// counters, last attempt and observedGeneration (domain/helmrelease-outcome.ts), and one
// event per Helm action; and, for a HelmRelease being deleted, its release uninstalled
// on its own cluster (not while suspended, as Flux), its templated HelmChart deleted and
// its finalizer released.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { nextHelmReleaseStatus, type HelmReleaseStatus, type ReleaseVerdict } from '../../domain/helmrelease-outcome.js';
import { isTemplatedChart, readHelmReleaseSpec, type HelmReleaseSpec } from '../../domain/helmrelease-spec.js';
import { helm, HelmFailure } from '../../helm/helm-cli.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import { cancellationSignal } from '../heartbeat.js';
import { uninstallArgs } from './actions.js';
import { KubeconfigSecretMissing, releaseConnection, releaseKubeconfig } from './connection.js';
import { attemptOf } from './resolve-release.js';
import { finalizer, type HelmReleaseContext } from './work.js';

export interface HelmReleaseVerdict {
  ref: FluxObjectRef;
  generation: number;
  requestedAt?: string;
  /** what the first step decided; the workspace's outcomes when absent */
  verdict?: ReleaseVerdict;
  local?: WorkerLocal;
  /** a step that gave up before any Helm action (the chart's download) */
  failure?: { reason: string; message: string };
}

export interface HelmReleaseFinalStatus {
  ready: boolean;
  /** retrying will not help until the spec changes */
  stalled: boolean;
  revision?: string;
  message: string;
}

const component = 'helm-controller';

export function finalizeStatusStep(context: HelmReleaseContext) {
  const { objects, workspaces } = context;
  return async function finalizeStatus(input: HelmReleaseVerdict): Promise<HelmReleaseFinalStatus | undefined> {
    const { ref, generation, requestedAt } = input;
    const workspaceId = input.local?.workspace;
    let verdict = input.verdict;
    if (!verdict && input.local) {
      const work = workspaces.get(input.local.workspace).state;
      verdict =
        input.failure && work.outcomes.length === 0
          ? { kind: 'unready', ...input.failure, stalled: false, warning: true }
          : { kind: 'released', attempt: { ...attemptOf(work.spec, work.chart, work.values), ...work.postRender, ...work.requests }, plan: work.plan, outcomes: work.outcomes, history: work.previous.history ?? [] };
    }
    if (!verdict) throw new Error(`HelmRelease ${ref.namespace}/${ref.name}: finalizeStatus was given no outcome`);
    try {
      const object = await objects.get(ref);
      if (!object) return undefined;
      const previous = (object.status ?? {}) as HelmReleaseStatus;
      const { status, events } = nextHelmReleaseStatus(previous, verdict, { now: new Date().toISOString(), generation, requestedAt });
      await objects.patchStatus(ref, { ...status, history: status.history ?? null, helmChart: status.helmChart ?? null });
      for (const event of events) await objects.recordEvent(object, event, component);
      const ready = findCondition(status.conditions, 'Ready');
      return { ready: ready?.status === 'True', stalled: findCondition(status.conditions, 'Stalled')?.status === 'True', revision: status.history?.[0]?.chartVersion, message: ready?.message ?? '' };
    } finally {
      if (workspaceId) await workspaces.close(workspaceId);
    }
  };
}

export function finalizeDeletionStep(context: HelmReleaseContext) {
  const { objects, kube, schema } = context;
  return async function finalizeDeletion({ ref }: { ref: FluxObjectRef }): Promise<void> {
    const object = await objects.get(ref);
    if (!object) return;
    const status = (object.status ?? {}) as HelmReleaseStatus;
    const reading = readHelmReleaseSpec(object.spec, schema, { name: ref.name, namespace: ref.namespace });
    // A suspended HelmRelease is let go without touching its release, as Flux does.
    if (reading.ok && !reading.spec.suspend) {
      const spec = reading.spec;
      if (status.storageNamespace) await uninstallForDeletion(context, ref, spec, status.storageNamespace);
      if (status.helmChart && isTemplatedChart(ref, status.helmChart)) {
        const [namespace = ref.namespace, name = ''] = status.helmChart.split('/');
        await kube.delete({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', namespace, name });
      }
    }
    const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
    await objects.setFinalizers(ref, finalizers.filter((f) => f !== finalizer));
  };
}

/**
 * The release uninstalled where it is stored, as the HelmRelease's identity. As Flux does,
 * a deleted kubeConfig Secret or ServiceAccount lets the HelmRelease go without an
 * uninstall, for nothing could ever perform it.
 */
async function uninstallForDeletion(context: HelmReleaseContext, ref: FluxObjectRef, spec: HelmReleaseSpec, storageNamespace: string): Promise<void> {
  if (spec.serviceAccountName && (await context.kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ref.namespace, name: spec.serviceAccountName })) === undefined) return;
  let kubeconfig: string;
  try {
    kubeconfig = await releaseKubeconfig(context, ref.namespace, spec);
  } catch (error) {
    if (error instanceof KubeconfigSecretMissing) return;
    throw error;
  }
  const dir = await mkdtemp(join(tmpdir(), 'kimbernetes-helmrelease-'));
  try {
    const connection = await releaseConnection(dir, kubeconfig, ref.namespace, spec);
    await helm(connection, uninstallArgs(spec.releaseName, storageNamespace, spec.uninstall), cancellationSignal()).catch((error: unknown) => {
      // An uninstalled or never installed release is what deletion wants.
      if (error instanceof HelmFailure && error.notFound) return '';
      throw error;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
