// Pull the resolved artifact into the workspace, as Flux's reconcileSource does: its
// manifest by digest (its annotations become the artifact's metadata), the layer the
// selector names (the first when it names none), streamed to a file and checked against
// its digest, then extracted (symlinks skipped, as Flux's untar does) unless the
// operation is `copy`, which keeps the tar.gz as it is (a Helm chart's layer).
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar';
import { regularEntriesOnly } from '../../artifacts/archive.js';
import type { WorkerLocal } from '../../common/reconcile-steps.js';
import { manifestAnnotations, manifestLayers, OciArtifactError, selectLayer } from '../../domain/oci-artifact.js';
import { layerOperation } from '../../domain/ocirepository-spec.js';
import { OCIRepositoryReason, type OCIRepositoryResult } from '../../domain/ocirepository-status.js';
import { ociRegistryClient, OciRegistryError, type OciManifest } from '../../oci/registry.js';
import { cancellationSignal } from '../heartbeat.js';
import type { OCIRepositoryContext } from './work.js';

type Failure = Extract<OCIRepositoryResult, { outcome: 'failed' }>;

/** A layer past this size is refused before it fills the worker's disk. */
const maxLayerSize = 1 << 30;

export function pullStep(context: OCIRepositoryContext) {
  const { workspaces } = context;
  return async function pull({ local }: { local: WorkerLocal }): Promise<{ failure?: Failure }> {
    const workspace = workspaces.get(local.workspace);
    const work = workspace.state;
    const { spec, address } = work;
    const failed = (reason: string, message: string) => ({ failure: { outcome: 'failed' as const, reason, message, stalled: false } });
    const registry = ociRegistryClient(address.host, { ...work.registry, signal: cancellationSignal() });
    let manifest: OciManifest;
    try {
      manifest = await registry.manifest(address.repository, work.digest);
    } catch (error) {
      if (!(error instanceof OciRegistryError)) throw error;
      return failed(OCIRepositoryReason.OCIArtifactPullFailed, `failed to pull artifact from '${spec.url}': ${error.message}`);
    }
    const { mediaType, operation } = layerOperation(spec.layerSelector);
    const stamp = Date.now();
    const layerFile = join(workspace.dir, `layer-${stamp}.tgz`);
    const verb = operation === 'copy' ? 'failed to copy layer from artifact' : 'failed to extract layer contents from artifact';
    try {
      const layer = selectLayer(manifestLayers(manifest.content, manifest.mediaType), mediaType);
      await registry.downloadBlob(address.repository, layer.digest, layerFile, { maxSize: maxLayerSize, tooLarge: `${verb}: the layer exceeds ${maxLayerSize >> 20} MiB` });
      // Only extraction needs gzip; a copied layer is stored as it is, as Flux's io.Copy does.
      if (operation === 'extract' && !(await isGzip(layerFile))) throw new OciArtifactError(`${verb}: requires gzip-compressed body: gzip: invalid header`);
    } catch (error) {
      if (error instanceof OciArtifactError) return failed(OCIRepositoryReason.OCIArtifactLayerOperationFailed, error.message);
      if (error instanceof OciRegistryError) return failed(OCIRepositoryReason.OCIArtifactLayerOperationFailed, error.message.startsWith(verb) ? error.message : `${verb}: ${error.message}`);
      throw error;
    }
    work.layerFile = layerFile;
    work.metadata = manifestAnnotations(manifest.content);
    if (operation === 'extract') {
      const contentDir = join(workspace.dir, `content-${stamp}`);
      await mkdir(contentDir, { recursive: true });
      try {
        await extract({ file: layerFile, cwd: contentDir, strict: true, filter: regularEntriesOnly });
      } catch (error) {
        return failed(OCIRepositoryReason.OCIArtifactLayerOperationFailed, `${verb}: ${(error as Error).message}`);
      }
      work.contentDir = contentDir;
    }
    return {};
  };
}

async function isGzip(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await file.close();
  }
}
