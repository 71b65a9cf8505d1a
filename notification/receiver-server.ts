// The webhook server of the notification-controller pool (Flux's receiver server, :9292):
// a POST to a Receiver's `/hook/<sha256>` path that its type validates asks every
// resource the Receiver names to reconcile now. As Flux, it sets each resource's
// `reconcile.fluxcd.io/requestedAt` (which `kubectl` shows and the watcher turns into a
// reconcile); it also signals the resource's loop at once, so a webhook works where no
// watcher runs. Answers carry only a status code, as Flux's do.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filterPasses, compileResourceFilter, isReady, requestedAtValue, resourceApiVersion, type ReceiverResource, type ReceiverSpec, type ReceiverStatus } from '../domain/receiver.js';
import { requestedAtAnnotation } from '../domain/watch-changes.js';
import { labelsMatch } from '../domain/alert-match.js';
import { apiVersionOf, fluxKinds, type FluxKindName, type FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';
import { validateCall } from './receiver-validation.js';

/** Flux's limit on a webhook's body. */
const maxBodyBytes = 3 * 1024 * 1024;

export interface ReceiverServerOptions {
  objects: FluxObjects;
  /** host:port; port 0 for any */
  listen: string;
  /** signals the loop of a resource just annotated (undefined: the annotation alone) */
  requestReconcile?: (ref: FluxObjectRef, requestedAt: string) => Promise<void>;
  noCrossNamespaceRefs?: boolean;
  log?: (entry: Record<string, unknown>) => void;
}

export interface ReceiverServer {
  url: string;
  close(): Promise<void>;
}

class HookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startReceiverServer(options: ReceiverServerOptions): Promise<ReceiverServer> {
  const log = options.log ?? (() => undefined);
  const server: Server = createServer((request, response) => {
    handle(options, request)
      .then(() => answer(response, 200))
      .catch((error: unknown) => {
        const status = error instanceof HookError ? error.status : 500;
        log({ level: status >= 500 ? 'error' : 'info', msg: 'webhook call refused', path: request.url, status, error: (error as Error).message });
        answer(response, status);
      });
  });
  const colon = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, colon) || '0.0.0.0';
  const port = Number(options.listen.slice(colon + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(response: ServerResponse, status: number): void {
  if (!response.headersSent) response.writeHead(status);
  response.end();
}

async function handle(options: ReceiverServerOptions, request: IncomingMessage): Promise<void> {
  const path = request.url ?? '';
  if (!path.startsWith('/hook/')) throw new HookError(404, 'not a webhook path');
  const { objects } = options;
  let receivers: KubernetesObject[];
  try {
    receivers = (await objects.list('Receiver')).items;
  } catch (error) {
    throw new HookError(500, `unable to list receivers: ${(error as Error).message}`);
  }
  const receiver = receivers.find((item) => (item.status as ReceiverStatus | undefined)?.webhookPath === path);
  if (!receiver) throw new HookError(404, 'no receiver found for the path');
  const name = `${receiver.metadata.namespace}/${receiver.metadata.name}`;
  const spec = (receiver.spec ?? {}) as ReceiverSpec;
  if (spec.suspend) throw new HookError(503, `receiver ${name} is suspended`);
  if (!isReady((receiver.status ?? {}) as ReceiverStatus)) throw new HookError(503, `receiver ${name} is not ready`);
  const body = await readBody(request);
  const namespace = receiver.metadata.namespace ?? 'default';
  const secret = await objects.getSecretData(namespace, spec.secretRef?.name ?? '');
  if (secret?.token === undefined) throw new HookError(400, `unable to read token from secret '${namespace}/${spec.secretRef?.name ?? ''}'`);
  const valid = validateCall(spec.type, { headers: request.headers, body }, secret.token, spec.events);
  if (!valid.ok) throw new HookError(400, `unable to validate payload: ${valid.message}`);

  let filter;
  let requestJson: unknown = {};
  if (spec.resourceFilter) {
    const compiled = compileResourceFilter(spec.resourceFilter);
    if (!compiled.ok) throw new HookError(500, `unable to create resource filter: ${compiled.message}`);
    filter = compiled.evaluate;
    try {
      requestJson = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HookError(400, 'unable to decode the request body as JSON for the resource filter');
    }
  }
  const requestedAt = requestedAtValue(new Date(), process.uptime());
  for (const resource of spec.resources ?? []) {
    for (const target of await resourcesOf(options, namespace, resource)) {
      if (filter && !filterPasses(filter, requestJson, target)) continue;
      const ref = { kind: target.kind as FluxKindName, namespace: target.metadata.namespace ?? namespace, name: target.metadata.name };
      await objects.annotate(ref, { [requestedAtAnnotation]: requestedAt });
      options.log?.({ level: 'info', msg: `resource '${ref.kind}/${ref.name}.${ref.namespace}' annotated`, receiver: name });
      await options.requestReconcile?.(ref, requestedAt);
    }
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HookError(400, `request body exceeds the maximum size of ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The objects a Receiver's resource entry names: one by name, or those `*` and matchLabels select. */
async function resourcesOf(options: ReceiverServerOptions, receiverNamespace: string, resource: ReceiverResource): Promise<KubernetesObject[]> {
  const namespace = resource.namespace || receiverNamespace;
  if (options.noCrossNamespaceRefs && namespace !== receiverNamespace) throw new HookError(500, 'cross-namespace references are not allowed');
  const apiVersion = resourceApiVersion(resource);
  if (!apiVersion) throw new HookError(500, `apiVersion must be specified for kind "${resource.kind}"`);
  const kind = resource.kind as FluxKindName;
  if (!(resource.kind in fluxKinds) || apiVersion.split('/')[0] !== fluxKinds[kind].group) {
    // Kinds this engine does not reconcile yet (Bucket, the image kinds): nothing would act on the request.
    options.log?.({ level: 'info', msg: `resource kind ${apiVersion} ${resource.kind} is not reconciled by Kimbernetes yet; not annotated` });
    return [];
  }
  if (resource.name === '*') {
    if (!resource.matchLabels) throw new HookError(500, "matchLabels field not set when using wildcard '*' as name");
    const items = (await options.objects.list(kind, namespace)).items.filter((item) => labelsMatch(resource.matchLabels!, item.metadata.labels ?? {}));
    if (items.length === 0) options.log?.({ level: 'info', msg: `no "${resource.kind}" resources found with matching labels in namespace ${namespace}` });
    return items;
  }
  const object = await options.objects.get({ kind, namespace, name: resource.name });
  if (!object) throw new HookError(500, `unable to annotate: ${fluxKinds[kind].plural}.${fluxKinds[kind].group} "${resource.name}" not found (${apiVersionOf(kind)})`);
  return [object];
}
