// Requests to the Kubernetes API over node's own http(s): for callers that must start at
// once (the CLI, which would otherwise spend more time loading the client library than
// asking) and for answers the client library reshapes (a list's `continue` token).
// Failures are KubeErrors built from the API server's own Status.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeErrorFromAnswer, KubeError } from './errors.js';
import type { ObjectReference } from './objects.js';

/** Where the API server is and how to reach it: TLS material and credentials, ready for node's https. */
export interface KubeEndpoint {
  server: string;
  options: RequestOptions;
}

export interface RestRequest {
  method?: 'GET' | 'PATCH';
  /** `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations` */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** of the body; `application/merge-patch+json` for a merge patch */
  contentType?: string;
}

/** The endpoint the client library would use for `config`'s current context, credentials included (exec plugins run). */
export async function endpointOfKubeConfig(config: KubeConfig): Promise<KubeEndpoint> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  return { server: cluster.server, options };
}

/**
 * Sends one request and parses the JSON answer; anything but a 2xx is a KubeError saying
 * `action` (and the object, when given) and the server's reason.
 */
export async function restJson<T>(endpoint: KubeEndpoint, request: RestRequest, action: string, object?: ObjectReference): Promise<T> {
  let answer: { status: number; body: string };
  try {
    answer = await send(endpoint, request);
  } catch (error) {
    throw kubeErrorFromAnswer(0, undefined, action, object, `${(error as Error).message} (${endpoint.server})`);
  }
  if (answer.status < 200 || answer.status > 299) throw kubeErrorFromAnswer(answer.status, answer.body, action, object);
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    throw new KubeError(`${action}: the API server's answer is not JSON: ${answer.body.slice(0, 200)}`, answer.status, object, false);
  }
}

function send(endpoint: KubeEndpoint, { method = 'GET', path, query = {}, body, contentType }: RestRequest): Promise<{ status: number; body: string }> {
  // `server` may carry a path prefix (a proxy's), which the request's path extends.
  const url = new URL(endpoint.server.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { ...(endpoint.options.headers as Record<string, string>), Accept: 'application/json' };
  if (payload) Object.assign(headers, { 'Content-Type': contentType ?? 'application/json', 'Content-Length': payload.length });
  const options: RequestOptions = { ...endpoint.options, method, headers };
  return new Promise((resolve, reject) => {
    const outgoing = (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
