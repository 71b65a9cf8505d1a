// The values a HelmRelease gives Helm, composed from valuesFrom and spec.values as Flux
// composes them. The first four cases are fluxcd/pkg chartutil values_test.go's; the others'
// expectations come from Flux's ChartValuesFromReferences itself, run in Go (with the client
// replaced by the same ConfigMap and Secret data) against Helm v3.21.4's strvals and ReadValues.
import { describe, expect, it } from '@jest/globals';
import { composeValues, valuesKeyOf, ValuesReferenceError, ValuesReferenceReason, type ValuesSourceLookup } from '../../domain/helmrelease-values.js';
import type { ValuesReference } from '../../schemas/types.js';

type Sources = Partial<Record<ValuesReference['kind'], Record<string, Record<string, string>>>>;
const from = (sources: Sources): ValuesSourceLookup => (kind, name) => sources[kind]?.[name];
const compose = (sources: Sources, valuesFrom: ValuesReference[], values?: Record<string, unknown>) => composeValues('ns', { values, valuesFrom }, from(sources));

describe('valuesFrom and values', () => {
  it('merges references in order, maps deeply, then the inline values', () => {
    const values = compose(
      {
        ConfigMap: { values: { 'values.yaml': 'flat: value\nnested:\n  configuration: value\n' } },
        Secret: { values: { 'values.yaml': 'flat:\n  nested: value\nnested: value\n' } },
      },
      [
        { kind: 'ConfigMap', name: 'values' },
        { kind: 'Secret', name: 'values' },
      ],
      { other: 'values' },
    );
    expect(values).toEqual({ flat: { nested: 'value' }, nested: 'value', other: 'values' });
  });

  it('sets a single value at a target path', () => {
    const values = compose({ Secret: { values: { single: 'value' } } }, [{ kind: 'Secret', name: 'values', valuesKey: 'single', targetPath: 'merge.at.specific.path' }]);
    expect(values).toEqual({ merge: { at: { specific: { path: 'value' } } } });
  });

  it('lets a target path under an inline key win over everything (Flux’s "target path precedence over all")', () => {
    const values = compose(
      {
        ConfigMap: { values: { 'values.yaml': 'flat: value\nnested:\n  configuration:\n  - one\n  - two\n  - three\n' } },
        Secret: { values: { key: 'value' } },
      },
      [
        { kind: 'Secret', name: 'values', valuesKey: 'key', targetPath: 'nested.configuration[0]' },
        { kind: 'ConfigMap', name: 'values' },
      ],
      { nested: { configuration: ['list', 'item', 'option'] } },
    );
    expect(values).toEqual({ flat: 'value', nested: { configuration: ['value', 'item', 'option'] } });
  });

  it('sets a list item of an earlier reference', () => {
    const values = compose(
      {
        ConfigMap: { values: { 'values.yaml': 'flat: value\nnested:\n  configuration:\n  - list\n  - item\n  - option\n' } },
        Secret: { values: { 'values.yaml': 'foo' } },
      },
      [
        { kind: 'ConfigMap', name: 'values' },
        { kind: 'Secret', name: 'values', targetPath: 'nested.configuration[1]' },
      ],
      { other: 'values' },
    );
    expect(values).toEqual({ flat: 'value', nested: { configuration: ['list', 'foo', 'option'] }, other: 'values' });
  });

  it('gives a top-level inline value precedence over a target path, as Flux’s merge does', () => {
    expect(compose({ Secret: { s: { replicas: '3' } } }, [{ kind: 'Secret', name: 's', valuesKey: 'replicas', targetPath: 'replicas' }], { replicas: 1 })).toEqual({ replicas: 1 });
  });

  it('lets a target path win inside an inline map, unless an earlier reference set that map too', () => {
    const secret = { Secret: { s: { v: 'from-secret' } } };
    const reference: ValuesReference = { kind: 'Secret', name: 's', valuesKey: 'v', targetPath: 'image.tag' };
    expect(compose(secret, [reference], { image: { tag: 'inline', repository: 'nginx' } })).toEqual({ image: { repository: 'nginx', tag: 'from-secret' } });
    expect(compose({ ...secret, ConfigMap: { c: { 'values.yaml': 'image:\n  tag: cm\n' } } }, [{ kind: 'ConfigMap', name: 'c' }, reference], { image: { tag: 'inline' } })).toEqual({
      image: { tag: 'inline' },
    });
    expect(compose({ Secret: { s: { v: 'x' } } }, [{ kind: 'Secret', name: 's', valuesKey: 'v', targetPath: 'a.b.c' }], { a: { b: { d: 1 } } })).toEqual({ a: { b: { c: 'x', d: 1 } } });
  });

  it('sets a quoted value as a string, the quotes taken off', () => {
    const at = (value: string) => compose({ Secret: { s: { v: value } } }, [{ kind: 'Secret', name: 's', valuesKey: 'v', targetPath: 'p' }]);
    expect(at('true')).toEqual({ p: true });
    expect(at('"true"')).toEqual({ p: 'true' });
    expect(at("'007'")).toEqual({ p: '007' });
    expect(at('\'"mixed"\'')).toEqual({ p: 'mixed' });
    expect(at("'")).toEqual({ p: '' });
  });

  it('never changes the spec it reads', () => {
    const inline = { nested: { configuration: ['list', 'item', 'option'] } };
    compose({ Secret: { values: { key: 'value' } } }, [{ kind: 'Secret', name: 'values', valuesKey: 'key', targetPath: 'nested.configuration[0]' }], inline);
    expect(inline).toEqual({ nested: { configuration: ['list', 'item', 'option'] } });
  });

  it('skips an optional reference whose object or key is missing', () => {
    expect(compose({}, [{ kind: 'Secret', name: 'missing', optional: true }])).toEqual({});
    expect(compose({ ConfigMap: { values: {} } }, [{ kind: 'ConfigMap', name: 'values', valuesKey: 'nonexisting', optional: true }])).toEqual({});
  });

  it('defaults the key to values.yaml', () => {
    expect(valuesKeyOf({ kind: 'Secret', name: 's' })).toBe('values.yaml');
    expect(valuesKeyOf({ kind: 'Secret', name: 's', valuesKey: 'custom.yaml' })).toBe('custom.yaml');
  });
});

