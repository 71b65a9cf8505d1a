// How a worker reaches a HelmRepository's server: its Secrets read and turned into client
// options (basic auth, TLS) with Flux's messages. The index download and the HelmChart's
// chart download share it; the options stay in the worker's memory, never in a payload.
import { helmClientOptions, type HelmClientOptions } from '../domain/helm-repository-auth.js';
import type { HelmRepositorySpec } from '../domain/helmrepository-spec.js';
import type { FluxObjects } from '../kube/flux-objects.js';

export type HelmRepositoryClient = { ok: true; options: HelmClientOptions } | { ok: false; message: string };

export async function readHelmRepositoryClient(objects: FluxObjects, namespace: string, spec: Pick<HelmRepositorySpec, 'secretName' | 'certSecretName'>): Promise<HelmRepositoryClient> {
  type NamedSecret = { name: string; data: Record<string, string> };
  const read = async (name: string | undefined, what: string): Promise<NamedSecret | undefined | string> => {
    if (!name) return undefined;
    const data = await objects.getSecretData(namespace, name);
    if (!data) return `failed to get ${what} secret '${namespace}/${name}': secrets "${name}" not found`;
    return { name: `${namespace}/${name}`, data };
  };
  const secret = await read(spec.secretName, 'authentication');
  if (typeof secret === 'string') return { ok: false, message: secret };
  const certSecret = await read(spec.certSecretName, 'TLS authentication');
  if (typeof certSecret === 'string') return { ok: false, message: certSecret };
  return helmClientOptions(secret, certSecret);
}
