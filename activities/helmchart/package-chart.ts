// The package step of a HelmChart reconcile: when the build is more than the package as
// served (a chart folder, build metadata on its version, values files), the values files
// merged into values.yaml, a Git chart's missing dependencies added, and the chart
// packaged again by the real `helm package` at the build's version.
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { BuildErrorReason } from '../../domain/helmchart-build.js';
import { normalizeRepositoryUrl } from '../../domain/helmrepository-spec.js';
import { buildMissingDependencies } from '../../helm/chart-dependencies.js';
import { chartDefaultValues, ChartFilesError, exists, insideRoot, mergeValuesFiles, overwriteDefaultValues, packageChart as helmPackage, readChartMetadata } from '../../helm/chart-files.js';
import type { DownloadOptions } from '../../helm/http-download.js';
import { readHelmRepositorySpec } from '../../domain/helmrepository-spec.js';
import { specSchemaFor } from '../../kube/crd-schemas.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import { cancellationSignal } from '../heartbeat.js';
import { readHelmRepositoryClient } from '../helm-repository-client.js';
import { failedWith, type StepResult } from './fetch-chart.js';
import { maxChartSize, type HelmChartContext, type HelmChartWork } from './work.js';

export function packageChartStep(context: HelmChartContext) {
  const { workspaces } = context;
  return async function packageChart({ local }: { local: WorkerLocal }): Promise<StepResult> {
    const { dir, state: work } = workspaces.get(local.workspace);
    // An equal build keeps the stored chart; a package as served is stored as it is.
    if (work.result || work.packagePath) return {};
    const build = work.build!;
    const chartDir = work.chartDir!;

    if (build.valuesFiles.length > 0) {
      try {
        const { values, merged } = await mergeValuesFiles(build.valuesFiles, (file) => (work.remote ? chartValuesFile(chartDir, file) : sourceValuesFile(work.sourceDir!, file)), work.spec.ignoreMissingValuesFiles);
        await overwriteDefaultValues(chartDir, values);
        build.valuesFiles = merged;
      } catch (error) {
        if (!(error instanceof ChartFilesError)) throw error;
        return failedWith(BuildErrorReason.ValuesFilesMerge, work.remote ? `failed to merge chart values: ${error.message}` : error.message);
      }
    }
    if (!work.remote) {
      try {
        await buildMissingDependencies(chartDir, await readChartMetadata(chartDir), { sourceRoot: work.sourceDir!, maxSize: maxChartSize, clientFor: (url) => dependencyClient(context, work, url) });
      } catch (error) {
        if (!(error instanceof ChartFilesError)) throw error;
        return failedWith(BuildErrorReason.DependencyBuild, error.message);
      }
    }
    try {
      work.packagePath = await helmPackage(chartDir, build.version, join(dir, 'packaged'), { home: join(dir, 'helm'), signal: cancellationSignal() });
    } catch (error) {
      if (!(error instanceof ChartFilesError)) throw error;
      return failedWith(BuildErrorReason.ChartPackage, error.message);
    }
    return {};
  };
}

/** A values file of a repository's chart: a file in the chart; `values.yaml` is the chart's defaults. */
async function chartValuesFile(chartDir: string, file: string) {
  const missing = { missing: `no values file found at path '${file}'` };
  if (file.replace(/^\.\//, '') === 'values.yaml') {
    const values = await chartDefaultValues(chartDir);
    return values ? { values } : missing;
  }
  const path = insideRoot(chartDir, file);
  return path && (await exists(path)) ? { path } : missing;
}

/** A values file of a Git or Bucket chart: a path from the source's root. */
async function sourceValuesFile(sourceDir: string, file: string) {
  const path = insideRoot(sourceDir, file);
  if (path && (await exists(path))) return { path };
  return { missing: `no values file found at path '${path ? path.slice(sourceDir.length) : file}' (reference '${file}')` };
}

/** A dependency's repository: the credentials of a HelmRepository in the chart's namespace with that URL, or none. */
async function dependencyClient(context: HelmChartContext, work: HelmChartWork, url: string): Promise<DownloadOptions> {
  const schema = specSchemaFor(apiVersionOf('HelmRepository'), 'HelmRepository')!;
  const anonymous: DownloadOptions = { timeoutMs: 60_000, signal: cancellationSignal() };
  const wanted = normalizeRepositoryUrl(url);
  const { items } = await context.objects.list('HelmRepository', work.ref.namespace);
  for (const repository of items) {
    const reading = readHelmRepositorySpec(repository.spec, schema);
    if (!reading.ok || normalizeRepositoryUrl(reading.spec.url) !== wanted) continue;
    const client = await readHelmRepositoryClient(context.objects, work.ref.namespace, reading.spec);
    if (!client.ok) throw new ChartFilesError(client.message);
    return { ...client.options, timeoutMs: reading.spec.timeoutMs, passCredentials: reading.spec.passCredentials, signal: cancellationSignal() };
  }
  return anonymous;
}
