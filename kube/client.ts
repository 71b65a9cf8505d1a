// A thin client over the Kubernetes API for what the controllers need: server-side
// apply, read, delete. Every failure becomes a KubeError naming the object.
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { toKubeError } from './errors.js';
import { referenceOf, type KubernetesObject, type ObjectReference } from './objects.js';

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
}

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return config;
}

export function createKubeClient(config: KubeConfig): KubeClient {
  const api = KubernetesObjectApi.makeApiClient(config);
  return {
    async apply(object, { fieldManager, force = true, dryRun = false }) {
      try {
        return (await api.patch(object, undefined, dryRun ? 'All' : undefined, fieldManager, force, PatchStrategy.ServerSideApply)) as KubernetesObject;
      } catch (error) {
        throw toKubeError(error, 'apply', referenceOf(object));
      }
    },
    async get(ref) {
      try {
        return (await api.read(header(ref))) as KubernetesObject;
      } catch (error) {
        const failure = toKubeError(error, 'get', ref);
        if (failure.notFound) return undefined;
        throw failure;
      }
    },
    async delete(ref) {
      try {
        await api.delete(header(ref) as KubernetesObject, undefined, undefined, undefined, undefined, 'Background');
      } catch (error) {
        const failure = toKubeError(error, 'delete', ref);
        if (!failure.notFound) throw failure;
      }
    },
  };
}

function header(ref: ObjectReference) {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
}
