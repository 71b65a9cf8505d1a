// The kustomization file a Flux build runs, as Flux's generator writes it (fluxcd/pkg
// kustomize): a path without one gets one listing its manifests, and the Kustomization's
// own spec fields are written into the path's file itself, not layered on top. So a
// component gets the path's namespace and prefix, `images` replace the file's entries of
// the same name, and kustomize's errors name the user's files.
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { KustomizationSpec } from '../schemas/types.js';

/** The names kustomize recognises, in the order it looks for them. */
export const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export type GeneratorSpec = Pick<KustomizationSpec, 'patches' | 'images' | 'namePrefix' | 'nameSuffix' | 'targetNamespace' | 'components' | 'ignoreMissingComponents'>;

export class GeneratorError extends Error {
  override readonly name = 'GeneratorError';
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((found) => found.isFile(), () => false);
}

/** The kustomization file in `dir`, if it has one. */
export async function kustomizationFileIn(dir: string): Promise<string | undefined> {
  for (const name of kustomizationFiles) if (await isFile(join(dir, name))) return join(dir, name);
  return undefined;
}

/**
 * Flux's generated resources: every `.yaml` and `.yml` file below `dir` (other files,
 * a `renovate.json` say, are not manifests), and each folder holding a kustomization
 * file as one resource, not descended into. In byte order, as Go walks a folder.
 */
async function scanManifests(dir: string, base = dir): Promise<string[]> {
  const resources: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const resource = `./${relative(base, path).split(sep).join('/')}`;
    if (entry.isDirectory()) {
      if (await kustomizationFileIn(path)) resources.push(resource);
      else resources.push(...(await scanManifests(path, base)));
    } else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) {
      resources.push(resource);
    }
  }
  return resources;
}

/**
 * Whether a component path is a local, relative one (fluxcd/pkg's IsLocalRelativePath):
 * not absolute, and none of the remote forms kustomize would fetch.
 */
export function isLocalRelativePath(path: string): boolean {
  if (isAbsolute(path)) return false;
  return !['https://', 'http://', 'ssh:', 'git::', 'gh:', 'github.com', 'git@', 'file://'].some((prefix) => path.startsWith(prefix));
}

/**
 * Writes the kustomization file of `dir` a Flux build runs: generated when missing, with
 * the spec's targetNamespace, namePrefix, nameSuffix, patches, components and images
 * merged in as Flux merges them. Returns the file written.
 */
export async function writeFluxKustomization(dir: string, spec: GeneratorSpec): Promise<string> {
  let file = await kustomizationFileIn(dir);
  if (!file) {
    file = join(dir, 'kustomization.yaml');
    await writeFile(file, stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: await scanManifests(dir) }));
  }
  const document = parseDocument(await readFile(file, 'utf8'));
  if (document.errors.length > 0) throw new GeneratorError(`${relative(dir, file)}: ${document.errors[0]!.message}`);
  const kustomization = (document.toJS() ?? {}) as Record<string, unknown>;
  if (typeof kustomization !== 'object' || Array.isArray(kustomization)) throw new GeneratorError(`${relative(dir, file)}: not a kustomization`);

  if (spec.targetNamespace) kustomization.namespace = spec.targetNamespace;
  if (spec.namePrefix) kustomization.namePrefix = spec.namePrefix;
  if (spec.nameSuffix) kustomization.nameSuffix = spec.nameSuffix;
  if (spec.patches?.length) kustomization.patches = [...asList(kustomization.patches), ...spec.patches];
  for (const component of spec.components ?? []) {
    if (!isLocalRelativePath(component)) throw new GeneratorError(`component path '${component}' must be local and relative`);
    if (spec.ignoreMissingComponents && !(await stat(join(dir, component)).then(() => true, () => false))) continue;
    kustomization.components = [...asList(kustomization.components), component];
  }
  if (spec.images?.length) {
    const images = asList(kustomization.images) as { name?: string }[];
    for (const image of spec.images) {
      // An entry of the same name is replaced whole, as Flux does, not merged field by field.
      const replacement = Object.fromEntries(Object.entries({ name: image.name, newName: image.newName, newTag: image.newTag, digest: image.digest }).filter(([, value]) => value));
      const index = images.findIndex((existing) => existing.name === image.name);
      if (index >= 0) images[index] = replacement;
      else images.push(replacement);
    }
    kustomization.images = images;
  }
  // A new file renamed over the old one: the checkout hard-links the artifact every
  // build of this worker shares, which writing in place would change for all of them.
  await writeFile(`${file}.flux`, stringify(kustomization));
  await rename(`${file}.flux`, file);
  return file;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? [...(value as unknown[])] : [];
}
