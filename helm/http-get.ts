// One GET as Helm's and the registries' Go clients make it, for the chart downloads of
// HTTP repositories and OCI registries: the repository's CA added to the system's (as
// Flux adds it), its client certificate, the activity's cancellation; and a body read
// up to a limit, so an endless or huge answer cannot fill the worker's memory.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';

export function sendGet(href: string, headers: Record<string, string>, tls: HelmClientOptions['tls'], signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(href);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers,
        signal,
        ...(url.protocol === 'https:' && tls ? { ca: tls.ca ? [...rootCertificates, tls.ca] : undefined, cert: tls.cert, key: tls.key } : {}),
      },
      resolve,
    );
    request.on('error', reject);
    request.end();
  });
}

/** The body, or the error `tooLarge` makes once it passes `maxSize` bytes, or `broken`'s when the stream fails. */
export function readBody(response: IncomingMessage, maxSize: number, tooLarge: () => Error, broken: (error: Error) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        response.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', (error) => reject(broken(error)));
  });
}
