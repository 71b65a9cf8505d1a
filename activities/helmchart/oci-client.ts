// How a worker reaches an OCI HelmRepository's registry, as source-controller's
// GetClientOpts and LoginOptionFromSecret read its Secrets: TLS from certSecretRef only
// (secretRef's deprecated TLS keys are not read for OCI), credentials from secretRef's
// `username`/`password` or from a docker-registry Secret's `.dockerconfigjson` entry for
// the registry's host. The options stay in the worker's memory, never in a payload.
import { helmClientOptions } from '../../domain/helm-repository-auth.js';
import type { HelmRepositorySpec } from '../../domain/helmrepository-spec.js';
import { dockerConfigCredentials, OciReferenceError } from '../../domain/oci-reference.js';
import type { OciRegistryOptions } from '../../oci/registry.js';
import type { FluxObjects } from '../../kube/flux-objects.js';

export type OciRegistryClientReading = { ok: true; options: OciRegistryOptions } | { ok: false; message: string };

/** The key a `kubernetes.io/dockerconfigjson` Secret holds its Docker config under. */
const dockerConfigKey = '.dockerconfigjson';

export async function readOciRegistryOptions(
  objects: FluxObjects,
  namespace: string,
  spec: Pick<HelmRepositorySpec, 'secretName' | 'certSecretName' | 'timeoutMs' | 'insecure'>,
  host: string,
): Promise<OciRegistryClientReading> {
  const options: OciRegistryOptions = { insecure: spec.insecure, timeoutMs: spec.timeoutMs };
  if (spec.certSecretName) {
    const data = await objects.getSecretData(namespace, spec.certSecretName);
    if (!data) return { ok: false, message: `failed to get TLS authentication secret '${namespace}/${spec.certSecretName}': secrets "${spec.certSecretName}" not found` };
    const tls = helmClientOptions(undefined, { name: `${namespace}/${spec.certSecretName}`, data });
    if (!tls.ok) return tls;
    options.tls = tls.options.tls;
  }
  if (!spec.secretName) return { ok: true, options };
  const name = spec.secretName;
  const data = await objects.getSecretData(namespace, name);
  if (!data) return { ok: false, message: `failed to get authentication secret '${namespace}/${name}': secrets "${name}" not found` };
  // Flux reads the getter's basic auth first, with its message for half a pair.
  const getter = helmClientOptions({ name: `${namespace}/${name}`, data }, undefined);
  if (!getter.ok) return getter;
  let username: string;
  let password: string;
  // The Secret's type is not read here: a docker-registry Secret is known by its key.
  if (data[dockerConfigKey] !== undefined) {
    try {
      ({ username, password } = dockerConfigCredentials(data[dockerConfigKey], host, name));
    } catch (error) {
      if (!(error instanceof OciReferenceError)) throw error;
      return { ok: false, message: `failed to configure login options: ${error.message}` };
    }
  } else {
    username = data.username ?? '';
    password = data.password ?? '';
  }
  if (username === '' && password === '') return { ok: true, options };
  if (username === '' || password === '') return { ok: false, message: `failed to configure login options: invalid '${name}' secret data: required fields 'username' and 'password'` };
  return { ok: true, options: { ...options, basicAuth: { username, password } } };
}
