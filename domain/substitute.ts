// postBuild variable substitution, as Flux v2.7's kustomize-controller (v1.7) does it:
// fluxcd/pkg kustomize SubstituteVariables over each built object's YAML text with
// fluxcd/pkg envsubst (a fork of drone/envsubst), the result parsed as YAML again. So a
// value lands in the text as it is — `replicas: ${count}` becomes a number, and a value
// with `: ` or a quote can break the YAML — and its newlines are removed first.
//
// The evaluator below is a port of fluxcd/pkg envsubst's scanner, parser and functions
// as Flux v2.7 ships them, quirks included, rather than an npm package: those on the
// registry (envsub, @tuplo/envsubst, @inventage/envsubst) read the environment,
// substitute `$var` (which Flux leaves alone) and have none of the bash functions.
// What Flux's envsubst does and a reader might not expect:
// - `$$` is one literal `$` in the text and in a replace pattern (so `$${var}` is
//   `${var}`), though not in a default; `$var` is left as it is.
// - Every default operator (`:=`, `=`, `:-`, `:?`, `:+`) means "the default when the
//   value is empty", set or not; `${v-d}`, `${v+d}` and `${v?d}` are parse errors.
// - Unset variables are empty, unless strict (the StrictPostBuildSubstitutions feature
//   gate), which fails only on a bare `${var}` that has no value.
// - Lengths and substring offsets count UTF-8 bytes, as Go's len does.
// - `#`, `##`, `%`, `%%` take a glob (drone's path.Match, whose `*` also matches `/`);
//   the suffix forms reverse the pattern, so a bracket class there never matches.
// Where Go would cut a character in two or panic (a negative substring length), this
// fails with an error instead. Patterns are matched per character, not per byte.

/** Flux's variable name check, as its error message spells it ([:alpha:] is ASCII in Go). */
const variableNameRegex = '^[_[:alpha:]][_[:alpha:][:digit:]]*$';
const variableNamePattern = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** The label or annotation that opts one object out of substitution, with the value `disabled`. */
const substituteKey = 'kustomize.toolkit.fluxcd.io/substitute';

export class SubstitutionError extends Error {
  override readonly name = 'SubstitutionError';
  /** fixed by a change in Git or in the spec, not by retrying */
  readonly retryable = false;
}

export interface SubstituteOptions {
  /** Flux's StrictPostBuildSubstitutions: a `${var}` without a value is an error, not an empty string */
  strict?: boolean;
}

export function validVariableName(name: string): boolean {
  return variableNamePattern.test(name);
}

/** Whether an object is labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` (case-sensitive, as Flux compares). */
export function substitutionDisabled(metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): boolean {
  return metadata?.labels?.[substituteKey] === 'disabled' || metadata?.annotations?.[substituteKey] === 'disabled';
}

/**
 * The variables, as Flux loads them: each substituteFrom's data in order, a later one
 * overwriting an earlier one, then spec.postBuild.substitute over all of them; every
 * value with its newlines removed.
 */
export function postBuildVariables(substituteFrom: readonly Readonly<Record<string, string>>[], substitute?: Readonly<Record<string, string>>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const data of [...substituteFrom, substitute ?? {}]) {
    for (const [name, value] of Object.entries(data)) variables[name] = value.replaceAll('\n', '');
  }
  return variables;
}

/** Flux's error for an object whose substitution failed; `where` names the object. */
export function postBuildFailure(where: string, cause: string): SubstitutionError {
  return new SubstitutionError(`post build failed for '${where}': ${cause}`);
}

/**
 * One built object's YAML text with its variables substituted, as Flux's varSubstitution
 * does it: every variable name checked, then envsubst. Flux substitutes only when there is
 * at least one variable; that choice, and the disabled opt-out, are the caller's.
 */
export function substituteVariables(text: string, variables: Readonly<Record<string, string>>, options: SubstituteOptions & { where: string }): string {
  const invalid = Object.keys(variables).find((name) => !validVariableName(name));
  if (invalid !== undefined) throw postBuildFailure(options.where, `envsubst error: '${invalid}' var name is invalid, must match '${variableNameRegex}'`);
  try {
    return envsubst(text, variables, options);
  } catch (error) {
    if (error instanceof SubstitutionError) throw postBuildFailure(options.where, `envsubst error: variable substitution failed: ${error.message}`);
    throw error;
  }
}

