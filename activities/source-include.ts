// spec.include: another GitRepository's artifact (or a folder of it) copied into this
// one's, so a repository can compose shared manifests. The included artifact is fetched
// by URL and verified like any consumer does.
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Artifact } from '../artifacts/store.js';
import { fetchArtifact } from '../artifacts/fetch.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { GitRepositoryInclude } from '../schemas/types.js';

export type IncludeResolution =
  | { ok: true; artifacts: Artifact[] }
  | { ok: false; reason: 'NotFound' | 'NoArtifact'; message: string };

/** The current artifact of every included GitRepository, in spec order. */
export async function resolveIncludes(objects: FluxObjects, namespace: string, includes: readonly GitRepositoryInclude[]): Promise<IncludeResolution> {
  const artifacts: Artifact[] = [];
  for (const include of includes) {
    const name = include.repository.name;
    const included = await objects.get({ kind: 'GitRepository', namespace, name });
    if (!included) return { ok: false, reason: 'NotFound', message: `could not get resource for include '${name}': GitRepository ${namespace}/${name} not found` };
    const artifact = (included.status as { artifact?: Artifact } | undefined)?.artifact;
    if (!artifact) return { ok: false, reason: 'NoArtifact', message: `no artifact available for include '${name}'` };
    artifacts.push(artifact);
  }
  return { ok: true, artifacts };
}

export class IncludePathError extends Error {
  override readonly name = 'IncludePathError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

/** A path inside `root`, refusing `..` and absolute paths that would leave it. */
function within(root: string, path: string): string {
  const target = resolve(root, `.${sep}${path}`);
  if (target !== root && !target.startsWith(root + sep)) throw new IncludePathError(`path '${path}' leaves the artifact`);
  return target;
}

/** Copies each included artifact's `fromPath` into `checkout` at `toPath` (default: its name). */
export async function copyIncludes(checkout: string, includes: readonly GitRepositoryInclude[], artifacts: readonly Artifact[]): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kimbernetes-include-'));
  try {
    for (const [index, include] of includes.entries()) {
      const artifact = artifacts[index]!;
      const unpacked = join(work, String(index));
      await fetchArtifact(artifact.url, artifact.digest, unpacked);
      const from = within(unpacked, include.fromPath ?? '.');
      const to = within(checkout, include.toPath ?? include.repository.name);
      await stat(from).catch(() => {
        throw new IncludePathError(`fromPath '${include.fromPath}' not found in the artifact of '${include.repository.name}'`);
      });
      await rm(to, { recursive: true, force: true });
      await mkdir(join(to, '..'), { recursive: true });
      await cp(from, to, { recursive: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
