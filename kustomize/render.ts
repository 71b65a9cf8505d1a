// From an unpacked source to the objects a Kustomization applies: postBuild variables
// and SOPS keys read from the cluster, sources decrypted, the kustomize build, built
// objects decrypted, `${var}` substituted, each object labelled as the Kustomization's
// and given spec.commonMetadata. The kustomize-controller's reconcile and the CLI's
// `build` and `diff` share it, so a preview is built exactly as the controller will
// build it.
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from '../kube/client.js';
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { FluxObjects } from '../kube/flux-objects.js';
import type { KubernetesObject } from '../kube/objects.js';
import type { KustomizationSpec } from '../domain/kustomization-spec.js';
import { postBuildFailure, postBuildVariables, substituteVariables, substitutionDisabled, SubstitutionError } from '../domain/substitute.js';
import { requireBinary } from '../tools/paths.js';
import { ownerLabels } from '../apply/markers.js';
import { withCommonMetadata } from '../domain/common-metadata.js';
import { build, BuildError, pathWithin } from './build.js';
import { ageKeysOf, decryptManifests, decryptSources, DecryptionError, pgpKeysOf, type DecryptOptions } from './decrypt.js';
import { buildKey, type BuildCache } from './build-cache.js';


/** Where postBuild variables and decryption keys come from: the Kustomization's namespace (and, for --sops-age-secret, the worker's). */
export interface BuildInputs {
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  readConfigMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** Inputs read from the cluster: Secrets through `objects`, ConfigMaps through `kube`. */
export function clusterBuildInputs(objects: Pick<FluxObjects, 'getSecretData'>, kube: Pick<KubeClient, 'get'>): BuildInputs {
  return {
    readSecret: (namespace, name) => objects.getSecretData(namespace, name),
    readConfigMap: async (namespace, name) => (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }))?.data as Record<string, string> | undefined,
  };
}

export interface RenderRequest {
  /** the unpacked source, or how to get it (checked out only when the build runs); the build may write into it */
  root: string | (() => Promise<string>);
  spec: KustomizationSpec;
  ref: FluxObjectRef;
  inputs: BuildInputs;
  /** runs the (CPU-bound) kustomize build, e.g. under a concurrency limit */
  runBuild?: <T>(build: () => Promise<T>) => Promise<T>;
  /** stops kustomize and sops when aborted */
  signal?: AbortSignal;
  /** builds kept by the worker, and the digest of the artifact this one builds from */
  cache?: { builds: BuildCache; digest: string };
  /** Flux's StrictPostBuildSubstitutions feature gate: a `${var}` without a value fails the build instead of becoming empty */
  strictSubstitution?: boolean;
  /** Flux's --no-remote-bases: remote bases and components are refused */
  noRemoteBases?: boolean;
  /** Flux's --sops-age-secret: the Secret whose age keys decrypt for a Kustomization whose spec.decryption names no secretRef */
  sopsAgeSecret?: { namespace: string; name: string };
}

/** The built objects, or why they cannot be built (Flux's BuildFailed). */
export type Rendering = { ok: true; objects: KubernetesObject[]; fromCache?: boolean } | { ok: false; message: string };

export async function renderKustomization({ root: source, spec, ref, inputs, runBuild = (f) => f(), signal, cache, strictSubstitution = false, noRemoteBases = false, sopsAgeSecret }: RenderRequest): Promise<Rendering> {
  const variables = spec.postBuild ? await substitutionVariables(inputs, ref.namespace, spec) : undefined;
  if (typeof variables === 'string') return { ok: false, message: variables };
  const decryptionKeys = await decryptionOf(inputs, ref.namespace, spec, sopsAgeSecret);
  if (typeof decryptionKeys === 'string') return { ok: false, message: decryptionKeys };
  const key = cache && buildKey({ digest: cache.digest, ref, spec, variables, decryptionKeys: decryptionKeys && { ageKeys: decryptionKeys.ageKeys, pgpKeys: decryptionKeys.pgpKeys?.entries } });
  const cached = key && cache.builds.get(key);
  if (cached) return { ok: true, objects: cached, fromCache: true };
  const decryption = decryptionKeys && { ...decryptionKeys, signal };
  try {
    const root = typeof source === 'string' ? source : await source();
    if (decryption) await decryptSources(root, await pathWithin(root, spec.path ?? './'), decryption);
    let yaml = await runBuild(() => build({ root, spec, kustomize: requireBinary('kustomize'), signal, noRemoteBases }));
    if (decryption) yaml = (await decryptManifests(yaml, decryption)).manifests;
    const objects = labelledManifests(yaml, variables, ref, strictSubstitution).map((object) => withCommonMetadata(object, spec.commonMetadata));
    if (key) cache.builds.set(key, objects);
    return { ok: true, objects };
  } catch (error) {
    if (error instanceof BuildError || error instanceof SubstitutionError || error instanceof DecryptionError) return { ok: false, message: error.message };
    throw error;
  }
}

