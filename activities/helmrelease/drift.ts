// The cluster side of a HelmRelease's drift detection (helm-controller internal/action
// diff.go Diff and ApplyDiff): each object of the latest release's manifest is read and
// dry-run applied with the controller's field manager, forced, and judged by
// domain/helmrelease-drift.ts; a correction applies what drifted, creations first, each
// in Flux's order. A failing object is an error in the result, not a thrown one: Flux's
// diff and its correction go on past it.
//
// The report holds the release's objects and the live ones (Secrets' data among them):
// it stays on the worker; only its entries' type, subject and patch are for payloads.
import { createLimiter } from '../../common/limiter.js';
import { compareApplyOrder } from '../../domain/apply-order.js';
import type { StoredRelease } from '../../domain/helmrelease-digest.js';
import {
  compileIgnoreRules,
  driftOf,
  driftSubject,
  excludedFromDrift,
  IgnoreRuleError,
  ignorePathsOf,
  PointerError,
  ReleaseManifestError,
  releaseObjects,
  withIgnoredFieldsOf,
  type DriftCorrection,
  type DriftCorrectionResult,
  type DriftDetection,
  type IgnoreRuleMatcher,
  type PatchOperation,
} from '../../domain/helmrelease-drift.js';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { referenceOf, type KubernetesObject, type ObjectReference } from '../../kube/objects.js';

/** One object of the release, as drift detection found it. */
export type DriftedObject =
  | { type: 'exclude' | 'none'; subject: string; ref: ObjectReference }
  /** `object`: the release's object as it would be applied */
  | { type: 'create'; subject: string; ref: ObjectReference; object: KubernetesObject }
  | { type: 'update'; subject: string; ref: ObjectReference; patch: PatchOperation[]; object: KubernetesObject; live: KubernetesObject; ignorePaths: string[] };

export interface DriftReport {
  /** in the manifest's order */
  objects: DriftedObject[];
  /** why some objects (or all: an unreadable manifest or ignore rule) could not be compared */
  errors: string[];
  /** the field manager the dry-runs used, which a correction applies with */
  fieldManager: string;
}

/** Requests in flight at once for one release. */
const concurrency = 5;

/**
 * Diff: the drift of the objects of `release`'s manifest (namespaced ones without a
 * namespace go to the release's, as Helm puts them), by `settings.ignore`.
 * `fieldManager`: helm-controller's is `helm-controller`.
 */
export async function detectDrift(
  client: KubeClient,
  release: Pick<StoredRelease, 'name' | 'namespace' | 'manifest'>,
  settings: DriftDetection,
  fieldManager: string,
  signal?: AbortSignal,
): Promise<DriftReport> {
  let rules: IgnoreRuleMatcher[];
  let objects: KubernetesObject[];
  try {
    rules = compileIgnoreRules(settings.ignore);
    objects = releaseObjects(release);
  } catch (error) {
    if (error instanceof IgnoreRuleError || error instanceof ReleaseManifestError) return { objects: [], errors: [error.message], fieldManager };
    throw error;
  }
  const limited = createLimiter(concurrency);
  const inspected = await Promise.all(objects.map((object) => limited(() => inspect(client, object, release.namespace, rules, fieldManager, signal))));
  return {
    objects: inspected.flatMap((result) => ('error' in result ? [] : [result])),
    errors: inspected.flatMap((result) => ('error' in result ? [result.error] : [])),
    fieldManager,
  };
}

