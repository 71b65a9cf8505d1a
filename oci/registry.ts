// An OCI registry over the distribution API, as the Go clients Flux uses reach it: Helm's
// registry client (ORAS) for the charts of OCI HelmRepositories, go-containerregistry for
// OCIRepository artifacts. Both list a repository's tags (`/v2/<name>/tags/list`, all
// pages), read manifests and blobs (checked against their digests), and answer a 401 as
// its challenge asks: a Bearer token from the realm (with the credentials, when there are
// any, as Basic auth) or Basic auth itself. They differ in the scheme (Helm: plain HTTP
// only when `insecure`; go-containerregistry: HTTPS first, then plain HTTP for an
// insecure or local registry) and in the words of their errors.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';
import { readBody, sendGet, type ClientTls } from '../helm/http-get.js';
import { chartLayer, goErrorDetail, mayServePlainHttp, nextPageUrl, OciMediaType, parseAuthChallenge, tagsOfPage } from '../domain/oci-reference.js';

const maxRedirects = 10;
/** a manifest or a page of tags is small; anything bigger is not one */
const maxDocumentSize = 4 << 20;

/** Every manifest type a reference may name: go-containerregistry's remote.Get asks for these. */
const manifestTypes = [OciMediaType.imageManifest, OciMediaType.imageIndex, OciMediaType.dockerManifest, OciMediaType.dockerManifestList].join(', ');

export interface OciRegistryOptions extends HelmClientOptions {
  /** spec.insecure: plain HTTP for Helm; for go-containerregistry, plain HTTP allowed and a certificate not verified */
  insecure: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  /** whose behaviour and words to follow; Helm's when absent */
  client?: 'helm' | 'go-containerregistry';
  tls?: NonNullable<ClientTls>;
}

