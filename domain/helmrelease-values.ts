// A HelmRelease's values, composed as helm-controller composes them (fluxcd/pkg chartutil
// values.go ChartValuesFromReferences, merge.go MergeMaps): each valuesFrom entry in order,
// its YAML deep-merged over what came before (maps merge, anything else is replaced), or, with
// a targetPath, the inline values merged in and then the raw text set at that path as Helm's
// `--set` would; the inline `spec.values` merged last.
//
// Ported with its aliasing: a merge copies only the top level and `--set` writes into the maps
// and lists it reaches, so a targetPath under a key the inline values also set writes into the
// inline values themselves and survives their final merge, while one at the top level does not
// (fluxcd/pkg chartutil values_test.go "target path precedence over all").
import { GoYamlError, readGoYaml, type GoMap, type GoValue } from './go-yaml.js';
import { parseSetInto, StrvalsError } from './helm-strvals.js';
import { mergeValues } from './merge-values.js';

export { mergeValues } from './merge-values.js';
import type { ValuesReference } from '../schemas/types.js';

/** The data of a ConfigMap or Secret the release names, Secret values decoded; undefined when it does not exist. */
export type ValuesSourceLookup = (kind: ValuesReference['kind'], name: string) => Record<string, string> | undefined;

/** Why a valuesFrom entry could not be used (ErrValuesRefReason). */
export const ValuesReferenceReason = {
  ResourceNotFound: 'resource not found',
  KeyNotFound: 'key not found',
  ValuesDataRead: 'failed to read values data',
  ValueMerge: 'failed to merge value',
} as const;
export type ValuesReferenceReason = (typeof ValuesReferenceReason)[keyof typeof ValuesReferenceReason];

/** ErrValuesReference: its message is Flux's, which the Ready condition and the event carry. */
export class ValuesReferenceError extends Error {
  constructor(
    readonly reason: ValuesReferenceReason,
    readonly reference: { kind: string; namespace: string; name: string; key: string; optional: boolean },
    cause?: string,
  ) {
    const { kind, namespace, name, key, optional } = reference;
    super(`could not resolve${optional ? ' optional' : ''} ${kind} chart values reference '${namespace}/${name}' with key '${key}': ${cause ?? reason}`);
  }
}

/** ValuesReference.GetValuesKey */
export function valuesKeyOf(reference: ValuesReference): string {
  return reference.valuesKey || 'values.yaml';
}

/**
 * The values Helm is given for a release in `namespace`. Throws ValuesReferenceError;
 * an optional reference is skipped only when its object or key is missing.
 */
export function composeValues(
  namespace: string,
  spec: { values?: Record<string, unknown>; valuesFrom?: ValuesReference[] },
  lookup: ValuesSourceLookup,
): GoMap {
  // Flux reads spec.values afresh on every reconcile, so the writes below never reach the spec.
  const inline = spec.values === undefined ? undefined : (structuredClone(spec.values) as GoMap);
  let result: GoMap = {};
  for (const reference of spec.valuesFrom ?? []) {
    const key = valuesKeyOf(reference);
    const described = { kind: reference.kind, namespace, name: reference.name, key, optional: reference.optional === true };
    const data = lookup(reference.kind, reference.name);
    if (data === undefined) {
      if (reference.optional) continue;
      // The API server's NotFound message, which Flux passes on.
      throw new ValuesReferenceError(ValuesReferenceReason.ResourceNotFound, described, `${reference.kind.toLowerCase()}s "${reference.name}" not found`);
    }
    if (!Object.hasOwn(data, key)) {
      if (reference.optional) continue;
      throw new ValuesReferenceError(ValuesReferenceReason.KeyNotFound, described);
    }
    const text = data[key]!;
    if (reference.targetPath) {
      result = mergeValues(result, inline);
      try {
        setPathValue(result, reference.targetPath, text);
      } catch (error) {
        if (error instanceof StrvalsError) throw new ValuesReferenceError(ValuesReferenceReason.ValueMerge, described, error.message);
        throw error;
      }
      continue;
    }
    let values: GoMap;
    try {
      values = readValues(text);
    } catch (error) {
      if (error instanceof GoYamlError) throw new ValuesReferenceError(ValuesReferenceReason.ValuesDataRead, described, error.message);
      throw error;
    }
    result = mergeValues(result, values);
  }
  return mergeValues(result, inline);
}

/** ReplacePathValue: a value in quotes is set as a string, without them (`--set-string`). */
function setPathValue(values: GoMap, path: string, value: string): void {
  const quoted = (quote: string) => value.startsWith(quote) && value.endsWith(quote);
  if (quoted("'") || quoted('"')) {
    // strings.Trim takes every quote of either kind off both ends.
    parseSetInto(`${path}=${value.replace(/^['"]+|['"]+$/g, '')}`, values, true);
  } else {
    parseSetInto(`${path}=${value}`, values, false);
  }
}

/** Helm's chartutil.ReadValues: a YAML map, or nothing. Throws GoYamlError with Go's message. */
export function readValues(text: string): GoMap {
  const value = readGoYaml(text);
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    const type = Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : 'string';
    throw new GoYamlError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${type} into Go value of type chartutil.Values`);
  }
  return value;
}

function isMap(value: GoValue | undefined): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
