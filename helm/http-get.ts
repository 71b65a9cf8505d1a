// One GET (or HEAD) as Helm's and the registries' Go clients make it, for the chart
// downloads of HTTP repositories and OCI registries: the repository's CA added to the
// system's (as Flux adds it), its client certificate, the activity's cancellation; and a
// body read up to a limit, so an endless or huge answer cannot fill the worker's memory.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { HelmClientOptions } from '../domain/helm-repository-auth.js';

/** TLS as a client takes it; `insecureSkipVerify` only where Flux allows it (an `insecure` OCIRepository without a certSecretRef). */
export type ClientTls = (NonNullable<HelmClientOptions['tls']> & { insecureSkipVerify?: boolean }) | undefined;

export function sendGet(href: string, headers: Record<string, string>, tls: ClientTls, signal: AbortSignal, method: 'GET' | 'HEAD' = 'GET'): Promise<IncomingMessage> {
  const url = new URL(href);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method,
        headers,
        signal,
        ...(url.protocol === 'https:' && tls ? { ca: tls.ca ? [...rootCertificates, tls.ca] : undefined, cert: tls.cert, key: tls.key, ...(tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}) } : {}),
      },
      resolve,
    );
    request.on('error', (error: NodeJS.ErrnoException) => reject(new Error(networkCause(error, url))));
    request.end();
  });
}

/**
 * A connection failure in the words of Go's net package, which Flux's messages carry
 * (`dial tcp 127.0.0.1:8080: connect: connection refused`), for the codes a user meets;
 * any other error keeps Node's message.
 */
export function networkCause(error: NodeJS.ErrnoException & { address?: string; port?: number }, url: URL): string {
  const address = error.address ? `${error.address.includes(':') ? `[${error.address}]` : error.address}:${error.port ?? url.port}` : url.host;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    default:
      return error.message;
  }
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
