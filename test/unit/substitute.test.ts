// postBuild substitution as Flux v2.7 does it. The expected values are Flux's: the
// kustomize-controller docs ("Post build variable substitution"), fluxcd/pkg
// envsubst/eval_test.go, and what envsubst's parse.go, funcs.go and template.go and
// kustomize/kustomize_varsub.go of that release do with the input.
import { describe, expect, it } from '@jest/globals';
import { envsubst, postBuildVariables, substituteVariables, substitutionDisabled, SubstitutionError, validVariableName } from '../../domain/substitute.js';

const where = 'ConfigMap/apps/settings';
const strict = { strict: true };
const failure = (cause: string) => new SubstitutionError(`post build failed for '${where}': envsubst error: variable substitution failed: ${cause}`);

describe('postBuild substitution', () => {
  describe('variables and defaults', () => {
    it('replaces ${var} with its value, and an unset one with an empty string', () => {
      expect(substituteVariables('name: ${cluster_name}-app\nregion: ${region}\n', { cluster_name: 'production' }, { where })).toBe('name: production-app\nregion: \n');
    });

    it('puts a value into the YAML text as it is, so a number stays a number', () => {
      expect(envsubst('replicas: ${count}\nlabel: "${count}"\n', { count: '3' })).toBe('replicas: 3\nlabel: "3"\n');
      expect(envsubst('key: ${value}', { value: 'a: b' })).toBe('key: a: b');
    });

    it('uses the default of ${var:=default} when the variable is unset or empty', () => {
      expect(envsubst('${var:=xyz}', {})).toBe('xyz');
      expect(envsubst('${var:=xyz}', { var: '' })).toBe('xyz');
      expect(envsubst('${var:=xyz}', { var: 'abc' })).toBe('abc');
      expect(envsubst('${var:=}', {})).toBe('');
    });

    it('treats =, :-, :? and :+ exactly like :=, the default whenever the value is empty', () => {
      for (const operator of ['=', ':-', ':?', ':+']) {
        expect(envsubst(`\${var${operator}xyz}`, {})).toBe('xyz');
        expect(envsubst(`\${var${operator}xyz}`, { var: '' })).toBe('xyz');
        expect(envsubst(`\${var${operator}xyz}`, { var: 'abc' })).toBe('abc');
      }
    });

    it('builds a default from text and other variables', () => {
      expect(envsubst('something ${var=${default_var}}', { default_var: 'foo' })).toBe('something foo');
      expect(envsubst('foo: ${var=prefix${default_var}-suffix}', { default_var: 'foo1' })).toBe('foo: prefixfoo1-suffix');
      expect(envsubst('${var=${var01^^}}', { var01: 'abcdEFGH28ij' })).toBe('ABCDEFGH28IJ');
    });

    it('fails on ${var-default}, ${var+word} and ${var?word}, which Flux does not parse', () => {
      for (const text of ['${var-default}', '${var+word}', '${var?word}']) {
        expect(() => substituteVariables(text, { var: 'x' }, { where })).toThrow(failure('missing closing brace'));
      }
    });

    it('does not take a variable named like an Object property from the prototype', () => {
      expect(envsubst('${constructor}|${toString:=none}', {})).toBe('|none');
    });
  });

  describe('escapes', () => {
    it('keeps $var as text and makes $${var} a literal ${var}', () => {
      expect(envsubst('command: echo $HOME $${HOME}', { HOME: '/root' })).toBe('command: echo $HOME ${HOME}');
      expect(envsubst('some text ${var01}$${var$${var01}$var01${var01}', { var01: 'abcdEFGH28ij' })).toBe('some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij');
      expect(envsubst('something $${var=${default_var}}', { default_var: 'foo' })).toBe('something ${var=foo}');
    });

    it('halves every $$ in the text, but not in a default', () => {
      expect(envsubst('password: pa$$word', { any: 'x' })).toBe('password: pa$word');
      expect(envsubst('password: ${pw:=pa$$word}', {})).toBe('password: pa$$word');
    });

    it('leaves backslashes outside ${...} alone, and lets \\/ stand for / in a pattern', () => {
      expect(envsubst('\\\\something ${var=${default_var}}', { default_var: 'foo' })).toBe('\\\\something foo');
      expect(envsubst('${stringZ/\\//-}', { stringZ: 'foo/bar' })).toBe('foo-bar');
      expect(envsubst('${stringZ//\\//-}', { stringZ: 'foo/bar/baz' })).toBe('foo-bar-baz');
    });
  });

  describe('bash string functions', () => {
    const v = (text: string, variables: Record<string, string>) => envsubst(text, variables);

    it('gives the length, and changes case', () => {
      expect(v('${#var01}', { var01: 'abcdEFGH28ij' })).toBe('12');
      expect(v('${var01^}', { var01: 'abcdEFGH28ij' })).toBe('AbcdEFGH28ij');
      expect(v('${var01^^}', { var01: 'abcdEFGH28ij' })).toBe('ABCDEFGH28IJ');
      expect(v('${var01,}', { var01: 'ABCDEFGH28IJ' })).toBe('aBCDEFGH28IJ');
      expect(v('${var01,,}', { var01: 'ABCDEFGH28IJ' })).toBe('abcdefgh28ij');
    });

    it('counts the length in UTF-8 bytes, as Go does', () => {
      expect(v('${#word}', { word: 'café' })).toBe('5');
    });

    it('takes substrings by offset and length', () => {
      const path_name = '/home/bozo/ideas/thoughts.for.today';
      expect(v('${path_name:11}', { path_name })).toBe('ideas/thoughts.for.today');
      expect(v('${path_name:11:5}', { path_name })).toBe('ideas');
      expect(v('${path_name:11:500}', { path_name })).toBe('ideas/thoughts.for.today');
      expect(v('${path_name:500}', { path_name })).toBe('');
    });

    it('leaves the value whole when an offset is not a plain number, so ${var: -2} does not count from the end', () => {
      expect(v('${word: -2}', { word: 'abcdef' })).toBe('abcdef');
      expect(v('${word:x}', { word: 'abcdef' })).toBe('abcdef');
      expect(v('${word:${offset}}', { word: 'abcdef', offset: '-2' })).toBe('ef');
      expect(v('${word:${offset}}', { word: 'abcdef', offset: '-20' })).toBe('abcdef');
    });

    it('fails on a negative substring length and on a substring that cuts a character, where Go panics or writes broken UTF-8', () => {
      expect(() => substituteVariables('${word:1:${length}}', { word: 'abcdef', length: '-1' }, { where })).toThrow(failure('substring length -1 is negative'));
      expect(() => v('${word:0:4}', { word: 'café' })).toThrow(SubstitutionError);
      expect(v('${word:0:5}', { word: 'café' })).toBe('café');
    });

    it('replaces the first, every, a leading or a trailing match', () => {
      const stringZ = 'abcABC123ABCabc';
      expect(v('${stringZ/abc/xyz}', { stringZ })).toBe('xyzABC123ABCabc');
      expect(v('${stringZ//abc/xyz}', { stringZ })).toBe('xyzABC123ABCxyz');
      expect(v('${stringZ/#abc/XYZ}', { stringZ })).toBe('XYZABC123ABCabc');
      expect(v('${stringZ/%abc/XYZ}', { stringZ })).toBe('abcABC123ABCXYZ');
      expect(v('${stringZ/./}', { stringZ: 'foo.bar' })).toBe('foobar');
      expect(v('${stringZ/$/€}', { stringZ: 'cost: $5' })).toBe('cost: €5');
    });

    it('takes a replacement as plain text, not as a JavaScript replace pattern', () => {
      expect(v('${word//a/$&$1}', { word: 'banana' })).toBe('b$&$1n$&$1n$&$1');
    });

    it('leaves the value unchanged for /# and /% without a replacement, and fails on an empty pattern', () => {
      expect(v('${word/#ab/}', { word: 'abc' })).toBe('abc');
      expect(() => substituteVariables('${word/#/prefix-}', { word: 'value' }, { where })).toThrow(failure('unable to parse substitution within function'));
      expect(() => substituteVariables('${word/a}', { word: 'value' }, { where })).toThrow(failure('bad substitution'));
    });

    it('removes the shortest or the longest match of a glob from the start or the end', () => {
      expect(v('${filename#*.}', { filename: 'bash.string.txt' })).toBe('string.txt');
      expect(v('${filename##*.}', { filename: 'bash.string.txt' })).toBe('txt');
      expect(v('${filename%.*}', { filename: 'bash.string.txt' })).toBe('bash.string');
      expect(v('${filename%%.*}', { filename: 'bash.string.txt' })).toBe('bash');
      expect(v('${filename#*/}', { filename: '/path/to/file' })).toBe('path/to/file');
      expect(v('${filename##*/}', { filename: 'path/to/file' })).toBe('file');
      expect(v('${tag#[a-z]}', { tag: 'v1.2' })).toBe('1.2');
    });

    it('never matches a bracket class at the end, since the pattern is reversed', () => {
      expect(v('${tag%[0-9]}', { tag: 'v12' })).toBe('v12');
    });
  });

  describe('strict mode (StrictPostBuildSubstitutions)', () => {
    it('fails on a ${var} without a value, naming the object and the variable', () => {
      expect(() => substituteVariables('host: ${domain}', { cluster: 'prod' }, { where, strict: true })).toThrow(failure('variable not set (strict mode): "domain"'));
    });

    it('accepts a variable set to the empty string, and a missing one with a default', () => {
      expect(envsubst('${foo}', { foo: '' }, strict)).toBe('');
      expect(envsubst('${missing:=default}', {}, strict)).toBe('default');
      expect(envsubst('${missing=assigned}|${missing:-fallback}', {}, strict)).toBe('assigned|fallback');
    });

    it('fails on a variable missing inside a default', () => {
      expect(() => envsubst('${a:=${b}}', {}, strict)).toThrow(new SubstitutionError('variable not set (strict mode): "b"'));
    });

    it('lets a missing variable through a string function, as Flux v2.7 does (fixed after it, fluxcd/flux2#5836)', () => {
      expect(envsubst('${#missing}|${missing^^}|${missing/a/b}|${missing:0:2}', {}, strict)).toBe('0|||');
    });
  });

  describe('what fails to parse', () => {
    it('names the parse error Flux names', () => {
      const cases: [string, string][] = [
        ['name: ${unclosed', 'missing closing brace'],
        ['name: ${a.b}', 'missing closing brace'],
        ['name: ${}', 'unable to parse variable name'],
        ['name: ${ spaced}', 'unable to parse variable name'],
        ['name: ${', 'unable to parse variable name'],
        ['name: ${word:}', 'unable to parse substitution within function'],
        ['name: ${word#}', 'unable to parse substitution within function'],
        ['name: ${word:=abc', 'unable to parse substitution within function'],
        ['name: ${#}', 'bad substitution'],
        ['name: ${#word:1}', 'bad substitution'],
        ['name: ${word^^^}', 'bad substitution'],
        ['name: ${word:é}', 'bad substitution'],
      ];
      for (const [text, cause] of cases) expect(() => substituteVariables(text, { word: 'x' }, { where })).toThrow(failure(cause));
    });
  });

  describe('variable names', () => {
    it('refuses a name Flux\'s regular expression rejects, with Flux\'s message', () => {
      expect(() => substituteVariables('name: ${cluster_name}', { cluster_name: 'a', 'cluster-name': 'b' }, { where })).toThrow(
        new SubstitutionError(`post build failed for '${where}': envsubst error: 'cluster-name' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`),
      );
    });

    it('accepts ASCII letters, digits and _ only, not starting with a digit', () => {
      expect(validVariableName('cluster_name')).toBe(true);
      expect(validVariableName('_Region2')).toBe(true);
      expect(validVariableName('cluster-name')).toBe(false);
      expect(validVariableName('1x')).toBe(false);
      expect(validVariableName('région')).toBe(false);
    });
  });

  describe('where the variables come from', () => {
    it('reads substituteFrom in order, a later one winning, then substitute over all of them', () => {
      const fromConfigMap = { region: 'eu-west-1', env: 'dev', tier: 'web' };
      const fromSecret = { env: 'staging', token: 's3cret' };
      expect(postBuildVariables([fromConfigMap, fromSecret], { env: 'prod' })).toEqual({ region: 'eu-west-1', env: 'prod', tier: 'web', token: 's3cret' });
      expect(postBuildVariables([], undefined)).toEqual({});
    });

    it('removes newlines from every value, and nothing else', () => {
      expect(postBuildVariables([{ key: '-----BEGIN-----\nabc\n-----END-----\n' }], { crlf: 'a\r\nb' })).toEqual({ key: '-----BEGIN-----abc-----END-----', crlf: 'a\rb' });
    });

    it('skips an object labelled or annotated substitute: disabled, and only with that exact value', () => {
      expect(substitutionDisabled({ labels: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } })).toBe(true);
      expect(substitutionDisabled({ annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } })).toBe(true);
      expect(substitutionDisabled({ annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'Disabled' } })).toBe(false);
      expect(substitutionDisabled({ labels: {} })).toBe(false);
      expect(substitutionDisabled(undefined)).toBe(false);
    });
  });
});
