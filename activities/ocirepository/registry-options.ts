// How a worker reaches an OCIRepository's registry, as source-controller's keychain and
// transport read its Secrets: credentials from the docker-registry Secret of spec.secretRef
// for the registry's host (anonymous when it has none: go-containerregistry's k8schain),
// TLS from certSecretRef with the system's CAs kept, and `insecure` without a certSecretRef
// allowing plain HTTP and an unverified certificate (the one place Flux allows that). The
// options stay in the worker's memory, never in a payload.
import { tlsOf } from '../../domain/helm-repository-auth.js';
import { dockerConfigCredentialsFor, OciReferenceError } from '../../domain/oci-reference.js';
import type { OCIRepositorySpec } from '../../domain/ocirepository-spec.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { OciRegistryOptions } from '../../oci/registry.js';

export type RegistryOptionsReading = { ok: true; options: OciRegistryOptions } | { ok: false; message: string };

export async function readOciRepositoryRegistry(objects: FluxObjects, namespace: string, spec: OCIRepositorySpec, host: string): Promise<RegistryOptionsReading> {
  const options: OciRegistryOptions = { client: 'go-containerregistry', insecure: spec.insecure, timeoutMs: spec.timeoutMs };
  if (spec.secretName) {
    const name = `${namespace}/${spec.secretName}`;
    const data = await objects.getSecretData(namespace, spec.secretName);
    if (!data) return { ok: false, message: `failed to get credential: failed to get secret '${name}': secrets "${spec.secretName}" not found` };
    // The legacy `.dockercfg` is the `auths` map alone.
    const config = data['.dockerconfigjson'] ?? (data['.dockercfg'] !== undefined ? `{"auths":${data['.dockercfg']}}` : undefined);
    if (config !== undefined) {
      try {
        const credentials = dockerConfigCredentialsFor(config, host, spec.secretName);
        if (credentials && (credentials.username || credentials.password)) options.basicAuth = credentials;
      } catch (error) {
        if (!(error instanceof OciReferenceError)) throw error;
        return { ok: false, message: `failed to get credential: ${error.message}` };
      }
    }
  }
  if (spec.certSecretName) {
    const name = `${namespace}/${spec.certSecretName}`;
    const data = await objects.getSecretData(namespace, spec.certSecretName);
    if (!data) return { ok: false, message: `failed to generate transport for '${spec.url}': failed to get secret '${name}': secrets "${spec.certSecretName}" not found` };
    const tls = tlsOf(name, data);
    if (typeof tls === 'string') return { ok: false, message: `failed to generate transport for '${spec.url}': ${tls}` };
    options.tls = tls;
  } else if (spec.insecure) {
    options.tls = { insecureSkipVerify: true };
  }
  return { ok: true, options };
}
