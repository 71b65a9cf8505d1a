// YAML as Go's yaml.v2 (go.yaml.in/yaml/v2 v2.4, behind sigs.k8s.io/yaml) reads it, which is
// how Helm reads a values file and so how Flux reads every valuesFrom entry: YAML 1.1 words
// (`yes`, `off`, `~`), `0x1F` and `017` as integers, `1e3` as a number, timestamps kept as
// the text written, merge keys (`<<`), later duplicate keys winning. sigs.k8s.io/yaml then
// turns the result into JSON and back, so keys become strings and every number a float64,
// which a JavaScript number is too.
//
// The syntax is read by the `yaml` package; its messages for malformed YAML are not Go's.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';

/** What a JSON value can hold, after Go's JSON round trip. */
export type GoValue = null | boolean | number | string | GoValue[] | GoMap;
export type GoMap = { [key: string]: GoValue };

/** Go's string order: by UTF-8 bytes, which is code point order (JavaScript's `<` compares UTF-16 units). */
export function compareGoStrings(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/** `map[key] = value` for any key: a plain assignment to `__proto__` would replace the prototype. */
export function setEntry(map: GoMap, key: string, value: GoValue): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

/** What an untagged plain scalar means to yaml.v2 (resolve.go `resolve("", text)`). */
export type ResolvedScalar =
  | { tag: 'str' }
  | { tag: 'null' }
  | { tag: 'bool'; value: boolean }
  | { tag: 'int'; value: bigint }
  | { tag: 'float'; value: number }
  | { tag: 'timestamp' };

const words = new Map<string, ResolvedScalar>();
for (const text of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) words.set(text, { tag: 'bool', value: true });
for (const text of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) words.set(text, { tag: 'bool', value: false });
for (const text of ['', '~', 'null', 'Null', 'NULL']) words.set(text, { tag: 'null' });
for (const text of ['.nan', '.NaN', '.NAN']) words.set(text, { tag: 'float', value: Number.NaN });
for (const text of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) words.set(text, { tag: 'float', value: Infinity });
for (const text of ['-.inf', '-.Inf', '-.INF']) words.set(text, { tag: 'float', value: -Infinity });

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const uint64Max = 2n ** 64n - 1n;

export function resolvePlainScalar(text: string): ResolvedScalar {
  // Only these first characters can start anything but a string (resolveTable).
  const hint = text === '' ? 'N' : hintOf(text[0]!);
  if (hint === undefined) return { tag: 'str' };
  const word = words.get(text);
  if (word) return word;
  if (hint === '.') {
    const value = parseGoFloat(text);
    return value === undefined ? { tag: 'str' } : { tag: 'float', value };
  }
  if (hint === 'D' || hint === 'S') {
    if (isTimestamp(text)) return { tag: 'timestamp' };
    const plain = text.replaceAll('_', '');
    const int = parseGoInt(plain);
    if (int !== undefined) return { tag: 'int', value: int };
    if (yamlStyleFloat.test(plain)) {
      const value = parseGoFloat(plain);
      if (value !== undefined) return { tag: 'float', value };
    }
  }
  return { tag: 'str' };
}

function hintOf(first: string): 'S' | 'D' | 'M' | '.' | undefined {
  if (first === '+' || first === '-') return 'S';
  if (first >= '0' && first <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(first)) return 'M';
  return first === '.' ? '.' : undefined;
}

/** strconv.ParseInt(text, 0, 64), then ParseUint for what only fits unsigned. */
function parseGoInt(text: string): bigint | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits] = match as unknown as [string, string, string];
  const prefix = digits.length > 1 && digits[0] === '0' && /[xXoObB]/.test(digits[1]!) ? digits.slice(0, 2).toLowerCase() : '';
  const magnitude =
    prefix !== '' ? BigInt(`0${prefix[1]}${digits.slice(2)}`) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value >= int64Min && value <= int64Max) return value;
  // ParseUint takes no sign.
  return sign === '' && value <= uint64Max ? value : undefined;
}

/** strconv.ParseFloat(text, 64) for the decimal forms YAML reaches it with; out of range is an error. */
function parseGoFloat(text: string): number | undefined {
  if (!/^[-+]?([0-9](_?[0-9])*(\.([0-9](_?[0-9])*)?)?|\.[0-9](_?[0-9])*)([eE][-+]?[0-9](_?[0-9])*)?$/.test(text)) return undefined;
  const value = Number(text.replaceAll('_', ''));
  return Number.isFinite(value) ? value : undefined;
}

/** The timestamp forms yaml.v2 tries (allowedTimestampFormats), with time.Parse's range checks. */
function isTimestamp(text: string): boolean {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[+-](\d{2}):(\d{2})))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?))?$/.exec(
      text,
    );
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  const hour = Number(match[4] ?? match[9] ?? 0);
  const minute = Number(match[5] ?? match[10] ?? 0);
  const second = Number(match[6] ?? match[11] ?? 0);
  const zoneHour = Number(match[7] ?? 0);
  const zoneMinute = Number(match[8] ?? 0);
  return hour < 24 && minute < 60 && second < 60 && zoneHour < 24 && zoneMinute < 60;
}

/** A document Go cannot read into values: the message is the one sigs.k8s.io/yaml gives. */
export class GoYamlError extends Error {}

/**
 * The first document of `text` as sigs.k8s.io/yaml.Unmarshal reads it into an
 * `interface{}`: undefined for an empty document. Throws GoYamlError.
 */
