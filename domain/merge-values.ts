// Merging Helm values as Flux does (fluxcd/pkg runtime/transform MergeMaps, after Helm's
// own): maps merge key by key, recursively; anything else — a list, a scalar, null, a map
// meeting a scalar — is replaced by the later value.
export type Values = Record<string, unknown>;

export function isValuesMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeValues(base: Values, overlay: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isValuesMap(value) && isValuesMap(current) ? mergeValues(current, value) : value;
  }
  return merged;
}
