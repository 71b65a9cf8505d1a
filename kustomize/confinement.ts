// Keeping a build inside its artifact. Flux builds with kustomize's load restrictions off
// (a file anywhere in the repository may be referenced: `../../base/app/repo.yaml`) on a
// file system that refuses anything outside the artifact. The kustomize binary has no
// such file system, so before it runs, every local path a kustomization names (and the
// kustomizations and generator configurations those name) is resolved and checked.
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kustomizationFileIn } from './generator.js';

export class ConfinementError extends Error {
  override readonly name = 'ConfinementError';
}

type Fields = Record<string, unknown>;

interface Reference {
  path: string;
  /** a kustomization folder (resources, components) or a plugin configuration (generators, transformers) to look into */
  follow?: 'kustomization' | 'plugin';
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : typeof value === 'string' ? [value] : []);
const objects = (value: unknown): Fields[] => (Array.isArray(value) ? value.filter((entry): entry is Fields => typeof entry === 'object' && entry !== null) : []);

/** The paths of a configMapGenerator or secretGenerator entry: `files` (`key=path` or `path`), `envs`, `env`. */
function generatorFiles(generator: Fields): string[] {
  return [...strings(generator.files).map((file) => file.slice(file.indexOf('=') + 1)), ...strings(generator.envs), ...strings(generator.env)];
}

/** Every file or folder a kustomization (or a builtin plugin's configuration) names. */
function referencesOf(fields: Fields): Reference[] {
  const references: Reference[] = [];
  for (const path of [...strings(fields.resources), ...strings(fields.bases), ...strings(fields.components)]) references.push({ path, follow: 'kustomization' });
  for (const path of [...strings(fields.generators), ...strings(fields.transformers), ...strings(fields.validators)]) references.push({ path, follow: 'plugin' });
  const plain = [
    ...strings(fields.crds),
    ...strings(fields.configurations),
    ...strings(fields.patchesStrategicMerge),
    ...strings(fields.paths),
    ...strings(fields.path),
    ...objects(fields.patches).flatMap((patch) => strings(patch.path)),
    ...objects(fields.patchesJson6902).flatMap((patch) => strings(patch.path)),
    ...objects(fields.replacements).flatMap((replacement) => strings(replacement.path)),
    ...[...objects(fields.configMapGenerator), ...objects(fields.secretGenerator)].flatMap(generatorFiles),
    ...generatorFiles(fields),
    ...strings((fields.openapi as Fields | undefined)?.path),
    ...strings((fields.helmGlobals as Fields | undefined)?.chartHome),
    ...strings((fields.helmGlobals as Fields | undefined)?.configHome),
    ...strings(fields.chartHome),
    ...strings(fields.valuesFile),
    ...objects(fields.helmCharts).flatMap((chart) => [...strings(chart.valuesFile), ...strings(chart.additionalValuesFiles)]),
  ];
  for (const path of plain) references.push({ path });
  return references;
}

/** Inline content (a patch or plugin configuration written in place) names no file. */
function isInline(path: string): boolean {
  return path.includes('\n') || path.trim() === '';
}

/** A remote base or component, which kustomize fetches: a URL, a git address, or `host/org/repo//path?ref=v1`. */
function isRemote(path: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.startsWith('git@') || path.startsWith('github.com/') || path.startsWith('gh:') || path.startsWith('git::')) return true;
  return /\?(ref|version|timeout|submodules)=/.test(path);
}

async function existing(path: string): Promise<{ real: string; directory: boolean } | undefined> {
  try {
    const real = await realpath(path);
    return { real, directory: (await stat(real)).isDirectory() };
  } catch {
    return undefined;
  }
}

/**
 * Resolves every local path the kustomization in `dir` names, transitively, and throws a
 * ConfinementError naming the first one outside `root` (or, without `remoteBases`, the
 * first remote one). Paths that do not exist are left to kustomize to report.
 */
export async function checkConfinement(root: string, dir: string, { remoteBases = true }: { remoteBases?: boolean } = {}): Promise<void> {
  const realRoot = await realpath(root);
  const inside = (path: string) => path === realRoot || path.startsWith(realRoot + sep);
  const shown = (path: string) => relative(realRoot, path).split(sep).join('/');
  const seen = new Set<string>();
  const queue: { file: string; fields: Fields[] }[] = [];

  const enqueueFile = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const documents = parseAllDocuments(await readFile(file, 'utf8'));
    // A file that does not parse is left to kustomize, which says where it breaks.
    const parsed = (Array.isArray(documents) ? documents : []).filter((document) => document.errors.length === 0).map((document) => document.toJS() as unknown);
    queue.push({ file, fields: parsed.filter((value): value is Fields => typeof value === 'object' && value !== null) });
  };
  const enqueueKustomization = async (folder: string) => {
    const file = await kustomizationFileIn(folder);
    if (file) await enqueueFile(await realpath(file));
  };

  await enqueueKustomization(await realpath(dir));
  while (queue.length > 0) {
    const { file, fields } = queue.shift()!;
    for (const reference of fields.flatMap(referencesOf)) {
      if (isInline(reference.path)) continue;
      if (isRemote(reference.path)) {
        // Flux's --no-remote-bases: what is built comes from the source alone.
        if (!remoteBases) throw new ConfinementError(`${shown(file)}: '${reference.path}' is a remote base, and remote bases are not allowed (--no-remote-bases)`);
        continue;
      }
      const target = isAbsolute(reference.path) ? reference.path : resolve(dirname(file), reference.path);
      const found = await existing(target);
      const real = found?.real ?? target;
      if (!inside(real)) throw new ConfinementError(`${shown(file)}: '${reference.path}' is outside the artifact: a build may read any file of its source, but none beyond it`);
      if (!found || !reference.follow) continue;
      if (found.directory) await enqueueKustomization(found.real);
      else if (reference.follow === 'plugin') await enqueueFile(found.real);
    }
  }
}
