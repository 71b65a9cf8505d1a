// Helm's `--set` parser (helm.sh/helm/v3 pkg/strvals parser.go), which Flux runs for a
// valuesFrom entry with a targetPath: `<targetPath>=<value>` is parsed into the values.
// Faithful to its edges: `a.b[0]=x`, `name={a,b}` lists, `\` escapes, a `,` in the value
// starting another `key=value`, `true`/`null`/integers typed unless the value was quoted.
// Like Go, it writes into the maps and lists it is given; Flux's precedence rules depend on that.
import { setEntry, type GoMap, type GoValue } from './go-yaml.js';

/** A `--set` line Helm refuses; the message is Helm's. */
export class StrvalsError extends Error {}

// strvals.MaxIndex and MaxNestedNameLevel.
const maxIndex = 65536;
const maxNestedNameLevel = 30;

/** strvals.ParseInto (`asString` false) or ParseIntoString (true): parses `line` into `values`. */
export function parseSetInto(line: string, values: GoMap, asString: boolean): void {
  new Parser([...line], values, asString).parse();
}

const endOfInput = Symbol('EOF');

/** A runtime panic inside `key`, which strvals recovers into an error. */
class TypeAssertion extends Error {}

class Parser {
  private position = 0;

  constructor(
    private readonly runes: string[],
    private readonly data: GoMap,
    private readonly asString: boolean,
  ) {}

  parse(): void {
    for (;;) {
      const error = this.keyRecovering(this.data, 0);
      if (error === undefined) continue;
      if (error === endOfInput) return;
      throw new StrvalsError(error);
    }
  }

  /** `key` with its deferred recover: a failed type assertion becomes an error. */
  private keyRecovering(data: GoMap, nestedNameLevel: number): string | typeof endOfInput | undefined {
    try {
      return this.key(data, nestedNameLevel);
    } catch (error) {
      if (error instanceof TypeAssertion) return `unable to parse key: ${error.message}`;
      throw error;
    }
  }

  private key(data: GoMap, nestedNameLevel: number): string | typeof endOfInput | undefined {
    const { runes: k, last, eof } = this.runesUntil('=[,.');
    const name = k.join('');
    if (eof) return k.length === 0 ? endOfInput : `key "${name}" has no value`;
    switch (last) {
      case '[': {
        const index = this.keyIndex();
        if (typeof index === 'string') return `error parsing index: ${index}`;
        let list: GoValue[] = [];
        if (Object.hasOwn(data, name)) list = assertList(data[name]!);
        const [result, error] = this.listItem(list, index, nestedNameLevel);
        set(data, name, result);
        return error;
      }
      case '=': {
        const [list, error] = this.valList();
        if (error === undefined) {
          set(data, name, list);
          return undefined;
        }
        if (error === endOfInput) {
          set(data, name, '');
          return endOfInput;
        }
        if (error !== notList) return error;
        // The end of the input here is not passed on: the next key finds it.
        const [value] = this.val();
        set(data, name, this.typed(value));
        return undefined;
      }
      case ',':
        set(data, name, '');
        return `key "${name}" has no value (cannot end with ,)`;
      default: {
        // '.'
        nestedNameLevel++;
        if (nestedNameLevel > maxNestedNameLevel) return `value name nested level is greater than maximum supported nested level of ${maxNestedNameLevel}`;
        let inner: GoMap = {};
        if (Object.hasOwn(data, name)) inner = assertMap(data[name]!);
        const error = this.keyRecovering(inner, nestedNameLevel);
        if (error === undefined && Object.keys(inner).length === 0) return `key map "${name}" has no value`;
        if (Object.keys(inner).length !== 0) set(data, name, inner);
        return error;
      }
    }
  }

  private keyIndex(): number | string {
    const { runes, eof } = this.runesUntil(']');
    const text = runes.join('');
    // strconv.Atoi
    if (eof) return 'EOF';
    if (!/^[-+]?[0-9]+$/.test(text)) return `strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`;
    const value = BigInt(text);
    if (value < -(2n ** 63n) || value >= 2n ** 63n) return `strconv.Atoi: parsing ${goQuote(text)}: value out of range`;
    return Number(value);
  }

