// A Helm repository's index, as Flux's source-controller fetches and stores it
// (internal/helm/repository/chart_repository.go): `<url>/index.yaml` downloaded within
// the timeout and a 50 MiB limit, its revision the sha256 of the bytes as served, then
// loaded (JSON or YAML), chart versions that do not validate dropped, each chart's
// versions sorted newest first, and stored as JSON.
import { createHash } from 'node:crypto';
import semver from 'semver';
import { parse } from 'yaml';
import { download, DownloadFailure, type DownloadOptions } from './http-download.js';

export type { DownloadOptions } from './http-download.js';

/** Flux's default --helm-index-max-size. */
export const maxIndexSize = 50 << 20;

/** Why an index could not be had: `fetch` (Flux's reason Failed) or `load` (IndexationFailed). */
export class IndexError extends Error {
  override readonly name = 'IndexError';
  constructor(
    message: string,
    readonly stage: 'fetch' | 'load',
  ) {
    super(message);
  }
}

/** The URL of a repository's index: Flux joins `index.yaml` to the path, keeping the query. */
export function indexUrl(repositoryUrl: string): string {
  const url = new URL(repositoryUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/index.yaml`;
  return url.toString();
}

/** The index's bytes as served. */
export async function downloadIndex(repositoryUrl: string, options: DownloadOptions): Promise<Buffer> {
  const fail = (cause: string) => new IndexError(`failed to fetch Helm repository index: failed to cache index to temporary file: ${cause}`, 'fetch');
  try {
    return await download(indexUrl(repositoryUrl), options, { maxSize: maxIndexSize, tooLarge: `index exceeds the maximum index file size of ${maxIndexSize} bytes` });
  } catch (error) {
    if (error instanceof DownloadFailure) throw fail(error.message);
    throw error;
  }
}

/** The revision Flux gives an index: the digest of its bytes as served. */
export function indexRevision(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

interface ChartVersion {
  name?: unknown;
  version?: unknown;
  apiVersion?: unknown;
  [field: string]: unknown;
}

export interface RepositoryIndex {
  apiVersion: string;
  generated?: unknown;
  entries: Record<string, ChartVersion[]>;
  [field: string]: unknown;
}

/** Loads an index as Helm does, or throws an IndexError in Flux's words. */
export function loadIndex(bytes: Buffer): RepositoryIndex {
  const fail = (cause: string) => new IndexError(`failed to load Helm repository from index YAML: failed to load index: ${cause}`, 'load');
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw fail('empty index.yaml file');
  let index: unknown;
  try {
    index = parse(text);
  } catch (error) {
    throw fail((error as Error).message.split('\n')[0]!);
  }
  if (!index || typeof index !== 'object' || Array.isArray(index)) throw fail('the index is not a mapping');
  const loaded = index as Partial<RepositoryIndex>;
  if (!loaded.apiVersion) throw fail('no API version specified');
  const entries: Record<string, ChartVersion[]> = {};
  for (const [chart, versions] of Object.entries(loaded.entries ?? {})) {
    if (!Array.isArray(versions)) continue;
    entries[chart] = versions
      .filter((version): version is ChartVersion => isValidVersion(version))
      .map((version) => ({ ...version, apiVersion: version.apiVersion || 'v1' }))
      .sort(newestFirst);
  }
  return { ...loaded, apiVersion: loaded.apiVersion, entries };
}

/** Helm drops a chart version whose metadata does not validate: a name and a semver version are required. */
function isValidVersion(version: unknown): boolean {
  if (!version || typeof version !== 'object') return false;
  const { name, version: number } = version as ChartVersion;
  return typeof name === 'string' && name !== '' && typeof number === 'string' && semver.valid(number.replace(/^v/, ''), { loose: true }) !== null;
}

function newestFirst(a: ChartVersion, b: ChartVersion): number {
  return semver.rcompare(String(a.version).replace(/^v/, ''), String(b.version).replace(/^v/, ''), { loose: true });
}

/** The stored form, JSON as Flux writes it (two-space indent). */
export function indexJson(index: RepositoryIndex): string {
  return JSON.stringify(index, null, 2);
}
