// A Kustomization's spec, checked against its CRD schema and completed with Flux's
// defaults: retryInterval defaults to the interval, timeout to the interval less 30s
// and never below 30s (Flux's GetTimeout, which raises a shorter spec.timeout too),
// path to the root.
import { parseDuration } from './duration.js';
import { kubeConfigRefusal } from './remote-cluster.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type { SpecReading } from './gitrepository-spec.js';
import type { KustomizationSpec as KustomizationObjectSpec } from '../schemas/types.js';

export interface KustomizationSpec extends KustomizationObjectSpec {
  intervalMs: number;
  retryIntervalMs: number;
  timeoutMs: number;
}

const minimumTimeoutMs = 30_000;

/** Flux's GetTimeout: spec.timeout, else the interval less 30 s; never below 30 s. Undefined when a duration is malformed. */
export function timeoutOf(spec: Pick<KustomizationObjectSpec, 'interval' | 'timeout'>): number | undefined {
  const intervalMs = parseDuration(spec.interval);
  const timeout = spec.timeout ? parseDuration(spec.timeout) : intervalMs && intervalMs - 30_000;
  return timeout === undefined ? undefined : Math.max(minimumTimeoutMs, timeout);
}

export function readKustomizationSpec(raw: unknown, schema: SchemaNode): SpecReading<KustomizationSpec> {
  const invalid = specFailure(validateSchema(raw ?? {}, schema, 'spec'));
  if (invalid) return invalid;
  const spec = raw as KustomizationObjectSpec;
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return { ok: false, field: 'interval', message: `spec.interval: must be longer than 0s, got "${spec.interval}"` };
  const retryIntervalMs = spec.retryInterval ? parseDuration(spec.retryInterval) : intervalMs;
  const timeoutMs = timeoutOf(spec);
  if (!retryIntervalMs) return { ok: false, field: 'retryInterval', message: `spec.retryInterval: must be longer than 0s, got "${spec.retryInterval}"` };
  if (!timeoutMs) return { ok: false, field: 'timeout', message: `spec.timeout: must be longer than 0s, got "${spec.timeout}"` };
  const remote = kubeConfigRefusal(spec.kubeConfig);
  if (remote) return { ok: false, ...remote };
  return { ok: true, spec: { ...spec, path: spec.path || './', intervalMs, retryIntervalMs, timeoutMs } };
}