/** fluxcd/pkg envsubst's Eval: the text with `${...}` expanded; a SubstitutionError says why it cannot be. */
export function envsubst(text: string, variables: Readonly<Record<string, string>>, options: SubstituteOptions = {}): string {
  const lookup = (name: string) => (Object.hasOwn(variables, name) ? variables[name]! : undefined);
  return evaluate(new Parser(text).parse(), lookup, options.strict ?? false);
}

// ---- the parse tree

type Node = { text: string } | FuncNode;
interface FuncNode {
  param: string;
  /** the operator as written: '' for a bare ${var}, ':=', '//', '#', '^^', ... */
  operator: string;
  args: Node[][];
}

const parseErrors = {
  badSubstitution: 'bad substitution',
  missingClosingBrace: 'missing closing brace',
  variableName: 'unable to parse variable name',
  funcSubstitution: 'unable to parse substitution within function',
  defaultFunction: 'unable to parse default function',
} as const;

// ---- the scanner (envsubst/parse/scan.go)

/** Go's eof rune is 0, so a NUL character ends the text as the end does. */
const eof = 0;
const Token = { Illegal: 0, EOF: 1, Ident: 2, Lbrack: 3, Rbrack: 4 } as const;
type Token = (typeof Token)[keyof typeof Token];
const scanIdent = 1;
const scanLbrack = 2;
const scanRbrack = 4;
const scanEscape = 8;
const escapeDollar = 1;
const escapeBackslash = 2;
const escapeAll = escapeDollar | escapeBackslash;

const code = (char: string) => char.codePointAt(0)!;
const [dollar, lbrace, rbrace, backslash, slash, colon, equals, hash, percent, comma, caret] = [...'${}\\/:=#%,^'].map(code) as number[];

type Accept = (rune: number, offset: number) => boolean;
const identRune = /^[\p{L}\p{Nd}_]$/u;
const acceptRune: Accept = () => true;
const acceptIdent: Accept = (r) => identRune.test(String.fromCodePoint(r));
const acceptColon: Accept = (r) => r === colon;
const acceptOneHash: Accept = (r, i) => r === hash && i === 1;
const acceptNotClosing: Accept = (r) => r !== rbrace;
const acceptHashFunc: Accept = (r, i) => r === hash && i < 3;
const acceptPercentFunc: Accept = (r, i) => r === percent && i < 3;
const acceptDefaultFunc: Accept = (r, i) => (i === 1 && r === colon) || (i === 2 && [...'=-?+'].map(code).includes(r));
const acceptReplaceFunc: Accept = (r, i) => (i === 1 && r === slash) || (i === 2 && (r === slash || r === hash || r === percent));
const acceptOneEqual: Accept = (r, i) => i === 1 && r === equals;
const acceptOneColon: Accept = (r, i) => i === 1 && r === colon;
const rejectColonClose: Accept = (r) => r !== colon && r !== rbrace;
const acceptSlash: Accept = (r) => r === slash;
const acceptNotSlash: Accept = (r) => r !== slash;
const acceptCasingFunc: Accept = (r, i) => (r === comma || r === caret) && i < 3;

class Scanner {
  private pos = 0;
  private start = 0;
  private width = 0;
  /** characters an escape dropped from the current token (Go deletes them from the buffer) */
  private dropped: number[] = [];
  mode = 0;
  escapeChars = 0;
  accept: Accept = acceptRune;

  constructor(private readonly text: string) {}

  read(): number {
    if (this.pos >= this.text.length) {
      this.width = 0;
      return eof;
    }
    const rune = this.text.codePointAt(this.pos)!;
    this.width = rune > 0xffff ? 2 : 1;
    this.pos += this.width;
    return rune;
  }

  unread(): void {
    this.pos -= this.width;
  }

  peek(): number {
    const rune = this.read();
    this.unread();
    return rune;
  }

  /** the most recently scanned token */
  string(): string {
    let token = '';
    let from = this.start;
    for (const at of this.dropped) {
      token += this.text.slice(from, at);
      from = at + 1;
    }
    return token + this.text.slice(from, this.pos);
  }

