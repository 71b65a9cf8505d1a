// Building a Kustomization's manifests with the real kustomize binary, as Flux does: the
// path's kustomization file is generated when it has none and takes the Kustomization's
// own patches, images, prefixes, components and targetNamespace (generator.ts); load
// restrictions are off, so a file anywhere in the artifact may be referenced, and nothing
// outside it may (confinement.ts). spec.path may not leave the artifact either.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { KustomizationSpec } from '../schemas/types.js';
import { runTool } from '../common/tool-runner.js';
import { checkConfinement, ConfinementError } from './confinement.js';
import { GeneratorError, kustomizationFiles, writeFluxKustomization, type GeneratorSpec } from './generator.js';

export class BuildError extends Error {
  override readonly name: string = 'BuildError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

/** spec.path, or a component, is not in the artifact. */
export class PathNotFoundError extends BuildError {
  override readonly name = 'PathNotFoundError';
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
  if (!(await exists(target))) throw new PathNotFoundError(`path '${path}' not found in the artifact`);
  const real = await realpath(target);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new BuildError(`path '${path}' leaves the artifact`);
  return real;
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
  /** the unpacked artifact; the build writes the path's kustomization file into it */
  root: string;
  spec: Pick<KustomizationSpec, 'path'> & GeneratorSpec;
  kustomize: string;
  /** stops kustomize when aborted: the reconcile was cancelled or ran out of spec.timeout */
  signal?: AbortSignal;
  /** Flux's --no-remote-bases */
  noRemoteBases?: boolean;
}

/** The built manifests, as one multi-document YAML text. */
export async function build({ root, spec, kustomize, signal, noRemoteBases = false }: BuildRequest): Promise<string> {
  const dir = await pathWithin(root, spec.path ?? './');
  const realRoot = await realpath(root);
  // Messages name the artifact's own paths, not where the worker unpacked it.
  const inArtifact = (text: string) => text.replaceAll(`${realRoot}${sep}`, '').replaceAll(realRoot, '.');
  try {
    await writeFluxKustomization(dir, spec);
    await checkConfinement(realRoot, dir, { remoteBases: !noRemoteBases });
  } catch (error) {
    if (error instanceof GeneratorError || error instanceof ConfinementError) throw new BuildError(`kustomize build failed: ${inArtifact(error.message)}`);
    throw error;
  }
  try {
    const { stdout } = await runTool(kustomize, ['build', dir, '--load-restrictor', 'LoadRestrictionsNone'], { maxBuffer: 256 << 20, signal });
    return stdout;
  } catch (error) {
    if (signal?.aborted) throw new BuildError('kustomize build stopped: the reconcile was cancelled or exceeded spec.timeout');
    const stderr = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new BuildError(`kustomize build failed: ${inArtifact(stderr)}`);
  }
}
