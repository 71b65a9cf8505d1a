// A Kustomization's spec, checked against its CRD schema and completed with Flux's
// defaults: retryInterval and timeout default to the interval, path to the root.
import { parseDuration } from './duration.js';
import { validateSchema, type SchemaNode } from './schema-validation.js';
import type { SpecReading } from './gitrepository-spec.js';
import type { KustomizationSpec as KustomizationObjectSpec } from '../schemas/types.js';

export interface KustomizationSpec extends KustomizationObjectSpec {
  intervalMs: number;
  retryIntervalMs: number;
  timeoutMs: number;
}

export function readKustomizationSpec(raw: unknown, schema: SchemaNode): SpecReading<KustomizationSpec> {
  const errors = validateSchema(raw ?? {}, schema, 'spec');
  if (errors.length > 0) {
    return { ok: false, field: errors[0]!.path.replace(/^spec\.?/, ''), message: errors.map((error) => error.message).join('; ') };
  }
  const spec = raw as KustomizationObjectSpec;
  const intervalMs = parseDuration(spec.interval);
  if (!intervalMs) return { ok: false, field: 'interval', message: `spec.interval: must be longer than 0s, got "${spec.interval}"` };
  const retryIntervalMs = spec.retryInterval ? parseDuration(spec.retryInterval) : intervalMs;
  const timeoutMs = spec.timeout ? parseDuration(spec.timeout) : intervalMs;
  if (!retryIntervalMs) return { ok: false, field: 'retryInterval', message: `spec.retryInterval: must be longer than 0s, got "${spec.retryInterval}"` };
  if (!timeoutMs) return { ok: false, field: 'timeout', message: `spec.timeout: must be longer than 0s, got "${spec.timeout}"` };
  return { ok: true, spec: { ...spec, path: spec.path || './', intervalMs, retryIntervalMs, timeoutMs } };
}
