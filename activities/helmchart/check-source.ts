// The first step of a HelmChart reconcile: read the object and its source, and decide
// what the build will be. For a HelmRepository the version is chosen from the stored
// index (for an OCI one, from the registry's tags, or taken as it is when the spec names
// one), so an equal build (same chart name and version, same generation) is known here
// and costs nothing more; for a Git or Bucket source an unchanged source revision says
// the same. Otherwise the reconcile's workspace opens on this worker and the fetch,
// package and store steps run on its own queue.
import type { Artifact } from '../../artifacts/store.js';
import { ArtifactError, fetchArtifactBytes } from '../../artifacts/fetch.js';
import type { LoopTiming } from '../../common/reconcile-steps.js';
import { findCondition } from '../../domain/conditions.js';
import { buildFailure, BuildErrorReason, effectiveValuesFiles, versionMetadata, withVersionMetadata, type ChartBuild } from '../../domain/helmchart-build.js';
import { readHelmChartSpec, type HelmChartSpec } from '../../domain/helmchart-spec.js';
import { HelmChartReason, type ChartResult, type HelmChartObserved, type HelmChartStatus } from '../../domain/helmchart-status.js';
import { normalizeRepositoryUrl, readHelmRepositorySpec, type HelmRepositorySpec } from '../../domain/helmrepository-spec.js';
import { chartVersionsFromTags, isConcreteVersion, ociChartReference, OciReferenceError, selectTaggedVersion, type OciChartReference } from '../../domain/oci-reference.js';
import { chartDownloadUrl, ChartReferenceError, selectChartVersion, type ChartVersion } from '../../helm/chart-version.js';
import { ociRegistryClient, OciRegistryError } from '../../oci/registry.js';
import { IndexError, loadIndex, type RepositoryIndex } from '../../helm/repository-index.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf, fluxKinds, type FluxObjectRef } from '../../kube/flux-kinds.js';
import type { SourceCheck } from '../../workflows/source-loop.js';
import { readHelmRepositoryClient } from '../helm-repository-client.js';
import { showProgress } from '../progress.js';
import { readOciRegistryOptions } from './oci-client.js';
import { invalidSpecTiming, readSourceObject } from '../source-object.js';
import type { HelmChartContext, HelmChartWork } from './work.js';

export type ChartCheck = SourceCheck<ChartResult, HelmChartObserved>;
type Failure = Extract<ChartResult, { outcome: 'failed' }>;

/** A chart's name as Flux's RemoteReference.Validate accepts it. */
const chartNamePattern = /^([-a-z0-9]+\/?\.?)+$/;