  scan(): Token {
    this.start = this.pos;
    this.dropped = [];
    const rune = this.read();
    if (rune === eof) return Token.EOF;
    if (this.scanLbrack(rune)) return Token.Lbrack;
    if (this.scanRbrack(rune)) return Token.Rbrack;
    if (this.scanIdent(rune)) return Token.Ident;
    return Token.Illegal;
  }

  /** Go removes the escape character and so takes the one after it as plain text. */
  private skip(): void {
    this.dropped.push(this.pos - 1);
    this.read();
  }

  private scanIdent(first: number): boolean {
    if ((this.mode & scanIdent) === 0) return false;
    if (this.scanEscaped(first)) this.skip();
    else if (!this.accept(first, this.pos - this.start)) return false;
    for (;;) {
      const rune = this.read();
      if (rune === eof) {
        this.unread();
        break;
      }
      if (this.scanLbrack(rune)) {
        this.unread();
        this.unread();
        break;
      }
      if (this.scanEscaped(rune)) {
        this.skip();
        continue;
      }
      if (!this.accept(rune, this.pos - this.start)) {
        this.unread();
        break;
      }
    }
    return true;
  }

  private scanLbrack(rune: number): boolean {
    if ((this.mode & scanLbrack) === 0 || rune !== dollar) return false;
    if (this.read() === lbrace) return true;
    this.unread();
    return false;
  }

  private scanRbrack(rune: number): boolean {
    return (this.mode & scanRbrack) !== 0 && rune === rbrace;
  }

  private scanEscaped(rune: number): boolean {
    if ((this.mode & scanEscape) === 0) return false;
    if (rune === dollar && (this.escapeChars & escapeDollar) !== 0 && this.peek() === dollar) return true;
    if (rune === backslash && (this.escapeChars & escapeBackslash) !== 0) {
      const next = this.peek();
      return next === slash || next === backslash;
    }
    return false;
  }
}

// ---- the parser (envsubst/parse/parse.go)

class Parser {
  private readonly scanner: Scanner;

  constructor(text: string) {
    this.scanner = new Scanner(text);
  }

  /** the text's nodes, in order (Go nests them as a list; the order is the same) */
  parse(): Node[] {
    const nodes: Node[] = [];
    const s = this.scanner;
    for (;;) {
      s.accept = acceptRune;
      s.mode = scanIdent | scanLbrack | scanEscape;
      s.escapeChars = escapeDollar;
      switch (s.scan()) {
        case Token.Ident:
          nodes.push({ text: s.string() });
          break;
        case Token.EOF:
          return nodes;
        case Token.Lbrack:
          nodes.push(this.parseFunc());
          break;
        default:
          throw new SubstitutionError(parseErrors.badSubstitution);
      }
    }
  }

  private parseFunc(): FuncNode {
    const s = this.scanner;
    s.escapeChars = escapeAll;
    if (s.peek() === hash) return this.parseLenFunc();
    s.accept = acceptIdent;
    s.mode = scanIdent;
    if (s.scan() !== Token.Ident) throw new SubstitutionError(parseErrors.variableName);
    const name = s.string();
    switch (s.peek()) {
      case colon:
        return this.parseDefaultOrSubstr(name);
      case equals:
        return this.parseDefaultFunc(name);
      case comma:
      case caret:
        return this.parseCasingFunc(name);
      case slash:
        return this.parseReplaceFunc(name);
      case hash:
        return this.parseRemoveFunc(name, acceptHashFunc);
      case percent:
        return this.parseRemoveFunc(name, acceptPercentFunc);
    }
    s.accept = acceptIdent;
    s.mode = scanRbrack;
    if (s.scan() !== Token.Rbrack) throw new SubstitutionError(parseErrors.missingClosingBrace);
    return { param: name, operator: '', args: [] };
  }

  private parseParam(accept: Accept, mode: number): Node {
    const s = this.scanner;
    s.accept = accept;
    s.mode = mode | scanLbrack;
    switch (s.scan()) {
      case Token.Lbrack:
        return this.parseFunc();
      case Token.Ident:
      case Token.Rbrack:
        return { text: s.string() };
      default:
        throw new SubstitutionError(parseErrors.funcSubstitution);
    }
  }

