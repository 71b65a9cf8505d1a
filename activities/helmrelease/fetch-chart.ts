// The fetch step of a HelmRelease reconcile: the chart's package downloaded from the
// artifact server into the workspace, its digest checked. An OCIRepository's chart (read
// once already, to learn its name) is packaged again at the version that carries the
// artifact's digest, as helm-controller loads it with that version.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { ArtifactError, fetchArtifactBytes } from '../../artifacts/fetch.js';
import { ChartFilesError, packageChart, unpackChart } from '../../helm/chart-files.js';
import { cancellationSignal } from '../heartbeat.js';
import type { HelmReleaseContext } from './work.js';

export function fetchChartStep(context: HelmReleaseContext) {
  return async function fetchChart({ local }: { local: WorkerLocal }): Promise<{ digest: string }> {
    const { dir, state: work } = context.workspaces.get(local.workspace);
    const { artifact, name, version } = work.chart;
    const bytes = work.chart.package ?? (await fetchArtifactBytes(artifact.url, artifact.digest));
    const downloaded = join(dir, `${name}-${version}.tgz`);
    await writeFile(downloaded, bytes);
    try {
      work.chartPath = work.chart.ociDigest
        ? await packageChart(await unpackChart(downloaded, join(dir, 'oci-chart')), version, join(dir, 'oci-package'), { home: join(dir, 'oci-helm'), signal: cancellationSignal() })
        : downloaded;
    } catch (error) {
      // Retrying cannot mend the package: the status says why, as Flux's chart loader would.
      if (error instanceof ChartFilesError) throw new ArtifactError(`Could not load chart: ${error.message}`, false);
      throw error;
    }
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  };
}
