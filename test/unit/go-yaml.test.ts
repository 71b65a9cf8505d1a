// Helm values read and written as Go's yaml.v2 does, so a valuesFrom entry means what it
// means to Flux and the config digest hashes Flux's bytes. Every expectation below was
// produced by Go, not by this code: Helm v3.21.4 chartutil.ReadValues and fluxcd/pkg
// chartutil Encode + SortMapSlice, run with go.yaml.in/yaml/v2 v2.4.4 and sigs.k8s.io/yaml
// v1.6.0 from the module cache (the same libraries helm-controller v1.4 links).
import { describe, expect, it } from '@jest/globals';
import { encodeSortedYaml } from '../../domain/go-yaml-emitter.js';
import { readValues } from '../../domain/helmrelease-values.js';

describe('reading values YAML as Helm does', () => {
  it('reads YAML 1.1 words, Go integer forms and out-of-range floats as Go does', () => {
    const values = readValues(
      [
        'a: 1',
        'b: yes',
        'c: off',
        'd: ~',
        'e: 0x1F',
        'f: 017',
        'g: 1e3',
        'h: 1_000',
        'i: .5',
        'j: 2024-01-02',
        'k: "quoted"',
        'l: 1:20',
        'm: +5',
        'n: 08',
        'o: -0b11',
        'p: 0o17',
        'q: 9223372036854775808',
        'r: 99999999999999999999',
        's: 1.5e400',
        't: Y',
        'u: !!str 5',
        'v: !!float 3',
        'w: !!binary aGVsbG8=',
        'x: !custom foo',
        'y:',
        'z: [1, two, 3.0]',
      ].join('\n'),
    );
    // `n` and `y` are YAML 1.1 booleans as keys too.
    expect(values).toEqual({
      a: 1,
      b: true,
      c: false,
      d: null,
      e: 31,
      f: 15,
      false: 8,
      g: 1000,
      h: 1000,
      i: 0.5,
      j: '2024-01-02',
      k: 'quoted',
      l: '1:20',
      m: 5,
      o: -3,
      p: 15,
      q: 9223372036854775808,
      r: 100000000000000000000,
      s: '1.5e400',
      t: true,
      true: null,
      u: '5',
      v: 3,
      w: 'hello',
      x: 'foo',
      z: [1, 'two', 3],
    });
  });

  it('merges `<<` keys where they stand, earlier maps of a list winning', () => {
    const values = readValues('base: &b {x: 1, k: 2}\nover:\n  <<: *b\n  k: 3\nlist:\n  <<: [{p: 1, q: 1}, {q: 2, r: 2}]\nlater:\n  a: 1\n  <<: {a: 2}\ndup: 1\ndup: 2\n');
    expect(values).toEqual({ base: { x: 1, k: 2 }, over: { x: 1, k: 3 }, list: { p: 1, q: 1, r: 2 }, later: { a: 2 }, dup: 2 });
  });

  it('names keys as sigs.k8s.io/yaml does and reads only the first document', () => {
    expect(readValues('1: int key\ntrue: bool key\n1.5: float key\n0x10: hex key\n')).toEqual({ '1': 'int key', true: 'bool key', '1.5': 'float key', '16': 'hex key' });
    expect(readValues('first: 1\n---\nsecond: 2\n')).toEqual({ first: 1 });
    expect(readValues('')).toEqual({});
    expect(readValues('# just a comment\n')).toEqual({});
    expect(readValues('null')).toEqual({});
  });

  it('fails with Go’s words for what is not a map of values', () => {
    const cannot = (type: string) => `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${type} into Go value of type chartutil.Values`;
    expect(() => readValues('\ninvalid')).toThrow(cannot('string'));
    expect(() => readValues('- a\n- b\n')).toThrow(cannot('array'));
    expect(() => readValues('42')).toThrow(cannot('number'));
    expect(() => readValues('true')).toThrow(cannot('bool'));
    expect(() => readValues('a: .nan')).toThrow('error converting YAML to JSON: json: unsupported value: NaN');
    expect(() => readValues('a: .inf')).toThrow('error converting YAML to JSON: json: unsupported value: +Inf');
    expect(() => readValues('x: !!int abc\n')).toThrow('error converting YAML to JSON: yaml: cannot decode !!str `abc` as a !!int');
    expect(() => readValues('~: nullkey\n')).toThrow('error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>, value: "nullkey"');
  });

  it('names the line of malformed YAML (the wording is the parser’s, not Go’s)', () => {
    expect(() => readValues('a: 1\n b: 2\n')).toThrow(/^error converting YAML to JSON: yaml: line \d+: /);
  });
});

