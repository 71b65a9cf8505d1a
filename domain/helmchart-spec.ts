// A HelmChart's spec, read from the live object: checked against its CRD schema, then
// given Flux's defaults (source-controller api/v1 helmchart_types.go): version `*`,
// reconcileStrategy ChartVersion, the deprecated `valuesFile` read as the first of
// `valuesFiles`.
import { parseDuration } from './duration.js';
import type { SpecReading } from './gitrepository-spec.js';
import { specFailure, validateSchema, type SchemaNode } from './schema-validation.js';
import type { HelmChartSpec as HelmChartObjectSpec } from '../schemas/types.js';

export type HelmChartSourceKind = 'HelmRepository' | 'GitRepository' | 'Bucket';

export interface HelmChartSpec {
  /** a chart name in a repository's index, or a path in a Git or Bucket artifact */
  chart: string;
  /** a semver constraint; only a HelmRepository's charts have versions to choose from */
  version: string;
  sourceRef: { kind: HelmChartSourceKind; name: string };
  intervalMs: number;
  reconcileStrategy: 'ChartVersion' | 'Revision';
  /** merged in order, later ones winning; the chart's values.yaml only when listed */
  valuesFiles: string[];
  ignoreMissingValuesFiles: boolean;
  suspend: boolean;
}

export function readHelmChartSpec(raw: unknown, schema: SchemaNode): SpecReading<HelmChartSpec> {
  const invalid = specFailure(validateSchema(raw ?? {}, schema, 'spec'));
  if (invalid) return invalid;
  const spec = (raw ?? {}) as HelmChartObjectSpec;
  const valuesFiles = [...(spec.valuesFile ? [spec.valuesFile] : []), ...(spec.valuesFiles ?? [])];
  return {
    ok: true,
    spec: {
      chart: spec.chart,
      version: spec.version?.trim() || '*',
      sourceRef: { kind: spec.sourceRef.kind, name: spec.sourceRef.name },
      intervalMs: parseDuration(spec.interval) || 60_000,
      reconcileStrategy: spec.reconcileStrategy === 'Revision' ? 'Revision' : 'ChartVersion',
      valuesFiles: [...new Set(valuesFiles)],
      ignoreMissingValuesFiles: spec.ignoreMissingValuesFiles === true,
      suspend: spec.suspend === true,
    },
  };
}
