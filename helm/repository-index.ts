// A Helm repository's index, as Flux's source-controller fetches and stores it
// (internal/helm/repository/chart_repository.go): `<url>/index.yaml` downloaded within
// the timeout and a 50 MiB limit, its revision the sha256 of the bytes as served, then
// loaded (JSON or YAML), chart versions that do not validate dropped, each chart's
// versions sorted newest first, and stored as JSON.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import semver from 'semver';
import { parse } from 'yaml';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';

/** Flux's default --helm-index-max-size. */
export const maxIndexSize = 50 << 20;
const maxRedirects = 10;

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

export interface DownloadOptions extends HelmClientOptions {
  timeoutMs: number;
  /** send the credentials to other hosts a redirect leads to (spec.passCredentials) */
  passCredentials?: boolean;
  signal?: AbortSignal;
}

/** The index's bytes as served. */
export async function downloadIndex(repositoryUrl: string, options: DownloadOptions): Promise<Buffer> {
  const target = indexUrl(repositoryUrl);
  const fail = (cause: string) => new IndexError(`failed to fetch Helm repository index: failed to cache index to temporary file: ${cause}`, 'fetch');
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const origin = new URL(target).host;
  let href = target;
  for (let redirects = 0; ; redirects++) {
    let response: IncomingMessage;
    try {
      response = await get(href, { ...options, sendCredentials: options.passCredentials === true || new URL(href).host === origin }, signal);
    } catch (error) {
      const reason = deadline.aborted ? `context deadline exceeded (Client.Timeout of ${options.timeoutMs / 1000}s exceeded)` : (error as Error).message;
      throw fail(`Get "${href}": ${reason}`);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location && redirects < maxRedirects) {
      response.resume();
      href = new URL(location, href).toString();
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw fail(`failed to fetch ${href} : ${status} ${response.statusMessage ?? ''}`.trimEnd());
    }
    return readLimited(response, signal, () => fail(`index exceeds the maximum index file size of ${maxIndexSize} bytes`), (error) => fail(`Get "${href}": ${error.message}`));
  }
}

function get(href: string, options: DownloadOptions & { sendCredentials: boolean }, signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(href);
  const headers: Record<string, string> = { 'User-Agent': 'kimbernetes-source-controller' };
  // Helm sends basic auth only when both halves are set.
  if (options.sendCredentials && options.basicAuth?.username && options.basicAuth.password) {
    headers.Authorization = `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  }
  const tls = options.tls;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers,
        signal,
        // Flux adds the CA to the system's, not in place of them.
        ...(url.protocol === 'https:' && tls ? { ca: tls.ca ? [...rootCertificates, tls.ca] : undefined, cert: tls.cert, key: tls.key } : {}),
      },
      resolve,
    );
    request.on('error', reject);
    request.end();
  });
}

function readLimited(response: IncomingMessage, signal: AbortSignal, tooLarge: () => Error, failed: (error: Error) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxIndexSize) {
        response.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', (error) => reject(failed(signal.aborted ? new Error('context deadline exceeded') : error)));
  });
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