/** Why a registry request failed, in the words of the Go client followed: the request and the registry's answer. */
export class OciRegistryError extends Error {
  override readonly name = 'OciRegistryError';
  constructor(
    message: string,
    /** the HTTP status, when the registry answered */
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  url: string;
  method: 'GET' | 'HEAD';
  /** the host first asked, before any redirect */
  origin: string;
}

/** A manifest read by its digest. */
export interface OciManifest {
  digest: string;
  mediaType?: string;
  /** the manifest as JSON */
  content: unknown;
}

export interface OciRegistryClient {
  /** every tag of `repository`, as the registry lists them */
  tags(repository: string): Promise<string[]>;
  /** the digest of the manifest a tag names: HEAD first, GET when HEAD tells nothing, as go-containerregistry's remote.Head and remote.Get */
  digestOf(repository: string, tag: string): Promise<string>;
  /** the manifest `reference` (a tag or a digest) names, its digest checked when it was named by one */
  manifest(repository: string, reference: string): Promise<OciManifest>;
  /** the blob `digest` written to `destination`, checked against its digest; `tooLarge` past `maxSize` bytes */
  downloadBlob(repository: string, digest: string, destination: string, limit: { maxSize: number; tooLarge: string }): Promise<void>;
  /** the chart package (.tgz) tagged `tag` in `repository` */
  pullChart(repository: string, tag: string, limit: { maxSize: number; tooLarge: string }): Promise<Buffer>;
}

export function ociRegistryClient(host: string, options: OciRegistryOptions): OciRegistryClient {
  const containerRegistry = options.client === 'go-containerregistry';
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const { basicAuth } = options;
  const basic = basicAuth && basicAuth.username && basicAuth.password ? `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}` : undefined;
  /** the Authorization each repository's requests carry once a challenge was answered */
  const authorizations = new Map<string, string>();
  let base: Promise<string> | undefined;

  /**
   * The registry's base URL. go-containerregistry pings `/v2/` first, over HTTPS, then
   * over plain HTTP for an insecure or local registry; any answer (a 401 too) will do,
   * and when none comes the error names every scheme tried.
   */
  function baseUrl(): Promise<string> {
    if (!containerRegistry) return Promise.resolve(`${options.insecure ? 'http' : 'https'}://${host}`);
    base ??= (async () => {
      const schemes = options.insecure || mayServePlainHttp(host) ? ['https', 'http'] : ['https'];
      const unreachable: string[] = [];
      for (const scheme of schemes) {
        try {
          await send('GET', `${scheme}://${host}/v2/`, headersFor(undefined, undefined), maxDocumentSize);
          return `${scheme}://${host}`;
        } catch (error) {
          if (!(error instanceof OciRegistryError) || error.status !== undefined) throw error;
          unreachable.push(error.message);
        }
      }
      throw new OciRegistryError(unreachable.join('; '));
    })();
    return base;
  }

  /** `path` on the registry, or an absolute URL it gave (a next page) */
  async function request(method: 'GET' | 'HEAD', repository: string, path: string, accept: string | undefined, maxSize: number, tooLarge?: string): Promise<Response> {
    const href = /^https?:\/\//.test(path) ? path : `${await baseUrl()}${path}`;
    // Credentials go to the registry only, not to another host a next page names.
    const ours = new URL(href).host === host;
    let response = await send(method, href, headersFor(accept, ours ? authorizations.get(repository) : undefined), maxSize, tooLarge);
    if (response.status === 401 && ours && !authorizations.has(repository)) {
      const authorization = await answerChallenge(repository, response);
      authorizations.set(repository, authorization);
      response = await send(method, href, headersFor(accept, authorization), maxSize, tooLarge);
    }
    return response;
  }

  async function answerChallenge(repository: string, response: Response): Promise<string> {
    const header = response.headers['www-authenticate'];
    const challenge = parseAuthChallenge(Array.isArray(header) ? header[0]! : (header ?? ''));
    if (challenge?.scheme === 'basic' && basic) return basic;
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) throw failure(response);
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new OciRegistryError(`${response.method} "${shown(response.url, response.origin)}": the registry's challenge names an invalid realm`);
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope ?? `repository:${repository}:pull`);
    const token = await send('GET', realm.toString(), headersFor('application/json', basic), maxDocumentSize);
    if (token.status !== 200) throw failure(token);
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(token.body.toString('utf8')) as typeof body;
    } catch {
      throw new OciRegistryError(`GET "${shown(token.url, token.origin)}": the token server's answer is not JSON`);
    }
    const value = body.token || body.access_token;
    if (!value) throw new OciRegistryError(`GET "${shown(token.url, token.origin)}": the token server's answer holds no token`);
    return `Bearer ${value}`;
  }

  function send(method: 'GET' | 'HEAD', href: string, headers: Record<string, string>, maxSize: number, tooLarge?: string): Promise<Response> {
    return sendFollowing(method, href, headers, maxSize, tooLarge, options, signal, timedOut);
  }

  function failure(response: Response): OciRegistryError {
    return containerRegistry ? containerRegistryFailure(response) : orasFailure(response);
  }

  async function manifest(repository: string, reference: string): Promise<OciManifest> {
    const path = `/v2/${repository}/manifests/${referencePath(reference)}`;
    const response = await request('GET', repository, path, containerRegistry ? manifestTypes : OciMediaType.imageManifest, maxDocumentSize);
    if (response.status === 404 && !containerRegistry) throw new OciRegistryError(`${host}/${repository}:${reference}: not found`, 404);
    if (response.status !== 200) throw failure(response);
    const digest = sha256Of(response.body);
    if (reference.startsWith('sha256:') && digest !== reference) throw new OciRegistryError(`manifest digest: "${digest}" does not match requested digest: "${reference}" for "${host}/${repository}@${reference}"`);
    const content = parseJson(response);
    const mediaType = (content as { mediaType?: unknown } | null)?.mediaType;
    const header = response.headers['content-type'];
    return { digest, content, mediaType: typeof mediaType === 'string' ? mediaType : typeof header === 'string' ? header.split(';')[0] : undefined };
  }

  return {
    async tags(repository) {
      const tags: string[] = [];
      let path: string | undefined = `/v2/${repository}/tags/list${containerRegistry ? '?n=1000' : ''}`;
      while (path) {
        const page = await request('GET', repository, path, 'application/json', maxDocumentSize);
        if (page.status !== 200) throw failure(page);
        tags.push(...tagsOfPage(parseJson(page)));
        const link = page.headers.link;
        try {
          path = nextPageUrl(Array.isArray(link) ? link.join(',') : link, page.url);
        } catch {
          throw new OciRegistryError(`GET "${shown(page.url, page.origin)}": the registry's next page is an invalid URL`);
        }
      }
      return tags;
    },

    async digestOf(repository, tag) {
      const path = `/v2/${repository}/manifests/${referencePath(tag)}`;
      // A HEAD that fails or tells no digest is answered by the manifest itself, as remote.Head then remote.Get.
      const head = await request('HEAD', repository, path, manifestTypes, 0).catch(() => undefined);
      const header = head?.headers['docker-content-digest'];
      if (head?.status === 200 && typeof header === 'string' && /^sha256:[0-9a-f]{64}$/.test(header)) return header;
      return (await manifest(repository, tag)).digest;
    },

    manifest,

    async downloadBlob(repository, digest, destination, limit) {
      const href = `${await baseUrl()}/v2/${repository}/blobs/${digest}`;
      let response = await openFollowing(href, headersFor(undefined, authorizations.get(repository)), options, signal, timedOut);
      if (response.statusCode === 401 && !authorizations.has(repository)) {
        const answered = await bodyOf(response, href, maxDocumentSize);
        authorizations.set(repository, await answerChallenge(repository, answered));
        response = await openFollowing(href, headersFor(undefined, authorizations.get(repository)), options, signal, timedOut);
      }
      if (response.statusCode !== 200) throw failure(await bodyOf(response, href, maxDocumentSize));
      const hash = createHash('sha256');
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > limit.maxSize) return done(new OciRegistryError(limit.tooLarge));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(response, counted, createWriteStream(destination));
      } catch (error) {
        if (error instanceof OciRegistryError) throw error;
        throw new OciRegistryError(`Get "${shown(href, host)}": ${timedOut() ?? (error as Error).message}`);
      }
      const written = `sha256:${hash.digest('hex')}`;
      if (written !== digest) throw new OciRegistryError(`error verifying sha256 checksum after reading ${size} bytes; got "${written}", want "${digest}"`);
    },

    async pullChart(repository, tag, limit) {
      const { content } = await manifest(repository, tag);
      const layer = chartLayer(content);
      if (layer.size !== undefined && layer.size > limit.maxSize) throw new OciRegistryError(limit.tooLarge);
      const blob = await request('GET', repository, `/v2/${repository}/blobs/${layer.digest}`, undefined, limit.maxSize, limit.tooLarge);
      if (blob.status !== 200) throw failure(blob);
      const digest = sha256Of(blob.body);
      if (digest !== layer.digest) throw new OciRegistryError(`${host}/${repository}:${tag}: chart layer digest ${digest} does not match ${layer.digest}`);
      return blob.body;
    },
  };

  /** Go's words for the client's timeout, once it has passed. */
  function timedOut(): string | undefined {
    return deadline.aborted ? `context deadline exceeded (Client.Timeout of ${options.timeoutMs / 1000}s exceeded)` : undefined;
  }
}

