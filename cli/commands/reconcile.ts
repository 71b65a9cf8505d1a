// `reconcile source git | source helm | source chart | kustomization | helmrelease NAME [--with-source]`: as `flux
// reconcile`, sets reconcile.fluxcd.io/requestedAt, and also signals the object's loop
// at once; then waits until the reconcile was handled and says how it went.
import { isReconciled } from '../../common/loop-kinds.js';
import type { KubernetesObject } from '../../kube/objects.js';
import { requireObject, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { fluxKinds, type FluxKindName, type FluxObjectRef } from '../../kube/flux-kinds.js';
import { gitRepositoryWords, helmChartWords, helmReleaseWords, helmRepositoryWords, kustomizationWords, notFoundMessage, ociRepositoryWords, receiverWords, quoted, type KindWords } from '../kinds.js';
import { forceAtAnnotation, resetAtAnnotation } from '../../domain/helmrelease-requests.js';
import { newRequestedAt, requestPatch, successMessage, waitForReconcile } from '../reconcile-wait.js';

/** Wakes the object's loop now; without Temporal, a worker's watcher still sees the annotation. */
export async function signalReconcile(context: CliContext, ref: FluxObjectRef, requestedAt: string): Promise<void> {
  let session;
  try {
    session = await context.temporal();
  } catch (error) {
    context.terminal.warning(`${(error as Error).message}; waiting for a worker to see the annotation`);
    return;
  }
  const { reconcileObject } = await import('../../temporal/object-loops.js');
  await reconcileObject(session.client, ref, { requestedAt, taskQueuePrefix: context.taskQueuePrefix });
}

/** Waits for the reconcile requested at `requestedAt` and prints its outcome; Ok only when Ready. */
export async function reportReconcile(context: CliContext, ref: FluxObjectRef, requestedAt: string): Promise<ExitCode> {
  const outcome = await waitForReconcile(context, ref, requestedAt);
  if (!outcome.ready) {
    context.terminal.failure(`${ref.kind} reconciliation failed: ${outcome.message}`);
    return ExitCode.Failure;
  }
  context.terminal.success(`${ref.kind} reconciliation completed`);
  context.terminal.success(successMessage(ref.kind, outcome.revision));
  return ExitCode.Ok;
}

/**
 * What --with-source reconciles first: a Kustomization's or HelmChart's source; for a
 * HelmRelease, as flux does, its HelmChart (`<namespace>-<name>` beside the chart's source,
 * or the one chartRef names), itself with its source, so a new chart version is seen.
 */
function sourceOf(ref: FluxObjectRef, object: KubernetesObject): { source: FluxObjectRef; withSource: boolean } {
  const spec = (object.spec ?? {}) as { sourceRef?: SourceRef; chartRef?: SourceRef; chart?: { spec?: { sourceRef?: SourceRef } } };
  if (ref.kind === 'HelmRelease' && !spec.chartRef) {
    const chartSource = spec.chart?.spec?.sourceRef;
    if (!chartSource) throw new CliError(`${quoted(ref)} has no chart`);
    return { source: { kind: 'HelmChart', namespace: chartSource.namespace ?? ref.namespace, name: `${ref.namespace}-${ref.name}` }, withSource: true };
  }
  const source = ref.kind === 'HelmRelease' ? spec.chartRef : spec.sourceRef;
  if (!source) throw new CliError(`${quoted(ref)} has no source reference`);
  const kind = source.kind as FluxKindName;
  if (!(kind in fluxKinds) || !isReconciled(kind)) throw new CliError(`--with-source: ${source.kind} sources are not reconciled yet`);
  return { source: { kind, namespace: source.namespace ?? ref.namespace, name: source.name }, withSource: kind === 'HelmChart' };
}

interface SourceRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** HelmRelease's --force and --reset: annotations with the request's token (domain/helmrelease-requests.ts). */
interface Requests {
  force?: boolean;
  reset?: boolean;
}

async function reconcile(context: CliContext, ref: FluxObjectRef, withSource: boolean, requests: Requests = {}): Promise<ExitCode> {
  const object = await requireObject(context, ref);
  if (!isReconciled(ref.kind)) throw new CliError(`${quoted(ref)} cannot be reconciled: ${ref.kind} objects have no reconcile loop yet`);
  if ((object.spec as { suspend?: boolean } | undefined)?.suspend) throw new CliError(`${quoted(ref)} is suspended: resume it first`);
  if (withSource) {
    const { source, withSource: sourceWithSource } = sourceOf(ref, object);
    const sourceCode = await reconcile(context, source, sourceWithSource);
    if (sourceCode !== ExitCode.Ok) return sourceCode;
  }
  context.terminal.action(`annotating ${ref.kind} ${ref.name} in ${ref.namespace} namespace`);
  const requestedAt = newRequestedAt(context.now());
  const patch = requestPatch(requestedAt) as { metadata: { annotations: Record<string, string> } };
  if (requests.force) patch.metadata.annotations[forceAtAnnotation] = requestedAt;
  if (requests.reset) patch.metadata.annotations[resetAtAnnotation] = requestedAt;
  if (!(await context.cluster().patch(ref, patch))) throw new CliError(notFoundMessage(ref));
  context.terminal.success(`${ref.kind} annotated`);
  await signalReconcile(context, ref, requestedAt);
  return reportReconcile(context, ref, requestedAt);
}

function reconcileCommand(words: KindWords, withSource: boolean): Command {
  const noun = words.singular.map((aliases) => aliases[0]).join(' ');
  const release = words.kind === 'HelmRelease';
  return {
    words: [['reconcile'], ...words.singular],
    args: [{ name: 'NAME' }],
    summary: `reconcile a ${words.kind} now and wait for the outcome`,
    options: {
      ...(withSource ? { 'with-source': { type: 'boolean', description: 'reconcile its source first' } } : {}),
      ...(release
        ? {
            force: { type: 'boolean', description: 'force a Helm action: upgrade a release in sync, install despite spent retries' },
            reset: { type: 'boolean', description: 'reset the failure counters, so retries start again' },
          }
        : {}),
    },
    examples: [`kimbernetes reconcile ${noun} flux-system${withSource ? ' --with-source' : ''}`, ...(release ? [`kimbernetes reconcile ${noun} podinfo --force`] : [])],
    run: (context, invocation) =>
      reconcile(context, { kind: words.kind, namespace: context.namespace, name: invocation.arg(0) }, invocation.flag('with-source'), release ? { force: invocation.flag('force'), reset: invocation.flag('reset') } : {}),
  };
}

export const reconcileCommands: Command[] = [
  reconcileCommand(gitRepositoryWords, false),
  reconcileCommand(ociRepositoryWords, false),
  reconcileCommand(helmRepositoryWords, false),
  reconcileCommand(helmChartWords, true),
  reconcileCommand(kustomizationWords, true),
  reconcileCommand(helmReleaseWords, true),
  reconcileCommand(receiverWords, false),
];