  private parseDefaultOrSubstr(name: string): FuncNode {
    const s = this.scanner;
    s.read();
    const next = s.peek();
    // Go steps back by the width of the character after the colon, in bytes: past the
    // colon when that character is not ASCII, where no operator can then be read.
    if (next > 0x7f) throw new SubstitutionError(parseErrors.badSubstitution);
    s.unread();
    return [...'=-?+'].map(code).includes(next) ? this.parseDefaultFunc(name) : this.parseSubstrFunc(name);
  }

  /** ${param:offset} and ${param:offset:length} */
  private parseSubstrFunc(name: string): FuncNode {
    const node = this.operator(name, acceptOneColon);
    node.args.push([this.parseParam(rejectColonClose, scanIdent)]);
    const s = this.scanner;
    s.accept = acceptColon;
    s.mode = scanIdent | scanRbrack;
    const delimiter = s.scan();
    if (delimiter === Token.Rbrack) return node;
    if (delimiter !== Token.Ident) throw new SubstitutionError(parseErrors.badSubstitution);
    node.args.push([this.parseParam(acceptNotClosing, scanIdent)]);
    this.consumeRbrack();
    return node;
  }

  /** ${param#word}, ${param##word}, ${param%word}, ${param%%word} */
  private parseRemoveFunc(name: string, accept: Accept): FuncNode {
    const node = this.operator(name, accept);
    node.args.push([this.parseParam(acceptNotClosing, scanIdent)]);
    this.consumeRbrack();
    return node;
  }

  /** ${param/pattern/string}, ${param//pattern/string}, ${param/#pattern/string}, ${param/%pattern/string} */
  private parseReplaceFunc(name: string): FuncNode {
    const node = this.operator(name, acceptReplaceFunc);
    node.args.push([this.parseParam(acceptNotSlash, scanIdent | scanEscape)]);
    const s = this.scanner;
    s.accept = acceptSlash;
    s.mode = scanIdent;
    if (s.scan() !== Token.Ident) throw new SubstitutionError(parseErrors.badSubstitution);
    if (s.peek() !== rbrace) node.args.push([this.parseParam(acceptNotClosing, scanIdent | scanEscape)]);
    this.consumeRbrack();
    return node;
  }

  /** ${param=word}, ${param:=word}, ${param:-word}, ${param:?word}, ${param:+word}: the word may mix text and ${...} */
  private parseDefaultFunc(name: string): FuncNode {
    const s = this.scanner;
    const node = this.operator(name, s.peek() === equals ? acceptOneEqual : acceptDefaultFunc, parseErrors.defaultFunction);
    const word: Node[] = [];
    while (s.peek() !== rbrace) word.push(this.parseParam(acceptNotClosing, scanIdent));
    this.consumeRbrack();
    if (word.length > 0) node.args.push(word);
    return node;
  }

  /** ${param,}, ${param,,}, ${param^}, ${param^^} */
  private parseCasingFunc(name: string): FuncNode {
    const node = this.operator(name, acceptCasingFunc);
    this.consumeRbrack();
    return node;
  }

  /** ${#param} */
  private parseLenFunc(): FuncNode {
    const node = this.operator('', acceptOneHash);
    const s = this.scanner;
    s.accept = acceptIdent;
    s.mode = scanIdent;
    if (s.scan() !== Token.Ident) throw new SubstitutionError(parseErrors.badSubstitution);
    node.param = s.string();
    this.consumeRbrack();
    return node;
  }

  private operator(param: string, accept: Accept, failure: string = parseErrors.badSubstitution): FuncNode {
    const s = this.scanner;
    s.accept = accept;
    s.mode = scanIdent;
    if (s.scan() !== Token.Ident) throw new SubstitutionError(failure);
    return { param, operator: s.string(), args: [] };
  }

  private consumeRbrack(): void {
    this.scanner.mode = scanRbrack;
    if (this.scanner.scan() !== Token.Rbrack) throw new SubstitutionError(parseErrors.badSubstitution);
  }
}

// ---- evaluation (envsubst/template.go and funcs.go)

