// The store step of a HelmChart reconcile: the package written to the artifact store as
// `<chart>-<version>.tgz` (its revision the build's version), the `latest.tar.gz` link
// status.url names pointed at it, and old packages collected.
import { readFile } from 'node:fs/promises';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import type { HelmChartContext } from './work.js';

export function storeChartStep(context: HelmChartContext) {
  const { store, workspaces } = context;
  return async function storeArtifact({ local }: { local: WorkerLocal }): Promise<{ digest?: string }> {
    const work = workspaces.get(local.workspace).state;
    if (work.result) return {};
    const build = work.build!;
    const artifact = await store.put(work.ref, `${build.name}-${build.version}.tgz`, await readFile(work.packagePath!), build.version);
    const url = await store.link(artifact, 'latest.tar.gz');
    await store.garbageCollect(work.ref, artifact);
    work.result = { outcome: 'stored', artifact, url, build };
    return { digest: artifact.digest };
  };
}