export function checkSourceStep(context: HelmChartContext) {
  const { objects, store, schema, workspaces, workerQueue } = context;
  const repositorySchema = specSchemaFor(apiVersionOf('HelmRepository'), 'HelmRepository')!;

  return async function checkSource({ ref }: { ref: FluxObjectRef }): Promise<ChartCheck> {
    const chart = await readSourceObject(objects, store, ref);
    if (!chart) return { outcome: 'gone' };
    const { object, generation, requestedAt } = chart;
    const reading = readHelmChartSpec(object.spec, schema);
    const notObserved: HelmChartObserved = { ignoreMissingValuesFiles: false };
    if (!reading.ok) {
      return { outcome: 'decided', result: { outcome: 'failed', reason: HelmChartReason.InvalidSpec, message: reading.message, stalled: true }, generation, requestedAt, observed: notObserved, timing: invalidSpecTiming };
    }
    const spec = reading.spec;
    const timing: LoopTiming = { intervalMs: spec.intervalMs, retryIntervalMs: spec.intervalMs };
    const previous = await showProgress(objects, ref, (object.status ?? {}) as HelmChartStatus, generation);
    if (spec.suspend) return { outcome: 'suspended', timing, revision: previous.artifact?.revision };
    let observed: HelmChartObserved = { ignoreMissingValuesFiles: spec.ignoreMissingValuesFiles };
    const decided = (result: ChartResult): ChartCheck => ({ outcome: 'decided', result, generation, requestedAt, observed, timing });
    const failed = (failure: Omit<Failure, 'outcome'>): ChartCheck => decided({ outcome: 'failed', ...failure });

    const sourceKind = spec.sourceRef.kind;
    if (sourceKind !== 'HelmRepository' && sourceKind !== 'GitRepository') {
      return failed({ reason: HelmChartReason.UnsupportedSourceKind, message: `failed to get source: source kind '${sourceKind}' is not supported yet`, stalled: true });
    }
    const source = await objects.get({ kind: sourceKind, namespace: ref.namespace, name: spec.sourceRef.name });
    if (!source) {
      return failed({ reason: HelmChartReason.SourceUnavailable, message: `failed to get source: ${fluxKinds[sourceKind].plural}.${fluxKinds[sourceKind].group} "${spec.sourceRef.name}" not found`, stalled: false });
    }
    // An OCI HelmRepository is a data container with no artifact: the registry is asked directly.
    const isOciRepository = sourceKind === 'HelmRepository' && (source.spec as { type?: string } | undefined)?.type === 'oci';
    const artifact = (source.status as { artifact?: Artifact } | undefined)?.artifact;
    if (!artifact && !isOciRepository) return failed({ reason: HelmChartReason.NoSourceArtifact, message: `no artifact available for ${sourceKind} source '${spec.sourceRef.name}'`, stalled: false });
    if (artifact) observed = { ...observed, sourceRevision: artifact.revision };
    // A HelmRepository's spec, read once for either kind of repository.
    let repository: HelmRepositorySpec | undefined;
    if (sourceKind === 'HelmRepository') {
      const reading = readHelmRepositorySpec(source.spec, repositorySchema);
      if (!reading.ok) return failed({ reason: HelmChartReason.URLInvalid, message: `invalid Helm repository URL: ${reading.message}`, stalled: true });
      repository = reading.spec;
    }

    const stored = previous.artifact && (await store.has(previous.artifact)) ? previous.artifact : undefined;
    const force = generation !== previous.observedGeneration;
    const work: HelmChartWork = {
      ref,
      spec,
      generation,
      force,
      stored: stored && { artifact: stored, chartName: previous.observedChartName, valuesFiles: previous.observedValuesFiles },
      source: { kind: sourceKind, name: spec.sourceRef.name, artifact },
    };

    if (sourceKind === 'GitRepository') {
      // The chart is a path in the source: an unchanged source revision builds the same chart.
      if (stored && !force && previous.observedSourceArtifactRevision === artifact!.revision && previous.observedChartName) {
        const packaged = findCondition(previous.conditions, 'ArtifactInStorage')?.reason === 'ChartPackageSucceeded';
        const build: ChartBuild = { name: previous.observedChartName, version: stored.revision, packaged, valuesFiles: previous.observedValuesFiles ?? effectiveValuesFiles(spec.valuesFiles) };
        return decided({ outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, build });
      }
    } else {
      const namespace = source.metadata.namespace ?? 'default';
      const planned = isOciRepository ? await planOciChart(context, namespace, repository!, spec, generation) : await planRepositoryChart(context, namespace, repository!, artifact!, spec, generation);
      if ('failure' in planned) return failed(planned.failure);
      work.remote = planned.remote;
      work.build = planned.build;
      // Flux keeps the stored chart when it has the same name and version, unless the spec changed.
      if (stored && !force && previous.observedChartName === planned.build.name && stored.revision === planned.build.version) {
        return decided({ outcome: 'unchanged', artifact: { ...stored, url: store.url(stored.path) }, build: { ...planned.build, valuesFiles: previous.observedValuesFiles ?? planned.build.valuesFiles } });
      }
    }
    const workspace = await workspaces.open(work);
    return { outcome: 'changed', local: { workerQueue, workspace: workspace.id }, revision: artifact?.revision ?? work.build!.version, generation, requestedAt, observed, timing };
  };
}

type Plan = { remote: NonNullable<HelmChartWork['remote']>; build: ChartBuild } | { failure: Omit<Failure, 'outcome'> };

