// The fetch step of a HelmRelease reconcile: the HelmChart's package downloaded from the
// artifact server into the workspace, its digest checked.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { fetchArtifactBytes } from '../../artifacts/fetch.js';
import type { HelmReleaseContext } from './work.js';

export function fetchChartStep(context: HelmReleaseContext) {
  return async function fetchChart({ local }: { local: WorkerLocal }): Promise<{ digest: string }> {
    const { dir, state: work } = context.workspaces.get(local.workspace);
    const { artifact } = work.chart;
    const bytes = await fetchArtifactBytes(artifact.url, artifact.digest);
    work.chartPath = join(dir, `${work.chart.name}-${work.chart.version}.tgz`);
    await writeFile(work.chartPath, bytes);
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  };
}
