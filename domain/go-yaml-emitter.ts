// Values written as YAML byte for byte the way Flux writes them before hashing: sigs.k8s.io/yaml's
// JSONObjectToYAMLObject (whole numbers become integers), keys sorted (fluxcd/pkg chartutil
// SortMapSlice), then yaml.v2's encoder (go.yaml.in/yaml/v2 v2.4 encode.go and emitterc.go):
// block style, sequences not indented under their key, strings quoted only when they would
// read back as something else, long plain strings folded past column 80.
import { compareGoStrings, formatGoG, resolvePlainScalar, type GoValue } from './go-yaml.js';

type Style = 'plain' | 'single' | 'double' | 'literal';

type YamlNode = { kind: 'scalar'; value: string; style: Style } | { kind: 'sequence'; items: YamlNode[] } | { kind: 'mapping'; items: [YamlNode, YamlNode][] };

/** The YAML document yaml.v2 writes for `values` with every map's keys sorted. */
export function encodeSortedYaml(values: { [key: string]: GoValue }): string {
  const emitter = new Emitter();
  emitter.document(toNode(values));
  return emitter.output;
}

function toNode(value: GoValue): YamlNode {
  if (value === null) return { kind: 'scalar', value: 'null', style: 'plain' };
  if (typeof value === 'boolean') return { kind: 'scalar', value: String(value), style: 'plain' };
  if (typeof value === 'number') return { kind: 'scalar', value: formatNumber(value), style: 'plain' };
  if (typeof value === 'string') return stringNode(value);
  if (Array.isArray(value)) return { kind: 'sequence', items: value.map(toNode) };
  const keys = Object.keys(value).sort(compareGoStrings);
  return { kind: 'mapping', items: keys.map((key) => [stringNode(key), toNode(value[key]!)]) };
}

/** jsonToYAMLValue: a float64 holding a whole int64 or uint64 is written as that integer. */
function formatNumber(value: number): string {
  if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 64) return BigInt(value).toString();
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  return formatGoG(value);
}

const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** encode.go `stringv`: plain unless it would read back as another type. */
function stringNode(raw: string): YamlNode {
  // Go strings are UTF-8; a lone surrogate cannot arrive from JSON as anything but U+FFFD.
  const value = raw.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const canUsePlain = resolvePlainScalar(value).tag === 'str' && !base60Float.test(value);
  const style: Style = value.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double';
  return { kind: 'scalar', value, style };
}

const bestIndent = 2;
const bestWidth = 80;

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** The parts of libyaml's emitter (as ported to yaml.v2) that block-style values reach. */
class Emitter {
  output = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private flowLevel = 0;
  private mappingContext = false;
  private simpleKeyContext = false;

  document(root: YamlNode): void {
    this.node(root, false, false);
    // emit_document_end
    this.writeIndent();
  }

  private node(node: YamlNode, mapping: boolean, simpleKey: boolean): void {
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    if (node.kind === 'scalar') this.scalar(node.value, node.style);
    else if (node.kind === 'sequence') this.sequence(node.items);
    else this.mapping(node.items);
  }

