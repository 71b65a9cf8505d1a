// Fetching the dependencies a chart from Git or a Bucket lists but does not carry, as
// Flux's DependencyManager does (source-controller internal/helm/chart/dependency_manager.go):
// only those missing from charts/ (by alias or name), from Chart.lock when there is one;
// a local one (`file://…`, relative to the chart and confined to the source) copied in, a
// remote one chosen from its repository's index by the version constraint and downloaded.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import { isValuesMap } from '../domain/merge-values.js';
import { parseVersionConstraint, satisfiesConstraint } from '../domain/semver-constraint.js';
import { ChartFilesError, exists, insideRoot, readChartMetadata, type ChartMetadata } from './chart-files.js';
import { chartDownloadUrl, selectChartVersion } from './chart-version.js';
import { download, type DownloadOptions } from './http-download.js';
import { indexUrl, loadIndex } from './repository-index.js';

type Dependency = NonNullable<ChartMetadata['dependencies']>[number];

export interface DependencyOptions {
  /** the unpacked source, which local dependencies must not leave */
  sourceRoot: string;
  /** how to reach a repository URL: a HelmRepository's client with that URL, or anonymous */
  clientFor(repositoryUrl: string): Promise<DownloadOptions>;
  maxSize: number;
}

/** Adds the missing dependencies to charts/; returns how many it added. */
export async function buildMissingDependencies(chartDir: string, metadata: ChartMetadata, options: DependencyOptions): Promise<number> {
  const required = await requiredDependencies(chartDir, metadata);
  if (required.length === 0) return 0;
  const present = await presentSubcharts(join(chartDir, 'charts'));
  const missing = required.filter((dependency) => !present.has(dependency.alias ?? dependency.name) && !present.has(dependency.name));
  if (missing.length > 0) await mkdir(join(chartDir, 'charts'), { recursive: true });
  for (const dependency of missing) {
    const repository = dependency.repository ?? '';
    if (repository === '' || repository.startsWith('file://')) await addLocal(chartDir, dependency, options).catch(wrap(`failed to add local dependency '${dependency.name}'`));
    else await addRemote(chartDir, dependency, options).catch(wrap(`failed to add remote dependency '${dependency.name}'`));
  }
  return missing.length;
}

const wrap = (prefix: string) => (error: unknown) => {
  throw new ChartFilesError(`${prefix}: ${(error as Error).message}`);
};

async function requiredDependencies(chartDir: string, metadata: ChartMetadata): Promise<Dependency[]> {
  const lockPath = join(chartDir, 'Chart.lock');
  if (await exists(lockPath)) {
    const lock: unknown = parse(await readFile(lockPath, 'utf8'));
    if (isValuesMap(lock) && Array.isArray(lock.dependencies)) return lock.dependencies as Dependency[];
  }
  return metadata.dependencies ?? [];
}

/** The names of the subcharts charts/ holds, folders and packages alike. */
async function presentSubcharts(chartsDir: string): Promise<Set<string>> {
  const names = new Set<string>();
  const entries = await readdir(chartsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && (await exists(join(chartsDir, entry.name, 'Chart.yaml')))) names.add((await readChartMetadata(join(chartsDir, entry.name))).name);
    else if (entry.name.endsWith('.tgz')) names.add(entry.name.replace(/-v?\d+\.\d+\.\d+.*\.tgz$/, ''));
  }
  return names;
}

async function addLocal(chartDir: string, dependency: Dependency, options: DependencyOptions): Promise<void> {
  const reference = dependency.repository ?? '';
  const relative = reference.replace(/^file:\/\//, '');
  const path = insideRoot(options.sourceRoot, join(chartDir.slice(options.sourceRoot.length), relative));
  if (!path || !(await exists(join(path, 'Chart.yaml')))) throw new Error(`no chart found at '${relative}' (reference '${reference}')`);
  const metadata = await readChartMetadata(path).catch((error: Error) => {
    throw new Error(`failed to load chart from '${relative}' (reference '${reference}'): ${error.message}`);
  });
  if (dependency.version) {
    const constraint = parseVersionConstraint(dependency.version);
    if (!constraint) throw new Error(`invalid version/constraint format '${dependency.version}'`);
    const version = semver.parse(metadata.version.replace(/^v/, ''));
    if (!version || !satisfiesConstraint(version, constraint)) throw new Error(`can't get a valid version for constraint '${dependency.version}'`);
  }
  await cp(path, join(chartDir, 'charts', dependency.name), { recursive: true });
}

async function addRemote(chartDir: string, dependency: Dependency, options: DependencyOptions): Promise<void> {
  const repository = dependency.repository!;
  if (repository.startsWith('@') || repository.startsWith('alias:')) throw new Error(`aliased repository dependency is not supported: ${repository}`);
  if (!/^https?:\/\//.test(repository)) throw new Error(`invalid dependency repository URL: ${repository}`);
  const client = await options.clientFor(repository);
  const constraint = dependency.version ?? '';
  let index;
  let chart;
  try {
    index = loadIndex(await download(indexUrl(repository), client, { maxSize: 50 << 20, tooLarge: 'index exceeds the maximum index file size' }));
    chart = selectChartVersion(index, dependency.name, constraint);
  } catch (error) {
    throw new Error(`failed to get chart '${dependency.name}' version '${constraint}' from '${repository}': ${(error as Error).message}`, { cause: error });
  }
  let bytes: Buffer;
  try {
    bytes = await download(chartDownloadUrl(repository, chart), client, { maxSize: options.maxSize, tooLarge: `chart exceeds the maximum chart file size of ${options.maxSize} bytes` });
  } catch (error) {
    throw new Error(`chart download of version '${chart.version}' failed: ${(error as Error).message}`, { cause: error });
  }
  await writeFile(join(chartDir, 'charts', `${dependency.name}-${chart.version}.tgz`), bytes);
}