/** The version a HelmRepository's stored index offers for the spec, and how to download it. */
async function planRepositoryChart(context: HelmChartContext, namespace: string, repository: HelmRepositorySpec, artifact: Artifact, spec: HelmChartSpec, generation: number): Promise<Plan> {
  const invalidName = chartNameFailure(spec.chart);
  if (invalidName) return { failure: invalidName };
  const client = await readHelmRepositoryClient(context.objects, namespace, repository);
  if (!client.ok) return { failure: { reason: HelmChartReason.AuthenticationFailed, message: client.message, stalled: false } };

  let index: RepositoryIndex;
  try {
    index = loadIndex(await fetchArtifactBytes(artifact.url, artifact.digest));
  } catch (error) {
    if (!(error instanceof IndexError) && !(error instanceof ArtifactError)) throw error;
    return { failure: buildFailure(BuildErrorReason.ChartPull, `failed to load repository index: ${error.message}`) };
  }
  let chartVersion: ChartVersion;
  let downloadUrl: string;
  try {
    chartVersion = selectChartVersion(index, spec.chart, spec.version);
  } catch (error) {
    if (!(error instanceof ChartReferenceError)) throw error;
    return { failure: buildFailure(BuildErrorReason.ChartReference, `failed to get chart version for remote reference: ${error.message}`) };
  }
  try {
    downloadUrl = chartDownloadUrl(repository.url, chartVersion);
  } catch (error) {
    if (!(error instanceof ChartReferenceError)) throw error;
    return { failure: buildFailure(BuildErrorReason.ChartPull, `failed to download chart for remote reference: ${error.message}`) };
  }
  const valuesFiles = effectiveValuesFiles(spec.valuesFiles);
  const metadata = versionMetadata({ generation, valuesFiles });
  return {
    remote: {
      kind: 'http',
      downloadUrl,
      client: { ...client.options, timeoutMs: repository.timeoutMs, passCredentials: repository.passCredentials, credentialsHost: new URL(repository.url).host },
    },
    build: { name: chartVersion.name, version: withVersionMetadata(chartVersion.version, metadata), packaged: valuesFiles.length > 0 || metadata !== undefined, valuesFiles },
  };
}

/** Flux's RemoteReference.Validate: a chart name is required, and must look like one. */
function chartNameFailure(chart: string): Omit<Failure, 'outcome'> | undefined {
  if (chart === '') return buildFailure(BuildErrorReason.ChartReference, 'no name set for remote chart reference');
  if (!chartNamePattern.test(chart)) {
    return buildFailure(BuildErrorReason.ChartReference, `invalid chart name '${chart}': a valid name must be lower case letters and numbers and MAY be separated with dashes (-), slashes (/) or periods (.)`);
  }
  return undefined;
}

/**
 * The version an OCI HelmRepository's registry offers for the spec (OCIChartRepository
 * GetChartVersion): a concrete version is taken as its tag without listing; otherwise
 * the newest tag the constraint admits. Failures to get a version are pull errors,
 * retried, as Flux's ErrExternal is.
 */
async function planOciChart(context: HelmChartContext, namespace: string, repository: HelmRepositorySpec, spec: HelmChartSpec, generation: number): Promise<Plan> {
  let reference: OciChartReference;
  try {
    reference = ociChartReference(normalizeRepositoryUrl(repository.url), spec.chart);
  } catch (error) {
    if (!(error instanceof OciReferenceError)) throw error;
    return { failure: { reason: HelmChartReason.Failed, message: `failed to construct Helm client: ${error.message}`, stalled: true } };
  }
  const invalidName = chartNameFailure(spec.chart);
  if (invalidName) return { failure: invalidName };
  const client = await readOciRegistryOptions(context.objects, namespace, repository, reference.host);
  if (!client.ok) return { failure: { reason: HelmChartReason.AuthenticationFailed, message: client.message, stalled: false } };

  const versionFailure = (cause: string) => ({ failure: buildFailure(BuildErrorReason.ChartPull, `failed to get chart version for remote reference: ${cause}`) });
  let version = spec.version;
  if (!isConcreteVersion(spec.version)) {
    let versions: string[];
    try {
      versions = chartVersionsFromTags(await ociRegistryClient(reference.host, client.options).tags(reference.repository));
    } catch (error) {
      if (!(error instanceof OciRegistryError)) throw error;
      return versionFailure(`could not get tags for "${spec.chart}": could not fetch tags for "${reference.url}": ${error.message}`);
    }
    if (versions.length === 0) return versionFailure(`could not get tags for "${spec.chart}": unable to locate any tags in provided repository: ${reference.url}`);
    try {
      version = selectTaggedVersion(versions, spec.version);
    } catch (error) {
      if (!(error instanceof OciReferenceError)) throw error;
      return versionFailure(error.message);
    }
  }
  const valuesFiles = effectiveValuesFiles(spec.valuesFiles);
  const metadata = versionMetadata({ generation, valuesFiles });
  return {
    remote: { kind: 'oci', reference, version, client: client.options },
    build: { name: spec.chart, version: withVersionMetadata(version, metadata), packaged: valuesFiles.length > 0 || metadata !== undefined, valuesFiles },
  };
}