  private sequence(items: YamlNode[]): void {
    if (this.flowLevel > 0 || items.length === 0) return this.emptyFlow('[', ']');
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, false, false);
    }
    this.indent = this.indents.pop()!;
  }

  private mapping(items: [YamlNode, YamlNode][]): void {
    if (this.flowLevel > 0 || items.length === 0) return this.emptyFlow('{', '}');
    this.increaseIndent(false, false);
    for (const [key, value] of items) {
      this.writeIndent();
      if (isSimpleKey(key)) {
        this.node(key, true, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(key, true, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, true, false);
    }
    this.indent = this.indents.pop()!;
  }

  /** Only ever empty here: `{}` and `[]`. */
  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.indent = this.indents.pop()!;
    this.writeIndicator(close, false, false, false);
  }

  private scalar(value: string, requested: Style): void {
    const analysis = analyzeScalar(value);
    let style = requested;
    if (this.simpleKeyContext && analysis.multiline) style = 'double';
    if (style === 'plain' && (!analysis.blockPlainAllowed || (value === '' && this.simpleKeyContext))) style = 'single';
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || this.simpleKeyContext)) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(value, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(value, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(value, allowBreaks);
    else this.writeLiteral(value);
    this.indent = this.indents.pop()!;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? bestIndent : 0;
    else if (!indentless) this.indent += bestIndent;
  }

  private put(text: string): void {
    this.output += text;
    this.column++;
  }

  private putBreak(): void {
    this.output += '\n';
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const character of indicator) this.put(character);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** A line break in the value: `\n` is written as a break, the others as themselves. */
  private writeBreak(character: string): void {
    if (character === '\n') {
      this.putBreak();
    } else {
      this.output += character;
      this.column = 0;
    }
  }

  private writePlain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    const characters = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < characters.length; i++) {
      const character = characters[i]!;
      if (character === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && characters[i + 1] !== ' ') this.writeIndent();
        else this.put(character);
        spaces = true;
      } else if (isBreak(character)) {
        if (!breaks && character === '\n') this.putBreak();
        this.writeBreak(character);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(character);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const characters = [...value];
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < characters.length; i++) {
      const character = characters[i]!;
      if (character === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < characters.length - 1 && characters[i + 1] !== ' ') this.writeIndent();
        else this.put(character);
        spaces = true;
      } else if (isBreak(character)) {
        if (!breaks && character === '\n') this.putBreak();
        this.writeBreak(character);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (character === "'") this.put("'");
        this.put(character);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const characters = [...value];
    // is_bom looks at the start of the value, not at the character: a leading BOM escapes everything.
    const startsWithBom = characters[0] === '\uFEFF';
    let spaces = false;
    for (let i = 0; i < characters.length; i++) {
      const character = characters[i]!;
      const code = character.codePointAt(0)!;
      if (!isPrintable(code) || startsWithBom || isBreak(character) || character === '"' || character === '\\') {
        this.put('\\');
        for (const escaped of escape(code)) this.put(escaped);
        spaces = false;
      } else if (character === ' ') {
        if (allowBreaks && !spaces && this.column > bestWidth && i > 0 && i < characters.length - 1) {
          this.writeIndent();
          if (characters[i + 1] === ' ') this.put('\\');
        } else {
          this.put(character);
        }
        spaces = true;
      } else {
        this.put(character);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    const characters = [...value];
    if (characters[0] === ' ' || isBreak(characters[0] ?? '')) this.writeIndicator(String(bestIndent), false, false, false);
    const last = characters.at(-1);
    const beforeLast = characters.at(-2);
    const chomp = last === undefined || !isBreak(last) ? '-' : characters.length === 1 || isBreak(beforeLast!) ? '+' : '';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const character of characters) {
      if (isBreak(character)) {
        this.writeBreak(character);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(character);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/** check_simple_key: a one-line scalar of at most 128 bytes. */
function isSimpleKey(key: YamlNode): boolean {
  return key.kind === 'scalar' && !analyzeScalar(key.value).multiline && utf8Length(key.value) <= 128;
}

function utf8Length(text: string): number {
  let length = 0;
  for (const character of text) {
    const code = character.codePointAt(0)!;
    length += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return length;
}

function isBreak(character: string): boolean {
  return character === '\n' || character === '\r' || character === '\u0085' || character === '\u2028' || character === '\u2029';
}

/** is_printable, read as code points: astral characters and C1 controls are not. */
function isPrintable(code: number): boolean {
  return code === 0x0a || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff);
}

const shortEscapes = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function escape(code: number): string {
  const short = shortEscapes.get(code);
  if (short) return short;
  const [prefix, width] = code <= 0xff ? ['x', 2] : code <= 0xffff ? ['u', 4] : ['U', 8];
  return prefix + code.toString(16).toUpperCase().padStart(width, '0');
}

/** analyze_scalar, for the block context every value here is written in. */
function analyzeScalar(value: string): ScalarAnalysis {
  if (value === '') return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const characters = [...value];
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  for (let i = 0; i < characters.length; i++) {
    const character = characters[i]!;
    const next = characters[i + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(character)) blockIndicators = true;
      else if ((character === '?' || character === ':' || character === '-') && followedByWhitespace) blockIndicators = true;
    } else if ((character === ':' && followedByWhitespace) || (character === '#' && precededByWhitespace)) {
      blockIndicators = true;
    }
    if (!isPrintable(character.codePointAt(0)!)) specialCharacters = true;
    if (character === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === characters.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(character)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === characters.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = character === ' ' || character === '\t' || character === '\0' || isBreak(character);
  }
  const edges = leadingSpace || leadingBreak || trailingSpace || trailingBreak;
  return {
    multiline: lineBreaks,
    blockPlainAllowed: !(edges || breakSpace || spaceBreak || specialCharacters || lineBreaks || blockIndicators),
    singleQuotedAllowed: !(breakSpace || spaceBreak || specialCharacters),
    blockAllowed: !(trailingSpace || spaceBreak || specialCharacters),
  };
}
