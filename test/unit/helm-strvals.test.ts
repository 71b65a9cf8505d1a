// A valuesFrom targetPath sets its value as Helm's `--set` would. Expectations come from
// Helm itself: helm.sh/helm/v3 v3.21.4 pkg/strvals ParseInto run on the same lines (and
// fluxcd/pkg chartutil values_test.go TestReplacePathValue for the first ones).
import { describe, expect, it } from '@jest/globals';
import type { GoMap } from '../../domain/go-yaml.js';
import { parseSetInto } from '../../domain/helm-strvals.js';

const set = (line: string, into: GoMap = {}) => {
  parseSetInto(line, into, false);
  return into;
};

describe('--set lines', () => {
  it('sets nested keys, list items and inline lists', () => {
    expect(set('outer.inner=value')).toEqual({ outer: { inner: 'value' } });
    expect(set('name={a,b,c}')).toEqual({ name: ['a', 'b', 'c'] });
    expect(set('merge.at[2]=value')).toEqual({ merge: { at: [null, null, 'value'] } });
    expect(set('a[0][1]=x')).toEqual({ a: [[null, 'x']] });
    expect(set('a[1].b[2]=x')).toEqual({ a: [null, { b: [null, null, 'x'] }] });
    expect(set('a={}')).toEqual({ a: [''] });
    expect(set('a=')).toEqual({ a: '' });
  });

  it('takes an escaped character as it is', () => {
    expect(set('name=value1\\,value2')).toEqual({ name: 'value1,value2' });
    expect(set('nodeSelector.kubernetes\\.io/role=master')).toEqual({ nodeSelector: { 'kubernetes.io/role': 'master' } });
    expect(set('a.b=c\\')).toEqual({ a: { b: 'c' } });
  });

  it('types booleans, null and integers without a leading zero', () => {
    expect(set('a=True,b=FALSE,c=NULL,d=0,e=-0,f=+5,g=007,h=12345678901234567890,i=1.5')).toEqual({
      a: true,
      b: false,
      c: null,
      d: 0,
      e: 0,
      f: 5,
      g: '007',
      h: '12345678901234567890',
      i: '1.5',
    });
    const strings: GoMap = {};
    parseSetInto('a=true,b=5', strings, true);
    expect(strings).toEqual({ a: 'true', b: '5' });
  });

  it('starts another key after a comma', () => {
    expect(set('a=x,b=2')).toEqual({ a: 'x', b: 2 });
    expect(set('a=x,')).toEqual({ a: 'x' });
    expect(set('a={a,b},c=1')).toEqual({ a: ['a', 'b'], c: 1 });
    expect(set('a=x,b.c=1,b=2')).toEqual({ a: 'x', b: 2 });
    expect(set('a=x,=5')).toEqual({ a: 'x' });
  });

  it('writes into the lists it is given, unless it has to grow them', () => {
    const list = ['list', 'item', 'option'];
    set('nested.configuration[0]=value', { nested: { configuration: list } });
    expect(list).toEqual(['value', 'item', 'option']);
    const short = ['one'];
    const into = set('nested.configuration[3]=value', { nested: { configuration: short } });
    expect(short).toEqual(['one']);
    expect(into).toEqual({ nested: { configuration: ['one', null, null, 'value'] } });
  });

  it('fails with Helm’s words', () => {
    expect(() => set('a=x,b')).toThrow('key "b" has no value');
    expect(() => set('a={a,b')).toThrow("list must terminate with '}'");
    expect(() => set('a=x,b[0]y=1')).toThrow("unexpected data at end of array index: ['y']");
    expect(() => set('a=x,b[x]=1')).toThrow('error parsing index: strconv.Atoi: parsing "x": invalid syntax');
    expect(() => set('a=x,b[0')).toThrow('error parsing index: EOF');
    expect(() => set('a=x,b[-1]=2')).toThrow('negative -1 index not allowed');
    expect(() => set('a=x,b[70000]=1')).toThrow('index of 70000 is greater than maximum supported index of 65536');
    expect(() => set('a=x,b.c')).toThrow('key "c" has no value');
    expect(() => set('a=x,b=1,b.c=2')).toThrow('unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}');
    expect(() => set('a=x,b=1,b[0]=2')).toThrow('unable to parse key: interface conversion: interface {} is int64, not []interface {}');
  });
});