function evaluate(nodes: readonly Node[], lookup: (name: string) => string | undefined, strict: boolean): string {
  let out = '';
  for (const node of nodes) {
    if ('text' in node) {
      out += node.text;
      continue;
    }
    const args = node.args.map((arg) => evaluate(arg, lookup, strict));
    const value = lookup(node.param);
    if (value === undefined && strict && node.operator === '') throw new SubstitutionError(`variable not set (strict mode): "${node.param}"`);
    out += apply(node.operator, value ?? '', args);
  }
  return out;
}

function apply(operator: string, value: string, args: string[]): string {
  switch (operator) {
    case ',':
      return mapFirst(value, (c) => c.toLowerCase());
    case ',,':
      return mapEach(value, (c) => c.toLowerCase());
    case '^':
      return mapFirst(value, (c) => c.toUpperCase());
    case '^^':
      return mapEach(value, (c) => c.toUpperCase());
    case '#':
      return args.length === 0 ? String(utf8.encode(value).length) : trimPrefix(value, args[0]!, 'shortest');
    case '##':
      return trimPrefix(value, args[0]!, 'longest');
    case '%':
      return trimSuffix(value, args[0]!, 'shortest');
    case '%%':
      return trimSuffix(value, args[0]!, 'longest');
    case ':':
      return substring(value, args);
    case '/#':
      return args.length === 2 && value.startsWith(args[0]!) ? args[1]! + value.slice(args[0]!.length) : value;
    case '/%':
      return args.length === 2 && value.endsWith(args[0]!) ? value.slice(0, value.length - args[0]!.length) + args[1]! : value;
    case '/':
      return replace(value, args[0]!, args[1] ?? '', 'first');
    case '//':
      return replace(value, args[0]!, args[1] ?? '', 'all');
    default:
      // '' (a bare ${var}), every default operator, and anything else Go's lookupFunc does not name
      return value === '' && args.length > 0 ? args.join('') : value;
  }
}

/** Go's unicode.ToUpper/ToLower map one character to one; JS's may expand (ß to SS), which Go leaves as it is. */
function mapOne(char: string, map: (c: string) => string): string {
  const mapped = map(char);
  return [...mapped].length === 1 ? mapped : char;
}

function mapEach(value: string, map: (c: string) => string): string {
  return [...value].map((c) => mapOne(c, map)).join('');
}

function mapFirst(value: string, map: (c: string) => string): string {
  const [first = '', ...rest] = [...value];
  return mapOne(first, map) + rest.join('');
}

const encoder = new TextEncoder();
const utf8 = { encode: (text: string) => encoder.encode(text), decoder: new TextDecoder('utf-8', { fatal: true }) };

/** Go's strconv.Atoi: an optional sign and decimal digits, within 64 bits. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const big = BigInt(text);
  return big > 2n ** 63n - 1n || big < -(2n ** 63n) ? undefined : Number(big);
}

/** ${var:offset} and ${var:offset:length}, in bytes; text that cannot be read as numbers leaves the value as it is. */
function substring(value: string, args: string[]): string {
  const bytes = utf8.encode(value);
  const slice = (from: number, to = bytes.length) => {
    try {
      return utf8.decoder.decode(bytes.subarray(from, to));
    } catch {
      throw new SubstitutionError(`\${...:${args.join(':')}} cuts a multi-byte character of the value in two`);
    }
  };
  let position = atoi(args[0]!);
  if (position === undefined) return value;
  if (position < 0) position = Math.max(0, bytes.length + position);
  if (args.length === 1) return position < bytes.length ? slice(position) : '';
  const length = atoi(args[1]!);
  if (length === undefined) return value;
  if (position + length >= bytes.length) return position < bytes.length ? slice(position) : '';
  // Go slices s[pos:pos+length] here, which panics on a negative length.
  if (length < 0) throw new SubstitutionError(`substring length ${length} is negative`);
  return slice(position, position + length);
}

/** Go's strings.Replace, which puts the replacement before every character when the pattern is empty. */
function replace(value: string, pattern: string, replacement: string, count: 'first' | 'all'): string {
  if (pattern === '') {
    if (count === 'first') return replacement + value;
    return [...value].map((c) => replacement + c).join('') + replacement;
  }
  if (count === 'all') return value.split(pattern).join(replacement);
  const at = value.indexOf(pattern);
  return at < 0 ? value : value.slice(0, at) + replacement + value.slice(at + pattern.length);
}

