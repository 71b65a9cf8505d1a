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
import { apiGroupOf, type KubernetesObject } from '../kube/objects.js';
import { requestDocument, validateCall } from './receiver-validation.js';

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
  const receivers = receiverLookup(options.objects);
  const server: Server = createServer((request, response) => {
    handle(options, receivers, request)
      .then(() => answer(response, 200))
      .catch((error: unknown) => {
        const status = error instanceof HookError ? error.status : 500;
        log({ level: status >= 500 ? 'error' : 'info', msg: 'webhook call refused', path: shownPath(request.url ?? ''), status, error: (error as Error).message });
        answer(response, status);
      });
  });
  // A caller that sends slowly cannot hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const colon = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
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

/** A webhook path as logs show it: a path is a credential of its own, only its first digits are shown. */
function shownPath(path: string): string {
  return path.startsWith('/hook/') ? `${path.slice(0, '/hook/'.length + 8)}…` : path.slice(0, 100);
}

function answer(response: ServerResponse, status: number): void {
  if (!response.headersSent) response.writeHead(status);
  response.end();
}

/** A webhook path: anything else is answered 404 without asking the API server. */
const hookPath = /^\/hook\/[0-9a-f]{64}$/;

/** How long a listing of the Receivers answers calls: a burst of calls costs one list. */
const lookupTtlMs = 1000;

/** The Receiver that had a path, from a listing shared by the calls of one second: a flood of unknown paths costs one list a second. */
function receiverLookup(objects: FluxObjects): (path: string) => Promise<KubernetesObject | undefined> {
  let listing: { at: number; items: Promise<KubernetesObject[]> } | undefined;
  return async (path) => {
    if (!listing || Date.now() - listing.at > lookupTtlMs) {
      listing = { at: Date.now(), items: objects.list('Receiver').then((list) => list.items) };
      listing.items.catch(() => (listing = undefined));
    }
    let items: KubernetesObject[];
    try {
      items = await listing.items;
    } catch (error) {
      throw new HookError(500, `unable to list receivers: ${(error as Error).message}`);
    }
    return items.find((item) => (item.status as ReceiverStatus | undefined)?.webhookPath === path);
  };
}

async function handle(options: ReceiverServerOptions, lookup: (path: string) => Promise<KubernetesObject | undefined>, request: IncomingMessage): Promise<void> {
  const path = request.url ?? '';
  if (!hookPath.test(path)) throw new HookError(404, 'not a webhook path');
  const { objects } = options;
  // The listing (a second old at most) says which Receiver has the path; the Receiver
  // itself is read afresh, so a suspension or a new token counts at once.
  const listed = await lookup(path);
  const receiver = listed && (await objects.get({ kind: 'Receiver', namespace: listed.metadata.namespace ?? 'default', name: listed.metadata.name }));
  if (!receiver || (receiver.status as ReceiverStatus | undefined)?.webhookPath !== path) throw new HookError(404, 'no receiver found for the path');
  const name = `${receiver.metadata.namespace}/${receiver.metadata.name}`;
  const spec = (receiver.spec ?? {}) as ReceiverSpec;
  if (spec.suspend) throw new HookError(503, `receiver ${name} is suspended`);
  if (!isReady((receiver.status ?? {}) as ReceiverStatus)) throw new HookError(503, `receiver ${name} is not ready`);
  const body = await readBody(request);
  const namespace = receiver.metadata.namespace ?? 'default';
  const secret = await objects.getSecretData(namespace, spec.secretRef?.name ?? '');
  if (secret?.token === undefined) throw new HookError(400, `unable to read token from secret '${namespace}/${spec.secretRef?.name ?? ''}'`);
  const call = { headers: request.headers, body };
  const valid = validateCall(spec.type, call, secret.token, spec.events);
  if (!valid.ok) throw new HookError(400, `unable to validate payload: ${valid.message}`);

  let filter;
  let requestJson: unknown = {};
  if (spec.resourceFilter) {
    const compiled = compileResourceFilter(spec.resourceFilter);
    if (!compiled.ok) throw new HookError(500, `unable to create resource filter: ${compiled.message}`);
    filter = compiled.evaluate;
    try {
      requestJson = requestDocument(call);
    } catch {
      throw new HookError(400, 'unable to decode the request body as JSON for the resource filter');
    }
  }
  const requestedAt = requestedAtValue(new Date(), process.uptime());
  // As Flux: every resource is tried; any that failed makes the answer a 500.
  const failures: string[] = [];
  for (const resource of spec.resources ?? []) {
    try {
      for (const target of await resourcesOf(options, namespace, resource)) {
        if (filter && !filterPasses(filter, requestJson, target)) continue;
        const ref = { kind: target.kind as FluxKindName, namespace: target.metadata.namespace ?? namespace, name: target.metadata.name };
        await objects.annotate(ref, { [requestedAtAnnotation]: requestedAt });
        options.log?.({ level: 'info', msg: `resource '${ref.kind}/${ref.name}.${ref.namespace}' annotated`, receiver: name });
        // The annotation is the request; the signal only makes it heard at once.
        await options.requestReconcile?.(ref, requestedAt).catch((error: unknown) => options.log?.({ level: 'warn', msg: 'the reconcile signal was not sent; the watcher will see the annotation', error: (error as Error).message }));
      }
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length > 0) throw new HookError(500, failures.join('; '));
}

/** The body up to Flux's limit; past it the rest is read and dropped, so the caller still gets its 400. */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  if (Number(request.headers['content-length'] ?? 0) > maxBodyBytes) {
    request.resume();
    throw new HookError(400, `request body exceeds the maximum size of ${maxBodyBytes} bytes`);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    request.on('end', () => (size > maxBodyBytes ? reject(new HookError(400, `request body exceeds the maximum size of ${maxBodyBytes} bytes`)) : resolve(Buffer.concat(chunks))));
    request.on('error', (error) => reject(new HookError(400, `reading the request body failed: ${error.message}`)));
  });
}

/** The objects a Receiver's resource entry names: one by name, or those `*` and matchLabels select. */
async function resourcesOf(options: ReceiverServerOptions, receiverNamespace: string, resource: ReceiverResource): Promise<KubernetesObject[]> {
  const namespace = resource.namespace || receiverNamespace;
  if (options.noCrossNamespaceRefs && namespace !== receiverNamespace) throw new HookError(500, 'cross-namespace references are not allowed');
  const apiVersion = resourceApiVersion(resource);
  if (!apiVersion) throw new HookError(500, `apiVersion must be specified for kind "${resource.kind}"`);
  const kind = resource.kind as FluxKindName;
  if (!(resource.kind in fluxKinds) || apiGroupOf(apiVersion) !== fluxKinds[kind].group) {
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
