// Building a Kustomization's manifests with the real kustomize binary, as Flux does: the
// path gets a generated kustomization.yaml when it has none, and the Kustomization's own
// patches, images, prefixes, components and targetNamespace are layered on top through a
// wrapper kustomization. Paths may not leave the artifact, by `..` or by symlink.
import { mkdtemp, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import type { KustomizationSpec } from '../schemas/types.js';
import { runTool } from '../common/tool-runner.js';

const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export class BuildError extends Error {
  override readonly name = 'BuildError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * `path`, relative to `base` (default: the root), resolved inside `root` with symlinks
 * followed; a BuildError when it leaves the root.
 */
export async function pathWithin(root: string, path: string, base?: string): Promise<string> {
  const realRoot = await realpath(root);
  // Like Flux's secure join, an absolute spec.path counts from the artifact's root.
  const target = base ? resolve(base, path) : resolve(realRoot, `.${sep}${path}`);
  if (!(await exists(target))) throw new BuildError(`path '${path}' not found in the artifact`);
  const real = await realpath(target);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new BuildError(`path '${path}' leaves the artifact`);
  return real;
}

async function hasKustomization(dir: string): Promise<boolean> {
  for (const file of kustomizationFiles) if (await exists(join(dir, file))) return true;
  return false;
}

/** Flux's generated kustomization: every manifest below `dir`, and sub-kustomizations as folders. */
async function generatedResources(dir: string, base = dir): Promise<string[]> {
  const resources: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.')) continue;
      if (await hasKustomization(path)) resources.push(relative(base, path));
      else resources.push(...(await generatedResources(path, base)));
    } else if (/\.(ya?ml|json)$/.test(entry.name)) {
      resources.push(relative(base, path));
    }
  }
  return resources;
}

/**
 * The folder a build reads nothing outside of, relative to the artifact's root, when
 * there is one: a path of plain manifests, no kustomization file at or below it, no
 * symlink, no components. Its generated kustomization lists files below it only, so a
 * build needs a copy of that folder alone, not of the whole artifact (a fleet's
 * repository holds thousands of files). Undefined when the whole artifact may be read.
 */
export async function selfContainedPath(root: string, spec: Pick<KustomizationSpec, 'path' | 'components'>): Promise<string | undefined> {
  if (spec.components?.length) return undefined;
  let dir: string;
  try {
    dir = await pathWithin(root, spec.path ?? './');
  } catch {
    return undefined; // the build of the whole artifact says what is wrong
  }
  const realRoot = await realpath(root);
  if (dir === realRoot) return undefined;
  const plain = async (folder: string): Promise<boolean> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.isSymbolicLink() || kustomizationFiles.includes(entry.name)) return false;
      if (entry.isDirectory() && !(await plain(join(folder, entry.name)))) return false;
    }
    return true;
  };
  return (await plain(dir)) ? relative(realRoot, dir) : undefined;
}

export interface BuildRequest {
  /** the unpacked artifact */
  root: string;
  spec: Pick<KustomizationSpec, 'path' | 'patches' | 'images' | 'namePrefix' | 'nameSuffix' | 'targetNamespace' | 'components' | 'commonMetadata'>;
  kustomize: string;
  /** stops kustomize when aborted: the reconcile was cancelled or ran out of spec.timeout */
  signal?: AbortSignal;
}

/** The built manifests, as one multi-document YAML text. */
export async function build({ root, spec, kustomize, signal }: BuildRequest): Promise<string> {
  const dir = await pathWithin(root, spec.path ?? './');
  if (!(await hasKustomization(dir))) {
    await writeFile(join(dir, 'kustomization.yaml'), stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: await generatedResources(dir) }));
  }
  // Components are named relative to the path, and must stay inside the artifact too.
  const components = await Promise.all((spec.components ?? []).map(async (component) => pathWithin(root, component, dir)));
  // Beside the artifact, not in it: kustomize refuses an overlay that lies inside the
  // folder it builds (a path of `./` would be a cycle).
  const wrapper = await mkdtemp(join(dirname(await realpath(root)), '.kimbernetes-build-'));
  try {
    const overlay: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [relative(wrapper, dir) || '.'] };
    if (spec.targetNamespace) overlay.namespace = spec.targetNamespace;
    if (spec.namePrefix) overlay.namePrefix = spec.namePrefix;
    if (spec.nameSuffix) overlay.nameSuffix = spec.nameSuffix;
    if (spec.patches?.length) overlay.patches = spec.patches;
    if (spec.images?.length) overlay.images = spec.images;
    if (components.length) overlay.components = components.map((component) => relative(wrapper, component));
    if (spec.commonMetadata?.labels) overlay.labels = [{ pairs: spec.commonMetadata.labels, includeSelectors: false }];
    if (spec.commonMetadata?.annotations) overlay.commonAnnotations = spec.commonMetadata.annotations;
    await writeFile(join(wrapper, 'kustomization.yaml'), stringify(overlay));
    try {
      const { stdout } = await runTool(kustomize, ['build', wrapper], { maxBuffer: 256 << 20, signal });
      return stdout;
    } catch (error) {
      if (signal?.aborted) throw new BuildError('kustomize build stopped: the reconcile was cancelled or exceeded spec.timeout');
      const stderr = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new BuildError(`kustomize build failed: ${stderr.replaceAll(wrapper, '').replaceAll(root, '')}`);
    }
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}