/** The shortest or the longest non-empty prefix the glob matches, removed; a malformed glob leaves the value as it is. */
function trimPrefix(value: string, pattern: string, which: 'shortest' | 'longest'): string {
  const chars = [...value];
  let found = '';
  for (let end = chars.length; end > 0; end--) {
    const prefix = chars.slice(0, end).join('');
    const matched = globMatch(pattern, prefix);
    if (matched === 'malformed') return value;
    if (matched) {
      found = prefix;
      if (which === 'longest') break;
    }
  }
  return value.slice(found.length);
}

/** The suffix forms match the reversed pattern against the reversed value, as envsubst does. */
function trimSuffix(value: string, pattern: string, which: 'shortest' | 'longest'): string {
  const reverse = (text: string) => [...text].reverse().join('');
  return reverse(trimPrefix(reverse(value), reverse(pattern), which));
}

// ---- drone/envsubst path.Match: Go's path.Match of 2017, with `*` matching `/` too

function globMatch(pattern: string, name: string): boolean | 'malformed' {
  let rest = pattern;
  outer: while (rest.length > 0) {
    const { star, chunk, after } = scanChunk(rest);
    rest = after;
    if (star && chunk === '') return true;
    const here = matchChunk(chunk, name);
    if (here === 'malformed') return 'malformed';
    if (here !== undefined && (here.length === 0 || rest.length > 0)) {
      name = here;
      continue;
    }
    if (star) {
      for (let i = 0; i < name.length; i++) {
        const skipped = matchChunk(chunk, name.slice(i + 1));
        if (skipped === 'malformed') return 'malformed';
        if (skipped !== undefined) {
          if (rest.length === 0 && skipped.length > 0) continue;
          name = skipped;
          continue outer;
        }
      }
    }
    return false;
  }
  return name.length === 0;
}

function scanChunk(pattern: string): { star: boolean; chunk: string; after: string } {
  let star = false;
  while (pattern.startsWith('*')) {
    pattern = pattern.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
    }
  }
  return { star, chunk: pattern.slice(0, i), after: pattern.slice(i) };
}

/** What is left of `s` after `chunk` matched its start; undefined when it does not match. */
function matchChunk(chunk: string, s: string): string | undefined | 'malformed' {
  while (chunk.length > 0) {
    if (s.length === 0) return undefined;
    if (chunk[0] === '[') {
      const rune = s.codePointAt(0)!;
      s = s.slice(rune > 0xffff ? 2 : 1);
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk.startsWith('^')) {
        negated = true;
        chunk = chunk.slice(1);
      }
      let match = false;
      for (let ranges = 0; ; ranges++) {
        if (chunk.startsWith(']') && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = classChar(chunk);
        if (lo === 'malformed') return 'malformed';
        let hi = lo;
        chunk = lo.rest;
        if (chunk.startsWith('-')) {
          const upper = classChar(chunk.slice(1));
          if (upper === 'malformed') return 'malformed';
          hi = upper;
          chunk = hi.rest;
        }
        if (lo.rune <= rune && rune <= hi.rune) match = true;
      }
      if (match === negated) return undefined;
      continue;
    }
    if (chunk[0] === '?') {
      s = s.slice(s.codePointAt(0)! > 0xffff ? 2 : 1);
      chunk = chunk.slice(1);
      continue;
    }
    if (chunk[0] === '\\') {
      chunk = chunk.slice(1);
      if (chunk.length === 0) return 'malformed';
    }
    if (chunk[0] !== s[0]) return undefined;
    s = s.slice(1);
    chunk = chunk.slice(1);
  }
  return s;
}

/** A possibly escaped character of a bracket class, and what follows it (which may not be empty). */
function classChar(chunk: string): { rune: number; rest: string } | 'malformed' {
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') return 'malformed';
  if (chunk[0] === '\\') {
    chunk = chunk.slice(1);
    if (chunk.length === 0) return 'malformed';
  }
  const rune = chunk.codePointAt(0)!;
  const rest = chunk.slice(rune > 0xffff ? 2 : 1);
  return rest.length === 0 ? 'malformed' : { rune, rest };
}
