// A HelmRepository's spec, read from the live object: checked against its CRD schema
// (so a mistake is named by its field), then given Flux's defaults (source-controller
// api/v1 helmrepository_types.go): interval and timeout 1m, type `default`.
import { parseDuration } from './duration.js';
import type { SpecReading } from './gitrepository-spec.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type { HelmRepositorySpec as HelmRepositoryObjectSpec } from '../schemas/types.js';

export interface HelmRepositorySpec {
  url: string;
  /** `oci`: a data container for HelmCharts, with no artifact and no status of its own */
  type: 'default' | 'oci';
  intervalMs: number;
  timeoutMs: number;
  /** basic auth (`username`, `password`), and the deprecated TLS keys */
  secretName?: string;
  /** `tls.crt`, `tls.key`, `ca.crt` */
  certSecretName?: string;
  passCredentials: boolean;
  /** an OCI registry over plain HTTP */
  insecure: boolean;
  suspend: boolean;
}

const defaultMs = 60_000;

export function readHelmRepositorySpec(raw: unknown, schema: SchemaNode): SpecReading<HelmRepositorySpec> {
  const invalid = specFailure(validateSchema(raw ?? {}, schema, 'spec'));
  if (invalid) return invalid;
  const spec = (raw ?? {}) as HelmRepositoryObjectSpec;
  const fail = (field: string, message: string): SpecReading<HelmRepositorySpec> => ({ ok: false, field, message: `spec.${field}: ${message}` });
  // Flux falls back to 1m for an interval or timeout of zero, as for one not given.
  const intervalMs = (spec.interval === undefined ? undefined : parseDuration(spec.interval)) || defaultMs;
  const timeoutMs = (spec.timeout === undefined ? undefined : parseDuration(spec.timeout)) || defaultMs;
  if (spec.secretRef?.name === '') return fail('secretRef.name', 'required');
  if (spec.certSecretRef?.name === '') return fail('certSecretRef.name', 'required');
  return {
    ok: true,
    spec: {
      url: spec.url,
      type: spec.type === 'oci' ? 'oci' : 'default',
      intervalMs,
      timeoutMs,
      secretName: spec.secretRef?.name,
      certSecretName: spec.certSecretRef?.name,
      passCredentials: spec.passCredentials === true,
      insecure: spec.insecure === true,
      suspend: spec.suspend === true,
    },
  };
}

/** Flux's NormalizeURL: an HTTP(S) repository URL with exactly one trailing slash, an OCI one with none. */
export function normalizeRepositoryUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.startsWith('oci://') ? trimmed : `${trimmed}/`;
}
