// An OCIRepository's spec, read from the live object: checked against its CRD schema
// (so a mistake is named by its field), then given Flux's defaults (source-controller
// api/v1 ocirepository_types.go): timeout 60s, the `latest` tag, the first layer
// extracted. What this engine cannot do yet (cloud providers' workload identity, signature
// verification, a proxy) is refused by name rather than
// skipped: an artifact that was to be verified is never stored unverified.
import { parseDuration } from './duration.js';
import { goRegExp } from './go-regexp.js';
import type { SpecReading } from './gitrepository-spec.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type { OCIRepositorySpec as OCIRepositoryObjectSpec } from '../schemas/types.js';

/** Which artifact the repository follows, Flux's precedence applied: a digest, else a semver range, else a tag. */
export type OciArtifactReference = { digest: string } | { semver: string; semverFilter?: string } | { tag: string };

export interface OciLayerSelector {
  mediaType?: string;
  operation?: 'extract' | 'copy';
}

export interface OCIRepositorySpec {
  url: string;
  reference: OciArtifactReference;
  /** spec.layerSelector as written: it is recorded as observed */
  layerSelector?: OciLayerSelector;
  intervalMs: number;
  timeoutMs: number;
  /** a docker-registry Secret */
  secretName?: string;
  /** a ServiceAccount whose imagePullSecrets hold credentials too (the generic provider) */
  serviceAccountName?: string;
  /** `tls.crt`, `tls.key`, `ca.crt` */
  certSecretName?: string;
  insecure: boolean;
  ignore?: string;
  suspend: boolean;
}

/** What the spec asks that this engine does not do yet, in a user's words; undefined when it asks nothing of the kind. */
export function unsupportedOciRepositoryField(raw: OCIRepositoryObjectSpec): { field: string; message: string } | undefined {
  if (raw.provider && raw.provider !== 'generic') {
    return { field: 'provider', message: `spec.provider '${raw.provider}' is not supported yet: only 'generic' registries (credentials from spec.secretRef) are` };
  }
  if (raw.verify) return { field: 'verify', message: `spec.verify with provider '${raw.verify.provider}' is not supported yet: the artifact is not pulled unverified` };
  if (raw.proxySecretRef) return { field: 'proxySecretRef', message: 'spec.proxySecretRef is not supported yet for OCIRepository' };
  return undefined;
}

const defaultTimeoutMs = 60_000;

export function readOCIRepositorySpec(raw: unknown, schema: SchemaNode): SpecReading<OCIRepositorySpec> {
  const invalid = specFailure(validateSchema(raw ?? {}, schema, 'spec'));
  if (invalid) return invalid;
  const spec = (raw ?? {}) as OCIRepositoryObjectSpec;
  const fail = (field: string, message: string): SpecReading<OCIRepositorySpec> => ({ ok: false, field, message: `spec.${field}: ${message}` });
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return fail('interval', `must be longer than 0s, got "${spec.interval}"`);
  const timeoutMs = spec.timeout === undefined ? defaultTimeoutMs : parseDuration(spec.timeout);
  if (!timeoutMs) return fail('timeout', `must be longer than 0s, got "${spec.timeout}"`);
  if (spec.secretRef?.name === '') return fail('secretRef.name', 'required');
  if (spec.certSecretRef?.name === '') return fail('certSecretRef.name', 'required');
  const unsupported = unsupportedOciRepositoryField(spec);
  if (unsupported) return { ok: false, ...unsupported };
  if (spec.ref?.semverFilter && spec.ref.semver) {
    try {
      goRegExp(spec.ref.semverFilter);
    } catch (error) {
      return fail('ref.semverFilter', `not a valid regular expression: ${(error as Error).message}`);
    }
  }
  return {
    ok: true,
    spec: {
      url: spec.url,
      reference: referenceOf(spec.ref),
      ...(spec.layerSelector ? { layerSelector: spec.layerSelector } : {}),
      intervalMs,
      timeoutMs,
      secretName: spec.secretRef?.name,
      ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
      certSecretName: spec.certSecretRef?.name,
      insecure: spec.insecure === true,
      ...(spec.ignore !== undefined ? { ignore: spec.ignore } : {}),
      suspend: spec.suspend === true,
    },
  };
}

/** Flux's getArtifactRef: digest > semver > tag > `latest`; an empty field is an unset one. */
function referenceOf(ref: OCIRepositoryObjectSpec['ref']): OciArtifactReference {
  if (ref?.digest) return { digest: ref.digest };
  if (ref?.semver) return { semver: ref.semver, ...(ref.semverFilter ? { semverFilter: ref.semverFilter } : {}) };
  if (ref?.tag) return { tag: ref.tag };
  return { tag: 'latest' };
}

/** The layer's media type to look for (the first layer when undefined) and what to do with it. */
export function layerOperation(selector: OciLayerSelector | undefined): { mediaType?: string; operation: 'extract' | 'copy' } {
  return { ...(selector?.mediaType ? { mediaType: selector.mediaType } : {}), operation: selector?.operation === 'copy' ? 'copy' : 'extract' };
}