describe('values that cannot be composed', () => {
  const failure = (sources: Sources, valuesFrom: ValuesReference[]) => {
    try {
      compose(sources, valuesFrom);
    } catch (error) {
      if (error instanceof ValuesReferenceError) return error;
    }
    throw new Error('expected a ValuesReferenceError');
  };

  it('names a missing object with the API server’s words', () => {
    expect(failure({}, [{ kind: 'Secret', name: 'missing' }]).message).toBe("could not resolve Secret chart values reference 'ns/missing' with key 'values.yaml': secrets \"missing\" not found");
    const error = failure({}, [{ kind: 'ConfigMap', name: 'missing' }]);
    expect(error.message).toBe("could not resolve ConfigMap chart values reference 'ns/missing' with key 'values.yaml': configmaps \"missing\" not found");
    expect(error.reason).toBe(ValuesReferenceReason.ResourceNotFound);
  });

  it('names a missing key', () => {
    const error = failure({ Secret: { values: {} } }, [{ kind: 'Secret', name: 'values', valuesKey: 'nonexisting' }]);
    expect(error.message).toBe("could not resolve Secret chart values reference 'ns/values' with key 'nonexisting': key not found");
    expect(error.reason).toBe(ValuesReferenceReason.KeyNotFound);
  });

  it('fails on values that are not a map, even for an optional reference', () => {
    expect(failure({ ConfigMap: { values: { 'values.yaml': '\ninvalid' } } }, [{ kind: 'ConfigMap', name: 'values' }]).message).toBe(
      "could not resolve ConfigMap chart values reference 'ns/values' with key 'values.yaml': error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type chartutil.Values",
    );
    const optional = failure({ ConfigMap: { values: { 'values.yaml': '- a' } } }, [{ kind: 'ConfigMap', name: 'values', optional: true }]);
    expect(optional.message).toMatch(/^could not resolve optional ConfigMap chart values reference 'ns\/values' with key 'values.yaml': error unmarshaling JSON/);
    expect(optional.reason).toBe(ValuesReferenceReason.ValuesDataRead);
  });

  it('passes on Helm’s --set errors for a target path', () => {
    expect(failure({ Secret: { s: { v: 'x,b' } } }, [{ kind: 'Secret', name: 's', valuesKey: 'v', targetPath: 'a' }]).message).toBe(
      "could not resolve Secret chart values reference 'ns/s' with key 'v': key \"b\" has no value",
    );
    const error = (() => {
      try {
        composeValues('ns', { values: { a: 'scalar' }, valuesFrom: [{ kind: 'Secret', name: 's', valuesKey: 'v', targetPath: 'a.b' }] }, from({ Secret: { s: { v: '2' } } }));
      } catch (caught) {
        return caught as ValuesReferenceError;
      }
      throw new Error('expected a ValuesReferenceError');
    })();
    expect(error.message).toBe(
      "could not resolve Secret chart values reference 'ns/s' with key 'v': unable to parse key: interface conversion: interface {} is string, not map[string]interface {}",
    );
    expect(error.reason).toBe(ValuesReferenceReason.ValueMerge);
  });
});