async function inspect(
  client: KubeClient,
  object: KubernetesObject,
  releaseNamespace: string,
  rules: readonly IgnoreRuleMatcher[],
  fieldManager: string,
  signal: AbortSignal | undefined,
): Promise<DriftedObject | { error: string }> {
  // Which kinds are namespaced the API server tells: a cluster-scoped object comes back without one.
  const defaulted = !object.metadata.namespace;
  let desired = defaulted ? { ...object, metadata: { ...object.metadata, namespace: releaseNamespace } } : object;
  const clusterScoped = (found: KubernetesObject) => defaulted && !found.metadata.namespace;
  const entry = <T extends DriftedObject['type']>(type: T) => ({ type, subject: driftSubject(desired), ref: referenceOf(desired) });
  if (excludedFromDrift(desired, [])) return entry('exclude');

  signal?.throwIfAborted();
  let live: KubernetesObject | undefined;
  try {
    live = await client.get(referenceOf(desired));
  } catch (error) {
    if (error instanceof KubeError) return { error: error.message.replace(/^get [^:]*: /, '') };
    throw error;
  }
  if (live && clusterScoped(live)) desired = withoutNamespace(desired);
  let ignorePaths = ignorePathsOf(rules, desired);
  if (excludedFromDrift(desired, ignorePaths)) return entry('exclude');

  signal?.throwIfAborted();
  let dryRun: KubernetesObject;
  try {
    dryRun = await client.apply(desired, { fieldManager, force: true, dryRun: true });
  } catch (error) {
    if (error instanceof KubeError) return { error: dryRunFailure(desired, error, defaulted) };
    throw error;
  }
  if (!live && clusterScoped(dryRun)) {
    desired = withoutNamespace(desired);
    ignorePaths = ignorePathsOf(rules, desired);
    if (excludedFromDrift(desired, ignorePaths)) return entry('exclude');
  }

  let drift: ReturnType<typeof driftOf>;
  try {
    drift = driftOf(live, dryRun, ignorePaths);
  } catch (error) {
    if (error instanceof PointerError) return { error: error.message };
    throw error;
  }
  if (drift.type === 'none') return entry('none');
  if (drift.type === 'create') return { ...entry('create'), object: desired };
  return { ...entry('update'), patch: drift.patch, object: desired, live: live!, ignorePaths };
}

function withoutNamespace(object: KubernetesObject): KubernetesObject {
  const metadata = { ...object.metadata };
  delete metadata.namespace;
  return { ...object, metadata };
}

/** ssa.DryRunErr's words; a kind the cluster does not serve as Flux's scope lookup or read says it. */
function dryRunFailure(object: KubernetesObject, error: KubeError, namespaceDefaulted: boolean): string {
  const subject = driftSubject(object);
  const cause = error.message.replace(/^apply [^:]*: /, '');
  if (error.notFound && cause.startsWith('no matches for kind')) return namespaceDefaulted ? `failed to determine if ${object.kind} is namespace scoped: ${cause}` : cause;
  if (error.notFound) return object.metadata.namespace ? `${subject} namespace not specified: ${cause}` : `${subject} not found: ${cause}`;
  const reason = error.causes.some((c) => c.reason === 'FieldManagerConflict') ? 'FieldManagerConflict' : (error.reason ?? '');
  return `${subject} dry-run failed${reason ? ` (${reason})` : ''}: ${cause}`;
}

/**
 * ApplyDiff: what is missing is created, then what changed is configured, each group in
 * Flux's order (a Namespace before what goes in it), one after another, on past a
 * failure. Both are forced server-side applies with the report's field manager of the
 * release's object, whose ignored fields keep their live values.
 */
export async function correctDrift(client: KubeClient, report: DriftReport, signal?: AbortSignal): Promise<DriftCorrectionResult> {
  type Drifted = Extract<DriftedObject, { object: KubernetesObject }>;
  const inOrder = (type: Drifted['type']) =>
    report.objects.filter((entry): entry is Drifted => entry.type === type).sort((a, b) => compareApplyOrder(a.object, b.object));
  const corrections: DriftCorrection[] = [];
  const errors: string[] = [];
  for (const entry of [...inOrder('create'), ...inOrder('update')]) {
    signal?.throwIfAborted();
    const creating = entry.type === 'create';
    const object = creating ? entry.object : withIgnoredFieldsOf(entry.object, entry.live, entry.ignorePaths);
    try {
      await client.apply(object, { fieldManager: report.fieldManager, force: true });
      corrections.push({ subject: entry.subject, action: creating ? 'created' : 'configured' });
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      errors.push(`${entry.subject} ${creating ? 'creation' : 'patch'} failure: ${correctionCause(object, error)}`);
    }
  }
  return { corrections, errors };
}

/** The API server's reason; for an invalid Secret only its last part, which does not quote the data (maskSensitiveErrData). */
function correctionCause(object: KubernetesObject, error: KubeError): string {
  const cause = error.message.replace(/^apply [^:]*: /, '');
  if (object.kind !== 'Secret' || error.reason !== 'Invalid') return cause;
  return cause.slice(cause.lastIndexOf(':') + 1).trim();
}
