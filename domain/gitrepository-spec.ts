// A GitRepository's spec, read from the live object: checked against its CRD schema
// first, so a mistake is named the way it is for every kind (`spec.interval: ...`), then
// turned into the typed spec with Flux's defaults that the reconcile uses.
import { parseDuration } from './duration.js';
import type { GitRepositoryRef } from './git-ref.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type { GitRepositoryInclude, GitRepositorySpec as GitRepositoryObjectSpec } from '../schemas/types.js';

export interface GitRepositorySpec {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  ref?: GitRepositoryRef;
  secretName?: string;
  /** spec.proxySecretRef.name */
  proxySecretName?: string;
  /** spec.verify: which signatures to check, with the keys of which Secret */
  verify?: { mode: GitVerificationMode; secretName: string };
  /** spec.sparseCheckout: only these directories are checked out, `./` trimmed as Flux does */
  sparseCheckout?: string[];
  ignore?: string;
  recurseSubmodules: boolean;
  suspend: boolean;
  include: GitRepositoryInclude[];
}

/** Flux's modes; `head`, the old spelling, reads as HEAD. */
export type GitVerificationMode = 'HEAD' | 'Tag' | 'TagAndHEAD';

/** `field` is the first invalid field, relative to `spec`; `message` names every problem. */
export type SpecReading<T> = { ok: true; spec: T } | { ok: false; field: string; message: string };

const defaultTimeoutMs = 60_000;

/** `schema` is the CRD's schema of `.spec` (kube/crd-schemas.ts). */
export function readGitRepositorySpec(raw: unknown, schema: SchemaNode): SpecReading<GitRepositorySpec> {
  const invalid = specFailure(validateSchema(raw ?? {}, schema, 'spec'));
  if (invalid) return invalid;
  const spec = (raw ?? {}) as GitRepositoryObjectSpec;
  const fail = (field: string, message: string): SpecReading<GitRepositorySpec> => ({ ok: false, field, message: `spec.${field}: ${message}` });

  // What the schema lets through but a reconcile cannot use: a zero duration, an empty name.
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return fail('interval', `must be longer than 0s, got "${spec.interval}"`);
  const timeoutMs = spec.timeout === undefined ? defaultTimeoutMs : parseDuration(spec.timeout);
  if (!timeoutMs) return fail('timeout', `must be longer than 0s, got "${spec.timeout}"`);
  if (spec.secretRef?.name === '') return fail('secretRef.name', 'required');
  if (spec.proxySecretRef?.name === '') return fail('proxySecretRef.name', 'required');
  if (spec.verify?.secretRef?.name === '') return fail('verify.secretRef.name', 'required');
  let ref: GitRepositoryRef | undefined;
  if (spec.ref) {
    // An empty field is an unset one, as in Flux.
    ref = Object.fromEntries(Object.entries(spec.ref).filter(([, value]) => value !== ''));
  }
  return {
    ok: true,
    spec: {
      url: spec.url,
      intervalMs,
      timeoutMs,
      ref,
      secretName: spec.secretRef?.name,
      proxySecretName: spec.proxySecretRef?.name,
      verify: spec.verify && { mode: verificationMode(spec.verify.mode), secretName: spec.verify.secretRef.name },
      sparseCheckout: spec.sparseCheckout?.length ? spec.sparseCheckout.map((dir) => dir.replace(/^\.\//, '')) : undefined,
      ignore: spec.ignore,
      recurseSubmodules: spec.recurseSubmodules === true,
      suspend: spec.suspend === true,
      include: spec.include ?? [],
    },
  };
}

function verificationMode(mode: string | undefined): GitVerificationMode {
  return mode === 'Tag' || mode === 'TagAndHEAD' ? mode : 'HEAD';
}
