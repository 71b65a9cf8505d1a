// A Helm chart pulled from an OCI registry over the distribution API, as Helm's registry
// client does for source-controller: the repository's tags (`/v2/<name>/tags/list`, all
// pages), a tag's manifest and its chart layer (checked against its digest). A 401 is
// answered as its challenge asks: a Bearer token from the realm (with the credentials,
// when there are any, as Basic auth) or Basic auth itself. Plain HTTP only when the
// HelmRepository is `insecure`; a certSecretRef's CA is added to the system's.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';
import { readBody, sendGet } from './http-get.js';
import { chartLayer, nextPageUrl, OciMediaType, parseAuthChallenge, tagsOfPage } from '../domain/oci-reference.js';

const maxRedirects = 10;
/** a manifest or a page of tags is small; anything bigger is not one */
const maxDocumentSize = 4 << 20;

export interface OciRegistryOptions extends HelmClientOptions {
  /** spec.insecure: plain HTTP */
  insecure: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Why a registry request failed, in the words of Helm's registry client (ORAS): the request and the registry's answer. */
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
}

export interface OciRegistryClient {
  /** every tag of `repository`, as the registry lists them */
  tags(repository: string): Promise<string[]>;
  /** the chart package (.tgz) tagged `tag` in `repository` */
  pullChart(repository: string, tag: string, limit: { maxSize: number; tooLarge: string }): Promise<Buffer>;
}

export function ociRegistryClient(host: string, options: OciRegistryOptions): OciRegistryClient {
  const base = `${options.insecure ? 'http' : 'https'}://${host}`;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const { basicAuth } = options;
  const basic = basicAuth && basicAuth.username && basicAuth.password ? `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}` : undefined;
  /** the Authorization each repository's requests carry once a challenge was answered */
  const authorizations = new Map<string, string>();

  async function get(repository: string, href: string, accept: string | undefined, maxSize: number, tooLarge?: string): Promise<Response> {
    let response = await send(href, headersFor(accept, authorizations.get(repository)), maxSize, tooLarge);
    if (response.status === 401 && !authorizations.has(repository)) {
      const authorization = await answerChallenge(repository, response);
      authorizations.set(repository, authorization);
      response = await send(href, headersFor(accept, authorization), maxSize, tooLarge);
    }
    return response;
  }

  async function answerChallenge(repository: string, response: Response): Promise<string> {
    const header = response.headers['www-authenticate'];
    const challenge = parseAuthChallenge(Array.isArray(header) ? header[0]! : (header ?? ''));
    if (challenge?.scheme === 'basic' && basic) return basic;
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) throw failure('GET', response);
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope ?? `repository:${repository}:pull`);
    const token = await send(realm.toString(), headersFor('application/json', basic), maxDocumentSize);
    if (token.status !== 200) throw failure('GET', token);
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(token.body.toString('utf8')) as typeof body;
    } catch {
      throw new OciRegistryError(`GET "${token.url}": the token server's answer is not JSON`);
    }
    const value = body.token || body.access_token;
    if (!value) throw new OciRegistryError(`GET "${token.url}": the token server's answer holds no token`);
    return `Bearer ${value}`;
  }

  function send(href: string, headers: Record<string, string>, maxSize: number, tooLarge?: string): Promise<Response> {
    return sendFollowing(href, headers, maxSize, tooLarge, options, signal, () => (deadline.aborted ? `context deadline exceeded (Client.Timeout of ${options.timeoutMs / 1000}s exceeded)` : undefined));
  }

  return {
    async tags(repository) {
      const tags: string[] = [];
      let href: string | undefined = `${base}/v2/${repository}/tags/list`;
      while (href) {
        const page = await get(repository, href, 'application/json', maxDocumentSize);
        if (page.status !== 200) throw failure('GET', page);
        tags.push(...tagsOfPage(parseJson(page)));
        const link = page.headers.link;
        href = nextPageUrl(Array.isArray(link) ? link.join(',') : link, page.url);
      }
      return tags;
    },

    async pullChart(repository, tag, limit) {
      const manifestUrl = `${base}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
      const manifest = await get(repository, manifestUrl, OciMediaType.imageManifest, maxDocumentSize);
      if (manifest.status === 404) throw new OciRegistryError(`${host}/${repository}:${tag}: not found`, 404);
      if (manifest.status !== 200) throw failure('GET', manifest);
      const layer = chartLayer(parseJson(manifest));
      if (layer.size !== undefined && layer.size > limit.maxSize) throw new OciRegistryError(limit.tooLarge);
      const blob = await get(repository, `${base}/v2/${repository}/blobs/${layer.digest}`, undefined, limit.maxSize, limit.tooLarge);
      if (blob.status !== 200) throw failure('GET', blob);
      const digest = `sha256:${createHash('sha256').update(blob.body).digest('hex')}`;
      if (digest !== layer.digest) throw new OciRegistryError(`${host}/${repository}:${tag}: chart layer digest ${digest} does not match ${layer.digest}`);
      return blob.body;
    },
  };
}

function headersFor(accept: string | undefined, authorization: string | undefined): Record<string, string> {
  return { 'User-Agent': 'kimbernetes-source-controller', ...(accept ? { Accept: accept } : {}), ...(authorization ? { Authorization: authorization } : {}) };
}

function parseJson(response: Response): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new OciRegistryError(`GET "${response.url}": the registry's answer is not JSON`);
  }
}

/** ORAS's wording: `GET "<url>": response status code 401: unauthorized: authentication required`. */
function failure(method: string, response: Response): OciRegistryError {
  let detail = '';
  try {
    const errors = (JSON.parse(response.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    detail = errors.map((error) => `${(error.code ?? '').toLowerCase().replaceAll('_', ' ')}: ${error.message ?? ''}`).join('; ');
  } catch {
    // a body that is not the distribution API's error document says nothing more
  }
  return new OciRegistryError(`${method} "${response.url}": response status code ${response.status}${detail ? `: ${detail}` : ''}`, response.status);
}

/** One GET, redirects followed; the Authorization goes only to the first URL's host (a blob's redirect to storage gets none). */
async function sendFollowing(target: string, headers: Record<string, string>, maxSize: number, tooLarge: string | undefined, options: OciRegistryOptions, signal: AbortSignal, timedOut: () => string | undefined): Promise<Response> {
  const origin = new URL(target).host;
  let href = target;
  for (let redirects = 0; ; redirects++) {
    const sameHost = new URL(href).host === origin;
    const { Authorization, ...anonymous } = headers;
    let response: IncomingMessage;
    try {
      response = await sendGet(href, sameHost && Authorization ? headers : anonymous, options.tls, signal);
    } catch (error) {
      throw new OciRegistryError(`Get "${href}": ${timedOut() ?? (error as Error).message}`);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location && redirects < maxRedirects) {
      response.resume();
      href = new URL(location, href).toString();
      continue;
    }
    const body = await readBody(
      response,
      maxSize,
      () => new OciRegistryError(tooLarge ?? `Get "${href}": response exceeds ${maxSize} bytes`),
      () => new OciRegistryError(`Get "${href}": ${timedOut() ?? 'connection closed'}`),
    );
    return { status, headers: response.headers, body, url: href };
  }
}
