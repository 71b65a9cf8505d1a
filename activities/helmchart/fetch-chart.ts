// The fetch step of a HelmChart reconcile, on the worker that opened it: a repository's
// chart downloaded from the URL its index gives, or pulled from its OCI registry at the
// chosen tag (with the repository's credentials), or a Git or Bucket source's artifact
// unpacked and the chart found at spec.chart in it, its Chart.yaml read and the build
// decided (an equal build keeps the stored chart).
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ArtifactError, fetchArtifact } from '../../artifacts/fetch.js';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { buildFailure, BuildErrorReason, effectiveValuesFiles, versionMetadata, withVersionMetadata, type BuildErrorKind } from '../../domain/helmchart-build.js';
import type { ChartResult } from '../../domain/helmchart-status.js';
import { OciReferenceError, tagOfVersion } from '../../domain/oci-reference.js';
import { ChartFilesError, exists, insideRoot, readChartMetadata, unpackChart } from '../../helm/chart-files.js';
import { download, DownloadFailure } from '../../helm/http-download.js';
import { ociRegistryClient, OciRegistryError } from '../../oci/registry.js';
import { cancellationSignal } from '../heartbeat.js';
import { maxChartSize, type HelmChartContext, type HelmChartWork, type RemoteChart } from './work.js';

type Failure = Extract<ChartResult, { outcome: 'failed' }>;
export type StepResult = { failure?: Failure };

export const failedWith = (kind: BuildErrorKind, cause: string): StepResult => ({ failure: { outcome: 'failed', ...buildFailure(kind, cause) } });

export function fetchChartStep(context: HelmChartContext) {
  const { workspaces } = context;
  return async function fetchChart({ local }: { local: WorkerLocal }): Promise<StepResult> {
    const { dir, state: work } = workspaces.get(local.workspace);
    return work.remote ? fetchRemoteChart(work, dir) : fetchSourceChart(context, work, dir);
  };
}

async function fetchRemoteChart(work: HelmChartWork, dir: string): Promise<StepResult> {
  const { remote, build } = work;
  const bytes = await downloadRemoteChart(remote!);
  if (typeof bytes === 'string') return failedWith(BuildErrorReason.ChartPull, `failed to download chart for remote reference: ${bytes}`);
  const packagePath = join(dir, 'served.tgz');
  await writeFile(packagePath, bytes);
  try {
    // Unpacked to check it is a chart; kept when it is to be packaged again.
    work.chartDir = await unpackChart(packagePath, join(dir, 'chart'));
    await readChartMetadata(work.chartDir);
  } catch (error) {
    if (!(error instanceof ChartFilesError)) throw error;
    return failedWith(build!.packaged ? BuildErrorReason.ChartPackage : BuildErrorReason.ChartPull, `failed to load downloaded chart: ${error.message}`);
  }
  if (!build!.packaged) work.packagePath = packagePath;
  return {};
}

/** The package as served, or why it could not be had (the cause Flux's message wraps). */
async function downloadRemoteChart(remote: RemoteChart): Promise<Buffer | string> {
  const limit = { maxSize: maxChartSize, tooLarge: `chart exceeds the maximum chart file size of ${maxChartSize} bytes` };
  if (remote.kind === 'http') {
    try {
      return await download(remote.downloadUrl, { ...remote.client, signal: cancellationSignal() }, limit);
    } catch (error) {
      if (!(error instanceof DownloadFailure)) throw error;
      return error.message;
    }
  }
  const { reference, version, client } = remote;
  try {
    return await ociRegistryClient(reference.host, { ...client, signal: cancellationSignal() }).pullChart(reference.repository, tagOfVersion(version), limit);
  } catch (error) {
    if (!(error instanceof OciRegistryError) && !(error instanceof OciReferenceError)) throw error;
    return `failed to get '${reference.url}:${version}': ${error.message}`;
  }
}

async function fetchSourceChart(context: HelmChartContext, work: HelmChartWork, dir: string): Promise<StepResult> {
  const { spec, source } = work;
  if (spec.chart === '') return failedWith(BuildErrorReason.ChartReference, 'no path set for local chart reference');
  if (isAbsolute(spec.chart)) return failedWith(BuildErrorReason.ChartReference, 'local chart reference path is expected to be relative');
  const sourceDir = join(dir, 'source');
  try {
    await fetchArtifact(source.artifact!.url, source.artifact!.digest, sourceDir);
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    return failedWith(BuildErrorReason.Unknown, `artifact untar error: ${error.message}`);
  }
  work.sourceDir = sourceDir;
  const chartPath = insideRoot(sourceDir, spec.chart);
  if (!chartPath || !(await exists(chartPath))) return failedWith(BuildErrorReason.ChartReference, `stat ${spec.chart}: no such file or directory`);
  const isPackage = !(await exists(join(chartPath, 'Chart.yaml'))) && chartPath.endsWith('.tgz');
  let metadata;
  try {
    work.chartDir = isPackage ? await unpackChart(chartPath, join(dir, 'chart')) : chartPath;
    metadata = await readChartMetadata(work.chartDir);
  } catch (error) {
    if (!(error instanceof ChartFilesError)) throw error;
    return failedWith(BuildErrorReason.ChartReference, error.message);
  }
  const valuesFiles = effectiveValuesFiles(spec.valuesFiles);
  const sourceRevision = spec.reconcileStrategy === 'Revision' ? source.artifact!.revision : undefined;
  const metadataSuffix = versionMetadata({ generation: work.generation, valuesFiles, sourceRevision });
  const build = { name: metadata.name, version: withVersionMetadata(metadata.version, metadataSuffix), packaged: !isPackage || metadataSuffix !== undefined || valuesFiles.length > 0, valuesFiles };
  work.build = build;
  const stored = work.stored;
  if (stored && !work.force && stored.chartName === build.name && stored.artifact.revision === build.version) {
    work.result = { outcome: 'unchanged', artifact: { ...stored.artifact, url: context.store.url(stored.artifact.path) }, build: { ...build, valuesFiles: stored.valuesFiles ?? valuesFiles } };
    return {};
  }
  if (!build.packaged) work.packagePath = chartPath;
  return {};
}
