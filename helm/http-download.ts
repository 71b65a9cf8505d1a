// Downloading a file from a Helm repository as Helm's HTTP getter does: basic auth only
// when both halves are set and only to the repository's own host (unless passCredentials),
// the CA added to the system's, redirects followed, within a timeout and a size limit.
import type { IncomingMessage } from 'node:http';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';
import { readBody, sendGet } from './http-get.js';

const maxRedirects = 10;

export interface DownloadOptions extends HelmClientOptions {
  timeoutMs: number;
  /** send the credentials to other hosts a redirect or a chart URL leads to (spec.passCredentials) */
  passCredentials?: boolean;
  /** the host credentials belong to; the first URL's when absent */
  credentialsHost?: string;
  signal?: AbortSignal;
}

/** Why a download failed, in the words Flux's getter wraps: `Get "<url>": <cause>` or the HTTP status. */
export class DownloadFailure extends Error {
  override readonly name = 'DownloadFailure';
  constructor(
    message: string,
    /** the HTTP status, when the server answered */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The bytes at `target`; `tooLarge` is the message for a body over `maxSize`. */
export async function download(target: string, options: DownloadOptions, limit: { maxSize: number; tooLarge: string }): Promise<Buffer> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const origin = options.credentialsHost ?? new URL(target).host;
  let href = target;
  for (let redirects = 0; ; redirects++) {
    let response: IncomingMessage;
    try {
      response = await get(href, options, options.passCredentials === true || new URL(href).host === origin, signal);
    } catch (error) {
      const reason = deadline.aborted ? `context deadline exceeded (Client.Timeout of ${options.timeoutMs / 1000}s exceeded)` : (error as Error).message;
      throw new DownloadFailure(`Get "${href}": ${reason}`);
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
      throw new DownloadFailure(`failed to fetch ${href} : ${status} ${response.statusMessage ?? ''}`.trimEnd(), status);
    }
    return readBody(
      response,
      limit.maxSize,
      () => new DownloadFailure(limit.tooLarge),
      (error) => new DownloadFailure(`Get "${href}": ${signal.aborted ? 'context deadline exceeded' : error.message}`),
    );
  }
}

function get(href: string, options: HelmClientOptions, sendCredentials: boolean, signal: AbortSignal): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'User-Agent': 'kimbernetes-source-controller' };
  // Helm sends basic auth only when both halves are set.
  if (sendCredentials && options.basicAuth?.username && options.basicAuth.password) {
    headers.Authorization = `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  }
  return sendGet(href, headers, options.tls, signal);
}
