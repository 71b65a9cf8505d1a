// How a worker reaches an OCIRepository's registry, as source-controller's keychain and
// transport read its Secrets: credentials from the docker-registry Secrets of spec.secretRef
// and of spec.serviceAccountName's imagePullSecrets, in that order, the first with an entry
// for the registry's host (anonymous when none has: go-containerregistry's k8schain); TLS
// from certSecretRef with the system's CAs kept; `insecure` without a certSecretRef allowing
// plain HTTP and an unverified certificate (the one place Flux allows that). The options
// stay in the worker's memory, never in a payload.
import { tlsOf } from '../../domain/helm-repository-auth.js';
import { dockerConfigCredentialsFor, OciReferenceError } from '../../domain/oci-reference.js';
import type { OCIRepositorySpec } from '../../domain/ocirepository-spec.js';
import type { FluxObjects } from '../../kube/flux-objects.js';
import type { OciRegistryOptions } from '../../oci/registry.js';

export type RegistryOptionsReading = { ok: true; options: OciRegistryOptions } | { ok: false; message: string };

type PullSecret = { name: string; data: Record<string, string> };

export async function readOciRepositoryRegistry(objects: FluxObjects, namespace: string, spec: OCIRepositorySpec, host: string): Promise<RegistryOptionsReading> {
  const options: OciRegistryOptions = { client: 'go-containerregistry', insecure: spec.insecure, timeoutMs: spec.timeoutMs };
  const secrets = await pullSecrets(objects, namespace, spec);
  if (typeof secrets === 'string') return { ok: false, message: `failed to get credential: ${secrets}` };
  for (const secret of secrets) {
    // The legacy `.dockercfg` is the `auths` map alone.
    const config = secret.data['.dockerconfigjson'] ?? (secret.data['.dockercfg'] !== undefined ? `{"auths":${secret.data['.dockercfg']}}` : undefined);
    if (config === undefined) continue;
    try {
      const credentials = dockerConfigCredentialsFor(config, host, secret.name);
      if (credentials && (credentials.username || credentials.password)) {
        options.basicAuth = credentials;
        break;
      }
    } catch (error) {
      if (!(error instanceof OciReferenceError)) throw error;
      return { ok: false, message: `failed to get credential: ${error.message}` };
    }
  }
  if (spec.certSecretName) {
    const name = `${namespace}/${spec.certSecretName}`;
    const data = await objects.getSecretData(namespace, spec.certSecretName);
    if (!data) return { ok: false, message: `failed to generate transport for '${spec.url}': secret '${name}' not found` };
    const tls = tlsOf(name, data);
    if (typeof tls === 'string') return { ok: false, message: `failed to generate transport for '${spec.url}': ${tls}` };
    options.tls = tls;
  } else if (spec.insecure) {
    options.tls = { insecureSkipVerify: true };
  }
  return { ok: true, options };
}

/** spec.secretRef's Secret, then the ServiceAccount's imagePullSecrets; what is missing, in Flux's words. */
async function pullSecrets(objects: FluxObjects, namespace: string, spec: OCIRepositorySpec): Promise<PullSecret[] | string> {
  const secrets: PullSecret[] = [];
  if (spec.secretName) {
    const data = await objects.getSecretData(namespace, spec.secretName);
    if (!data) return `failed to get secret '${namespace}/${spec.secretName}': secrets "${spec.secretName}" not found`;
    secrets.push({ name: spec.secretName, data });
  }
  if (spec.serviceAccountName) {
    const account = `${namespace}/${spec.serviceAccountName}`;
    const names = await objects.getImagePullSecretNames(namespace, spec.serviceAccountName);
    if (!names) return `serviceaccount '${account}' not found`;
    for (const name of names) {
      const data = await objects.getSecretData(namespace, name);
      if (!data) return `failed to get image pull secret for serviceaccount '${account}': secret '${namespace}/${name}' not found`;
      secrets.push({ name, data });
    }
  }
  return secrets;
}