export function readGoYaml(text: string): GoValue | undefined {
  const [document] = parseAllDocuments(text, { schema: 'failsafe', version: '1.1', uniqueKeys: false, merge: false, strict: false });
  if (!document || !('contents' in document)) return undefined;
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const line = error.linePos?.[0].line;
    throw new GoYamlError(`error converting YAML to JSON: yaml: ${line === undefined ? '' : `line ${line}: `}${error.message.split(' at line ')[0]}`);
  }
  if (document.contents === null) return undefined;
  return new Reader(document).value(document.contents);
}

/** A scalar as yaml.v2 decodes it into an `interface{}`, before the JSON round trip. */
type GoScalar = null | boolean | string | { int: bigint } | { float: number };

class Reader {
  constructor(private readonly document: Document) {}

  value(node: Node | null): GoValue {
    if (node === null) return null;
    if (isAlias(node)) return this.value(node.resolve(this.document) as Node);
    if (isScalar(node)) return jsonValue(scalar(node.value as string, node.type === 'PLAIN', node.tag));
    if (isSeq(node)) return node.items.map((item) => this.value(item as Node));
    if (isMap(node)) {
      const result: GoMap = {};
      this.decodeInto(node, result);
      return result;
    }
    throw new GoYamlError('error converting YAML to JSON: yaml: unexpected node');
  }

  /** decode.go `mapping`: entries in order, later ones winning, a merge key's maps written where it stands. */
  private decodeInto(node: Node | null, result: GoMap): void {
    if (!isMap(node)) throw new GoYamlError('error converting YAML to JSON: yaml: map merge requires map or sequence of maps as the value');
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const value = (pair.value ?? null) as Node | null;
      if (key !== null && isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.value === '<<') {
        this.merge(value, result);
      } else {
        const decoded = this.value(value);
        setEntry(result, this.key(key, decoded), decoded);
      }
    }
  }

  /** decode.go `merge`: a map, or maps of which the earlier win. */
  private merge(node: Node | null, result: GoMap): void {
    const target = (candidate: Node | null) => (candidate !== null && isAlias(candidate) ? (candidate.resolve(this.document) as Node) : candidate);
    const merged = target(node);
    if (merged !== null && isSeq(merged)) {
      for (const item of [...merged.items].reverse()) this.decodeInto(target(item as Node), result);
    } else {
      this.decodeInto(merged, result);
    }
  }

  /** A key as sigs.k8s.io/yaml names it in JSON (convertToJSONableObject). */
  private key(node: Node | null, value: GoValue): string {
    const resolved = node !== null && isAlias(node) ? (node.resolve(this.document) as Node) : node;
    if (resolved !== null && !isScalar(resolved)) throw new GoYamlError('error converting YAML to JSON: yaml: invalid map key');
    const key = resolved === null ? null : scalar(resolved.value as string, resolved.type === 'PLAIN', resolved.tag);
    if (typeof key === 'string') return key;
    if (typeof key === 'boolean') return String(key);
    if (key !== null && 'int' in key) return key.int.toString();
    if (key !== null) return formatFloat32Key(key.float);
    // fmt's %s of a nil reflect.Type and %+#v of the value (Go syntax, here for scalars).
    const shown = typeof value === 'string' ? JSON.stringify(value) : value === null ? 'interface {}(nil)' : JSON.stringify(value);
    throw new GoYamlError(`error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>, value: ${shown}`);
  }
}

/** decode.go `scalar` with resolve.go: quoted and unknown-tagged text is a string. */
function scalar(text: string, plain: boolean, tag: string | undefined): GoScalar {
  const short = tag?.replace(/^tag:yaml\.org,2002:/, '!!');
  if (short === undefined && !plain) return text;
  if (short === '!!binary') return Buffer.from(text, 'base64').toString('utf8');
  if (short !== undefined && !['!!bool', '!!int', '!!float', '!!null'].includes(short)) return text;
  const resolved = resolvePlainScalar(text);
  if (short !== undefined && resolved.tag !== short.slice(2) && !(short === '!!float' && resolved.tag === 'int')) {
    throw new GoYamlError(`error converting YAML to JSON: yaml: cannot decode !!${resolved.tag} \`${text}\` as a ${short}`);
  }
  switch (resolved.tag) {
    case 'null':
      return null;
    case 'bool':
      return resolved.value;
    case 'int':
      return short === '!!float' ? { float: Number(resolved.value) } : { int: resolved.value };
    case 'float':
      return { float: resolved.value };
    default:
      // Timestamps too: yaml.v2 keeps them as written when decoding into interface{}.
      return text;
  }
}

/** json.Marshal then json.Unmarshal: integers become float64, NaN and infinities cannot be written. */
function jsonValue(value: GoScalar): GoValue {
  if (value === null || typeof value !== 'object') return value;
  if ('int' in value) return Number(value.int);
  if (!Number.isFinite(value.float)) {
    const text = Number.isNaN(value.float) ? 'NaN' : value.float > 0 ? '+Inf' : '-Inf';
    throw new GoYamlError(`error converting YAML to JSON: json: unsupported value: ${text}`);
  }
  return value.float;
}

/** strconv.FormatFloat(key, 'g', -1, 32): the shortest digits that read back as the same float32. */
function formatFloat32Key(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  const single = Math.fround(value);
  let digits = single.toExponential();
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = single.toExponential(precision - 1);
    if (Math.fround(Number(candidate)) === single) {
      digits = candidate;
      break;
    }
  }
  return formatGoG(Number(digits), digits);
}

/**
 * strconv.FormatFloat(value, 'g', -1, _), given the shortest digits in exponent form
 * (`1.5e+7`): an exponent below -4 or from 6 on is written as one, with two digits at least.
 */
export function formatGoG(value: number, exponential = value.toExponential()): string {
  const [mantissa, exponentText] = exponential.split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // Within that range JavaScript prints the same shortest digits in fixed notation.
  return String(value);
}