  private listItem(list: GoValue[], index: number, nestedNameLevel: number): [GoValue[], string | typeof endOfInput | undefined] {
    if (index < 0) return [list, `negative ${index} index not allowed`];
    const { runes: k, last, eof } = this.runesUntil('[.=');
    // %q of a []rune prints each rune quoted: ['y'].
    if (k.length > 0) return [list, `unexpected data at end of array index: [${k.map((rune) => `'${rune}'`).join(' ')}]`];
    if (eof) return [list, endOfInput];
    switch (last) {
      case '=': {
        const [values, error] = this.valList();
        if (error === undefined) return setIndex(list, index, values);
        if (error === endOfInput) return setIndex(list, index, '');
        if (error !== notList) return [list, error];
        const [value] = this.val();
        return setIndex(list, index, this.typed(value));
      }
      case '[': {
        const next = this.keyIndex();
        if (typeof next === 'string') return [list, `error parsing index: ${next}`];
        let current: GoValue[] = [];
        if (list.length > index && list[index] !== null) current = assertList(list[index]!);
        const [inner, error] = this.listItem(current, next, nestedNameLevel);
        if (error !== undefined) return [list, error];
        return setIndex(list, index, inner);
      }
      default: {
        // '.'
        let inner: GoMap = {};
        if (list.length > index) {
          const existing = list[index];
          if (isMap(existing)) {
            inner = existing;
          } else {
            list[index] = inner;
          }
        }
        const error = this.keyRecovering(inner, nestedNameLevel);
        if (error !== undefined) return [list, error];
        return setIndex(list, index, inner);
      }
    }
  }

  private val(): [string[]] {
    return [this.runesUntil(',').runes];
  }

  private valList(): [GoValue[], string | typeof endOfInput | typeof notList | undefined] {
    if (this.position >= this.runes.length) return [[], endOfInput];
    if (this.runes[this.position] !== '{') return [[], notList];
    this.position++;
    const list: GoValue[] = [];
    for (;;) {
      const { runes, last, eof } = this.runesUntil(',}');
      if (eof) return [list, "list must terminate with '}'"];
      if (last === '}') {
        if (this.position < this.runes.length && this.runes[this.position] === ',') this.position++;
        list.push(this.typed(runes));
        return [list, undefined];
      }
      list.push(this.typed(runes));
    }
  }

  /** Up to one of `stop`, which is consumed; `\` takes the next character as it is. */
  private runesUntil(stop: string): { runes: string[]; last?: string; eof: boolean } {
    const runes: string[] = [];
    while (this.position < this.runes.length) {
      const rune = this.runes[this.position++]!;
      if (stop.includes(rune)) return { runes, last: rune, eof: false };
      if (rune === '\\') {
        if (this.position >= this.runes.length) return { runes, eof: true };
        runes.push(this.runes[this.position++]!);
      } else {
        runes.push(rune);
      }
    }
    return { runes, eof: true };
  }

  /** typedVal */
  private typed(runes: string[]): GoValue {
    const value = runes.join('');
    if (this.asString) return value;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (value === '0') return 0;
    // strconv.ParseInt(value, 10, 64), never for a leading zero
    if (value !== '' && value[0] !== '0' && /^[-+]?[0-9]+$/.test(value)) {
      const integer = BigInt(value);
      if (integer >= -(2n ** 63n) && integer < 2n ** 63n) return Number(integer);
    }
    return value;
  }
}

const notList = 'not a list';

function set(data: GoMap, key: string, value: GoValue): void {
  if (key.length === 0) return;
  setEntry(data, key, value);
}

/** setIndex: a list too short is copied into a longer one, padded with nulls; otherwise written in place. */
function setIndex(list: GoValue[], index: number, value: GoValue): [GoValue[], string | undefined] {
  if (index < 0) return [list, `negative ${index} index not allowed`];
  if (index > maxIndex) return [list, `index of ${index} is greater than maximum supported index of ${maxIndex}`];
  let result = list;
  if (list.length <= index) {
    result = [...list, ...new Array<GoValue>(index + 1 - list.length).fill(null)];
  }
  result[index] = value;
  return [result, undefined];
}

function isMap(value: GoValue | undefined): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertMap(value: GoValue): GoMap {
  if (isMap(value)) return value;
  throw new TypeAssertion(`interface conversion: interface {} is ${goTypeName(value)}, not map[string]interface {}`);
}

function assertList(value: GoValue): GoValue[] {
  if (Array.isArray(value)) return value;
  throw new TypeAssertion(`interface conversion: interface {} is ${goTypeName(value)}, not []interface {}`);
}

/**
 * The dynamic Go type a value holds. A whole number is taken for one this parser typed
 * (int64); one read from JSON or YAML would be a float64 in Go, which a number cannot tell.
 */
function goTypeName(value: GoValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}';
}

/** strconv.Quote for the text a CRD-valid path can hold. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}