async function substitutionVariables(inputs: BuildInputs, namespace: string, spec: KustomizationSpec): Promise<Record<string, string> | string> {
  const substituteFrom: Record<string, string>[] = [];
  for (const from of spec.postBuild?.substituteFrom ?? []) {
    const data = from.kind === 'Secret' ? await inputs.readSecret(namespace, from.name) : await inputs.readConfigMap(namespace, from.name);
    if (!data) {
      if (from.optional) continue;
      // Flux's words, around the API server's NotFound
      return `substitute from '${from.kind}/${from.name}' error: ${from.kind === 'Secret' ? 'secrets' : 'configmaps'} "${from.name}" not found`;
    }
    substituteFrom.push(data);
  }
  return postBuildVariables(substituteFrom, spec.postBuild?.substitute);
}

/**
 * sops' keys from spec.decryption's Secret, or without a secretRef from the worker's
 * --sops-age-secret; undefined without decryption, a message when they cannot be had.
 */
async function decryptionOf(inputs: BuildInputs, namespace: string, spec: KustomizationSpec, sopsAgeSecret: RenderRequest['sopsAgeSecret']): Promise<DecryptOptions | string | undefined> {
  if (!spec.decryption) return undefined;
  if (spec.decryption.provider !== 'sops') return `decryption provider '${spec.decryption.provider}' is not supported, only 'sops'`;
  const secretRef = spec.decryption.secretRef;
  const secret = secretRef ? { namespace, name: secretRef.name } : sopsAgeSecret;
  if (!secret) return { sops: requireBinary('sops'), ageKeys: [] };
  const data = await inputs.readSecret(secret.namespace, secret.name);
  const name = `${secret.namespace}/${secret.name}`;
  if (!data) return `decryption Secret '${name}' not found`;
  // As in Flux, the worker's Secret lends age keys only.
  return { sops: requireBinary('sops'), ageKeys: ageKeysOf(data), pgpKeys: secretRef ? pgpKeysOf(data, name) : undefined };
}

/**
 * The built objects, substituted and labelled as this Kustomization's. Each object's own
 * text in kustomize's output is what Flux substitutes (kustomize prints each resource as
 * Flux's SubstituteVariables reads it), and only when there is at least one variable.
 */
function labelledManifests(yamlText: string, variables: Record<string, string> | undefined, ref: FluxObjectRef, strict: boolean): KubernetesObject[] {
  const substitute = variables && Object.keys(variables).length > 0 ? variables : undefined;
  const result: KubernetesObject[] = [];
  for (const document of parseAllDocuments(yamlText)) {
    if (document.errors.length > 0) throw new BuildError(`invalid YAML: ${document.errors[0]!.message}`);
    let object = document.toJS() as KubernetesObject | null;
    if (!object) continue;
    const where = `${object.kind}/${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
    if (substitute && !substitutionDisabled(object.metadata)) {
      const text = substituteVariables(yamlText.slice(document.range[0], document.range[2]), substitute, { strict, where });
      const substituted = parseAllDocuments(text)[0];
      if (substituted && substituted.errors.length > 0) throw postBuildFailure(where, `envsubst error: YAMLToJSON: ${substituted.errors[0]!.message}`);
      object = (substituted?.toJS() ?? {}) as KubernetesObject;
    }
    if (!object.apiVersion || !object.kind || !object.metadata?.name) throw new BuildError(`object without apiVersion, kind or metadata.name: ${where}`);
    object.metadata.labels = { ...object.metadata.labels, [ownerLabels.name]: ref.name, [ownerLabels.namespace]: ref.namespace };
    result.push(object);
  }
  return result;
}
