// A thin client over the Kubernetes API for what the controllers need: server-side
// apply, read, delete, and the plain create and replace Helm's own writes use. Every
// failure becomes a KubeError naming the object.
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import { VerbatimObjectApi } from './verbatim-object-api.js';
import { KubeError, toKubeError } from './errors.js';
import { describeReference, referenceOf, type KubernetesObject, type ObjectReference } from './objects.js';
import type { ManagedFieldsEntry } from './managed-fields.js';

export interface ApplyOptions {
  fieldManager: string;
  /** take ownership of fields another manager set (reverts manual edits) */
  force?: boolean;
  dryRun?: boolean;
}

export interface KubeClient {
  apply(object: KubernetesObject, options: ApplyOptions): Promise<KubernetesObject>;
  /** the live object, or undefined when it does not exist */
  get(ref: ObjectReference): Promise<KubernetesObject | undefined>;
  delete(ref: ObjectReference): Promise<void>;
  /** replaces the object's managedFields; `resourceVersion` guards against a concurrent change */
  setManagedFields(ref: ObjectReference, managedFields: ManagedFieldsEntry[], resourceVersion: string | undefined, fieldManager: string): Promise<void>;
  // Optional so that test doubles of the calls above need not grow; createKubeClient's have them.
  /** creates the object (POST); a KubeError with reason AlreadyExists when it exists */
  create?(object: KubernetesObject, options: WriteOptions): Promise<KubernetesObject>;
  /** replaces the whole object (PUT); its metadata.resourceVersion guards against a concurrent change */
  replace?(object: KubernetesObject, options: WriteOptions): Promise<KubernetesObject>;
}

export interface WriteOptions {
  fieldManager: string;
}

export interface KubeClientOptions {
  /** resolves when the next request may go; shared by every client of one API server */
  throttle?: () => Promise<void>;
}

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return reusingConnections(config);
}

type AgentFactory = (cluster: unknown, options: Record<string, unknown>) => unknown;

/**
 * The client library builds a new HTTPS agent for every request: a full TLS handshake
 * each time, which under a fleet's load costs more CPU than the work itself. One agent
 * per configuration instead, whose TLS session cache makes later handshakes short.
 * (Not keep-alive: the library's fetch can fail long responses on reused sockets with
 * "Premature close" on Node 20.) Credentials rotated on disk are read by a new
 * configuration, i.e. a worker restart.
 */
export function reusingConnections(config: KubeConfig): KubeConfig {
  const target = config as unknown as { createAgent: AgentFactory };
  const create = target.createAgent.bind(config);
  let agent: unknown;
  target.createAgent = (cluster, options) => (agent ??= create(cluster, { ...options, maxCachedSessions: 256, secureContext: secureContextOf(options) }));
  return config;
}

/**
 * One TLS context (CA, client certificate and key, parsed once) for every connection of
 * the agent: without it each new connection parses them again, which under a fleet's
 * load cost more CPU than the handshakes themselves.
 */
function secureContextOf(options: Record<string, unknown>): SecureContext {
  const { ca, cert, key, pfx, passphrase } = options as SecureContextOptions;
  return createSecureContext({ ca, cert, key, pfx, passphrase });
}

export function createKubeClient(config: KubeConfig, { throttle = async () => undefined }: KubeClientOptions = {}): KubeClient {
  const api = VerbatimObjectApi.forConfig(config);
  return {
    async apply(object, { fieldManager, force = true, dryRun = false }) {
      await throttle();
      try {
        return await api.write(object, 'patch', { dryRun: dryRun ? 'All' : undefined, fieldManager, force: String(force) }, PatchStrategy.ServerSideApply);
      } catch (error) {
        throw unservedKind(error, 'apply', referenceOf(object)) ?? toKubeError(error, 'apply', referenceOf(object));
      }
    },
    async get(ref) {
      await throttle();
      try {
        return (await api.read(header(ref))) as KubernetesObject;
      } catch (error) {
        const failure = unservedKind(error, 'get', ref) ?? toKubeError(error, 'get', ref);
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
    async delete(ref) {
      await throttle();
      try {
        await api.delete(header(ref) as KubernetesObject, undefined, undefined, undefined, undefined, 'Background');
      } catch (error) {
        const failure = unservedKind(error, 'delete', ref) ?? toKubeError(error, 'delete', ref);
        if (!failure.notFound) throw failure;
      }
    },
    async create(object, { fieldManager }) {
      await throttle();
      try {
        return await api.write(object, 'create', { fieldManager });
      } catch (error) {
        throw unservedKind(error, 'create', referenceOf(object)) ?? toKubeError(error, 'create', referenceOf(object));
      }
    },
    async replace(object, { fieldManager }) {
      await throttle();
      try {
        return await api.write(object, 'replace', { fieldManager });
      } catch (error) {
        throw unservedKind(error, 'replace', referenceOf(object)) ?? toKubeError(error, 'replace', referenceOf(object));
      }
    },
    async setManagedFields(ref, managedFields, resourceVersion, fieldManager) {
      await throttle();
      try {
        const patch = { ...header(ref), metadata: { ...header(ref).metadata, managedFields, resourceVersion } };
        await api.patch(patch as KubernetesObject, undefined, undefined, fieldManager, undefined, PatchStrategy.MergePatch);
      } catch (error) {
        throw toKubeError(error, 'update the field managers of', ref);
      }
    },
  };
}

/**
 * The client library finds a kind's path by discovery, and a kind the API server does not
 * serve comes back as the library's own Error, or as the discovery document's bare "404
 * page not found". Either is the server saying the kind does not exist there: a 404, in
 * the words kubectl and Flux use. (A discovery that could not be made at all is left to
 * toKubeError: an outage, retried.)
 */
function unservedKind(error: unknown, action: string, ref: ObjectReference): KubeError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const unrecognised = error.message.startsWith('Unrecognized API version and kind');
  const notDiscovered = error.message.startsWith('Failed to fetch resource metadata') && code === 404;
  if (!unrecognised && !notDiscovered) return undefined;
  return new KubeError(`${action} ${describeReference(ref)}: no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`, 404, ref, false, 'NotFound');
}

function header(ref: ObjectReference) {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
}