/**
 * A URL as errors show it: off the registry's own host (a blob's redirect to storage,
 * whose query is its signature) the query's values are redacted, as go-containerregistry
 * redacts them.
 */
function shown(href: string, registryHost?: string): string {
  try {
    const url = new URL(href);
    if (url.host === registryHost) return href;
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, 'REDACTED');
    return url.toString();
  } catch {
    return href;
  }
}

/** A tag or a digest in a manifest's path: a digest's `:` as it is, as the Go clients send it. */
function referencePath(reference: string): string {
  return encodeURIComponent(reference).replace(/%3A/gi, ':');
}

function sha256Of(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function headersFor(accept: string | undefined, authorization: string | undefined): Record<string, string> {
  return { 'User-Agent': 'kimbernetes-source-controller', ...(accept ? { Accept: accept } : {}), ...(authorization ? { Authorization: authorization } : {}) };
}

function parseJson(response: Response): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new OciRegistryError(`${response.method} "${shown(response.url, response.origin)}": the registry's answer is not JSON`);
  }
}

interface RegistryErrors {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

function errorsOf(response: Response): NonNullable<RegistryErrors['errors']> {
  try {
    const errors = (JSON.parse(response.body.toString('utf8')) as RegistryErrors).errors;
    return Array.isArray(errors) ? errors : [];
  } catch {
    // a body that is not the distribution API's error document says nothing more
    return [];
  }
}

/** ORAS's wording: `GET "<url>": response status code 401: unauthorized: authentication required`. */
function orasFailure(response: Response): OciRegistryError {
  const detail = errorsOf(response)
    .map((error) => `${(error.code ?? '').toLowerCase().replaceAll('_', ' ')}: ${error.message ?? ''}`)
    .join('; ');
  return new OciRegistryError(`${response.method} "${shown(response.url, response.origin)}": response status code ${response.status}${detail ? `: ${detail}` : ''}`, response.status);
}

/** go-containerregistry's transport.Error: `GET <url>: MANIFEST_UNKNOWN: manifest unknown; map[Tag:latest]`. */
function containerRegistryFailure(response: Response): OciRegistryError {
  const errors = errorsOf(response).map((error) => `${error.code ?? ''}: ${error.message ?? ''}${error.detail !== undefined && error.detail !== null ? `; ${goErrorDetail(error.detail)}` : ''}`);
  const statusText = `${response.status} ${httpStatusText(response.status)}`.trimEnd();
  let cause: string;
  if (errors.length === 1) cause = errors[0]!;
  else if (errors.length > 1) cause = `multiple errors returned: ${errors.join('; ')}`;
  else if (response.body.length > 0) cause = `unexpected status code ${statusText}: ${response.body.toString('utf8')}`;
  else cause = `unexpected status code ${statusText}${response.method === 'HEAD' ? ' (HEAD responses have no body, use GET for details)' : ''}`;
  return new OciRegistryError(`${response.method} ${shown(response.url, response.origin)}: ${cause}`, response.status);
}

/** Go's http.StatusText for the answers a registry gives. */
function httpStatusText(status: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return texts[status] ?? '';
}

/** One request, redirects followed; the Authorization goes only to the first URL's host (a blob's redirect to storage gets none). */
async function openFollowing(target: string, headers: Record<string, string>, options: OciRegistryOptions, signal: AbortSignal, timedOut: () => string | undefined, method: 'GET' | 'HEAD' = 'GET'): Promise<IncomingMessage & { url?: string }> {
  const origin = new URL(target).host;
  let href = target;
  for (let redirects = 0; ; redirects++) {
    const sameHost = new URL(href).host === origin;
    const { Authorization, ...anonymous } = headers;
    let response: IncomingMessage;
    try {
      response = await sendGet(href, sameHost && Authorization ? headers : anonymous, options.tls, signal, method);
    } catch (error) {
      throw new OciRegistryError(`${method === 'HEAD' ? 'Head' : 'Get'} "${shown(href, origin)}": ${timedOut() ?? (error as Error).message}`);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location && redirects < maxRedirects) {
      response.resume();
      try {
        href = new URL(location, href).toString();
      } catch {
        throw new OciRegistryError(`${method === 'HEAD' ? 'Head' : 'Get'} "${shown(href, origin)}": the registry redirected to an invalid URL`);
      }
      continue;
    }
    return Object.assign(response, { url: href });
  }
}

async function bodyOf(response: IncomingMessage & { url?: string }, href: string, maxSize: number, tooLarge?: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
  const url = response.url ?? href;
  const origin = new URL(href).host;
  const body =
    method === 'HEAD'
      ? (response.resume(), Buffer.alloc(0))
      : await readBody(
          response,
          maxSize,
          () => new OciRegistryError(tooLarge ?? `Get "${shown(url, origin)}": response exceeds ${maxSize} bytes`),
          (error) => new OciRegistryError(`Get "${shown(url, origin)}": ${error.message}`),
        );
  return { status: response.statusCode ?? 0, headers: response.headers, body, url, method, origin };
}

async function sendFollowing(method: 'GET' | 'HEAD', target: string, headers: Record<string, string>, maxSize: number, tooLarge: string | undefined, options: OciRegistryOptions, signal: AbortSignal, timedOut: () => string | undefined): Promise<Response> {
  const response = await openFollowing(target, headers, options, signal, timedOut, method);
  try {
    return await bodyOf(response, target, maxSize, tooLarge, method);
  } catch (error) {
    if (error instanceof OciRegistryError && timedOut()) throw new OciRegistryError(`Get "${shown(response.url ?? target, new URL(target).host)}": ${timedOut()}`);
    throw error;
  }
}
