// A chart's files on the worker: unpacking a downloaded package, reading Chart.yaml as
// Helm validates it, merging values files into values.yaml, and packaging the chart again
// with the real `helm package` (so the result is exactly what Helm itself would write).
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import semver from 'semver';
import { extract } from 'tar';
import { regularEntriesOnly } from '../artifacts/archive.js';
import { parse, stringify } from 'yaml';
import { runTool, ToolFailure } from '../common/tool-runner.js';
import { isValuesMap, mergeValues, type Values } from '../domain/merge-values.js';
import { requireBinary } from '../tools/paths.js';

export interface ChartMetadata {
  name: string;
  version: string;
  dependencies?: { name: string; version?: string; repository?: string; alias?: string }[];
  [field: string]: unknown;
}

/** Why a chart's files could not be used; the caller words it as Flux's build error. */
export class ChartFilesError extends Error {
  override readonly name = 'ChartFilesError';
}

/** Unpacks a chart package into `destination`; the chart's own folder. */
export async function unpackChart(archive: string, destination: string): Promise<string> {
  await mkdir(destination, { recursive: true });
  try {
    // A link could point at the worker's own files, which `helm package` would then follow into the chart.
    await extract({ file: archive, cwd: destination, strict: true, filter: regularEntriesOnly });
  } catch (error) {
    throw new ChartFilesError(`failed to load chart archive: ${(error as Error).message}`);
  }
  const entries = (await readdir(destination, { withFileTypes: true })).filter((entry) => entry.isDirectory());
  for (const entry of entries) {
    if (await exists(join(destination, entry.name, 'Chart.yaml'))) return join(destination, entry.name);
  }
  throw new ChartFilesError("no 'Chart.yaml' found");
}

/** A chart package's Chart.yaml, read from a scratch folder that goes afterwards; the package is handed back. */
export async function loadPackagedChart(bytes: Buffer): Promise<{ metadata: ChartMetadata; package: Buffer }> {
  const scratch = await mkdtemp(join(tmpdir(), 'chart-'));
  try {
    const archive = join(scratch, 'chart.tgz');
    await writeFile(archive, bytes);
    return { metadata: await readChartMetadata(await unpackChart(archive, join(scratch, 'unpacked'))), package: bytes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Chart.yaml of the chart in `dir`, checked as Helm's Metadata.Validate checks it. */
export async function readChartMetadata(dir: string): Promise<ChartMetadata> {
  let text: string;
  try {
    text = await readFile(join(dir, 'Chart.yaml'), 'utf8');
  } catch {
    throw new ChartFilesError("no 'Chart.yaml' found");
  }
  let metadata: unknown;
  try {
    metadata = parse(text);
  } catch (error) {
    throw new ChartFilesError(`cannot load 'Chart.yaml': ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isValuesMap(metadata)) throw new ChartFilesError("cannot load 'Chart.yaml': not a mapping");
  const { name, version } = metadata;
  if (typeof name !== 'string' || name === '') throw new ChartFilesError('validation: chart.metadata.name is required');
  if (typeof version !== 'string' || version === '') throw new ChartFilesError('validation: chart.metadata.version is required');
  if (!semver.valid(version.replace(/^v/, ''))) throw new ChartFilesError(`validation: chart.metadata.version "${version}" is invalid`);
  return metadata as ChartMetadata;
}

/** A path inside `root`, as Flux's securejoin confines it; undefined when it would leave. */
export function insideRoot(root: string, path: string): string | undefined {
  const joined = resolve(root, path.replace(/^\/+/, ''));
  return joined === root || joined.startsWith(root + sep) ? joined : undefined;
}

/**
 * Merges `files` in order (later ones win). `resolveFile` gives each file's path, or a
 * message when there is none; missing files are skipped when `ignoreMissing`. Returns the
 * merged values and the files that took part.
 */
export async function mergeValuesFiles(
  files: readonly string[],
  resolveFile: (file: string) => Promise<{ path: string } | { values: Values } | { missing: string }>,
  ignoreMissing: boolean,
): Promise<{ values: Values; merged: string[] }> {
  let values: Values = {};
  const merged: string[] = [];
  for (const file of files) {
    const found = await resolveFile(file);
    if ('missing' in found) {
      if (ignoreMissing) continue;
      throw new ChartFilesError(found.missing);
    }
    let next: unknown;
    if ('values' in found) next = found.values;
    else {
      try {
        next = parse(await readFile(found.path, 'utf8')) ?? {};
      } catch (error) {
        throw new ChartFilesError(`unmarshaling values from '${file}' failed: ${(error as Error).message.split('\n')[0]}`);
      }
      if (!isValuesMap(next)) throw new ChartFilesError(`unmarshaling values from '${file}' failed: not a mapping`);
    }
    values = mergeValues(values, next as Values);
    merged.push(file);
  }
  return { values, merged };
}

/** The chart's own default values (values.yaml), empty when it has none. */
export async function chartDefaultValues(dir: string): Promise<Values | undefined> {
  const path = join(dir, 'values.yaml');
  if (!(await exists(path))) return undefined;
  const values: unknown = parse(await readFile(path, 'utf8'));
  return isValuesMap(values) ? values : {};
}

/** Replaces the chart's values.yaml with `values`, keys sorted as Flux's YAML encoder writes them. */
export async function overwriteDefaultValues(dir: string, values: Values): Promise<void> {
  await writeFile(join(dir, 'values.yaml'), stringify(values, { sortMapEntries: true }));
}

/** `helm package` of the chart in `dir` at `version`, into `destination`: the package's path. */
export async function packageChart(dir: string, version: string, destination: string, options: { home: string; signal?: AbortSignal }): Promise<string> {
  await mkdir(destination, { recursive: true });
  const env = { ...process.env, HELM_CACHE_HOME: join(options.home, 'cache'), HELM_CONFIG_HOME: join(options.home, 'config'), HELM_DATA_HOME: join(options.home, 'data') };
  try {
    await runTool(requireBinary('helm'), ['package', dir, '--version', version, '--destination', destination], { env, signal: options.signal });
  } catch (error) {
    if (error instanceof ToolFailure) throw new ChartFilesError(error.stderr.trim().replace(/^Error: /, '') || error.message);
    throw error;
  }
  const packaged = (await readdir(destination)).find((name) => name.endsWith('.tgz'));
  if (!packaged) throw new ChartFilesError(`helm package wrote no package for ${relative(options.home, dir)}`);
  return join(destination, packaged);
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