describe('writing values as Flux does before hashing', () => {
  it('quotes a string only when it would read back as something else', () => {
    expect(
      encodeSortedYaml({
        words: ['yes', 'No', 'on', 'y', '~', 'null', 'true'],
        numbers: ['123', '0x1F', '017', '1e3', '1_000', '.5', '1:20', '2024-01-02'],
        notNumbers: ['1.2.3', 'v1.2.3', '2024-13-02', '0x', '1e400'],
        indicators: ['', ' lead', 'a: b', '#x', 'a #b', '- x', '-x', "it's", "'q'", '@at'],
        escaped: ['tab\there', 'emoji 😀', 'del\u007f'],
      }),
    ).toBe(
      [
        'escaped:',
        '- "tab\\there"',
        '- "emoji \\U0001F600"',
        '- "del\\x7F"',
        'indicators:',
        '- ""',
        "- ' lead'",
        "- 'a: b'",
        "- '#x'",
        "- 'a #b'",
        "- '- x'",
        '- -x',
        "- it's",
        "- '''q'''",
        "- '@at'",
        'notNumbers:',
        '- 1.2.3',
        '- v1.2.3',
        '- 2024-13-02',
        '- 0x',
        '- 1e400',
        'numbers:',
        '- "123"',
        '- "0x1F"',
        '- "017"',
        '- "1e3"',
        '- "1_000"',
        '- ".5"',
        '- "1:20"',
        '- "2024-01-02"',
        'words:',
        '- "yes"',
        '- "No"',
        '- "on"',
        '- "y"',
        '- "~"',
        '- "null"',
        '- "true"',
        '',
      ].join('\n'),
    );
  });

  it('writes multi-line strings as literal blocks with Go’s chomping and indent hints', () => {
    expect(encodeSortedYaml({ script: 'set -e\necho done\n', keep: 'a\n\n', strip: 'a\nb', indented: ' lead\nx', trailing: 'x \ny' })).toBe(
      'indented: |2-\n   lead\n  x\nkeep: |+\n  a\n\nscript: |\n  set -e\n  echo done\nstrip: |-\n  a\n  b\ntrailing: "x \\ny"\n',
    );
  });

  it('sorts keys, leaves sequences unindented, folds long strings past column 80', () => {
    const description = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua';
    expect(encodeSortedYaml({ description, ports: [{ protocol: 'TCP', port: 8080 }], matrix: [[1, 2], []], empty: {}, none: null })).toBe(
      [
        'description: lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod',
        '  tempor incididunt ut labore et dolore magna aliqua',
        'empty: {}',
        'matrix:',
        '- - 1',
        '  - 2',
        '- []',
        'none: null',
        'ports:',
        '- port: 8080',
        '  protocol: TCP',
        '',
      ].join('\n'),
    );
  });

  it('writes whole numbers as integers and the rest as strconv’s %g', () => {
    expect(encodeSortedYaml({ half: 0.5, tiny: 1e-7, million: 1e6, big: 1234567.5, huge: 1e21, int64: 2 ** 63, negative: -3 })).toBe(
      'big: 1.2345675e+06\nhalf: 0.5\nhuge: 1e+21\nint64: 9223372036854775808\nmillion: 1000000\nnegative: -3\ntiny: 1e-07\n',
    );
  });

  it('quotes timestamps and integers of any width, but not impossible dates or a merge key', () => {
    expect(encodeSortedYaml({ a: '2024-1-2t3:4:5.1+01:00', b: '18446744073709551615', c: '-9223372036854775809', d: '<<', e: '2024-02-30' })).toBe(
      'a: "2024-1-2t3:4:5.1+01:00"\nb: "18446744073709551615"\nc: "-9223372036854775809"\nd: <<\ne: 2024-02-30\n',
    );
  });

  it('writes an empty map as a flow map', () => {
    // fluxcd/pkg chartutil encode_test.go "empty map"
    expect(encodeSortedYaml({})).toBe('{}\n');
  });
});
