// Merging Helm values as Flux does (fluxcd/pkg chartutil MergeMaps, after Helm's own): a
// copy of the first with the second over it, maps merged key by key, recursively; anything
// else (a list, a scalar, null, a map meeting a scalar) replaced by the later value.
// HelmChart's values files and HelmRelease's valuesFrom both merge this way.
import { setEntry, type GoMap, type GoValue } from './go-yaml.js';

export type Values = GoMap;

export function isValuesMap(value: unknown): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeValues(a: GoMap, b: GoMap | undefined): GoMap {
  const out: GoMap = {};
  for (const [key, value] of Object.entries(a)) setEntry(out, key, value);
  for (const [key, value] of Object.entries(b ?? {})) {
    const current: GoValue | undefined = Object.hasOwn(out, key) ? out[key] : undefined;
    setEntry(out, key, isValuesMap(value) && isValuesMap(current) ? mergeValues(current, value) : value);
  }
  return out;
}
