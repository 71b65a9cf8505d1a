// Checks a value against one node of a structural CRD's OpenAPI v3 schema, the way the
// API server does on a write, so a mistake in any Flux kind is named the same way:
// `spec.interval: must match ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$, got "1 minute"`.
//
// Not checked: `x-kubernetes-validations` (CEL rules; evaluating them needs a CEL
// interpreter, and the API server enforces them on every write anyway) and `format`.
// `default` is not applied: this answers "is it valid", it does not fill in.

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface SchemaNode {
  type?: SchemaType;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  enum?: unknown[];
  /** ECMAScript reads the RE2 patterns our CRDs use the same way Go does */
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

export interface SchemaError {
  /** `spec.healthChecks[0].kind` */
  path: string;
  /** the path, then the problem: `spec.prune: required` */
  message: string;
}

/**
 * Every keyword this module reads or deliberately leaves alone. A CRD that uses another
 * one (`oneOf`, `anyOf`, `allOf`, `not`, ...) needs support here first, or its rule
 * would be skipped without a word.
 */
export const schemaKeywords: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'description',
  'format',
  'default',
  'x-kubernetes-validations',
  'x-kubernetes-map-type',
]);

/** All the problems of `value`, in path order (fields by name, items by index). */
/** How every spec reader reports schema errors: the first invalid field (relative to `spec`) and every problem; undefined when there are none. */
export function specFailure(errors: readonly SchemaError[]): { ok: false; field: string; message: string } | undefined {
  if (errors.length === 0) return undefined;
  return { ok: false, field: errors[0]!.path.replace(/^spec\.?/, ''), message: errors.map((error) => error.message).join('; ') };
}

export function validateSchema(value: unknown, schema: SchemaNode, path: string): SchemaError[] {
  const errors: SchemaError[] = [];
  check(value, schema, path, errors);
  return errors;
}

function check(value: unknown, schema: SchemaNode, path: string, errors: SchemaError[]): void {
  const problem = (text: string) => errors.push({ path, message: `${path}: ${text}` });
  const expected = expectedType(schema);
  if (value === null) {
    if (expected && !schema.nullable) problem(`must be ${expected}, got null`);
    return;
  }
  if (expected && !hasExpectedType(value, schema)) {
    problem(`must be ${expected}, got ${describe(value)}`);
    return;
  }
  // Nothing else matters once a value is outside its enum.
  if (schema.enum && !schema.enum.includes(value)) {
    problem(`must be one of ${schema.enum.join(', ')}, got ${describe(value)}`);
    return;
  }
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !compiled(schema.pattern).test(value)) problem(`must match ${schema.pattern}, got ${describe(value)}`);
    // Go counts characters, not UTF-16 code units.
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) problem(`must be at least ${count(schema.minLength, 'character')} long, got ${describe(value)}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) problem(`must be at most ${count(schema.maxLength, 'character')} long, got ${length}`);
  } else if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problem(`must be at least ${schema.minimum}, got ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum) problem(`must be at most ${schema.maximum}, got ${value}`);
  } else if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problem(`must have at least ${count(schema.minItems, 'item')}, got ${value.length}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problem(`must have at most ${count(schema.maxItems, 'item')}, got ${value.length}`);
    if (schema.items) value.forEach((item, index) => check(item, schema.items!, `${path}[${index}]`, errors));
  } else if (typeof value === 'object') {
    checkFields(value as Record<string, unknown>, schema, path, errors);
  }
}

function checkFields(value: Record<string, unknown>, schema: SchemaNode, path: string, errors: SchemaError[]): void {
  const required = new Set(schema.required ?? []);
  const names = [...new Set([...Object.keys(value), ...required])].sort(byCodeUnits);
  // Preserved unknown fields are accepted as they are; declared ones are still checked,
  // as the API server does.
  const acceptsAnyField = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  const fieldSchema = (name: string) =>
    Object.hasOwn(schema.properties ?? {}, name) ? schema.properties![name] : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const name of names) {
    const fieldPath = childPath(path, name);
    const field = value[name];
    const definition = fieldSchema(name);
    if (field === undefined) {
      if (required.has(name)) errors.push({ path: fieldPath, message: `${fieldPath}: required` });
    } else if (definition) {
      check(field, definition, fieldPath, errors);
    } else if (!acceptsAnyField) {
      errors.push({ path: fieldPath, message: `${fieldPath}: unknown field` });
    }
  }
}

function expectedType(schema: SchemaNode): string | undefined {
  if (schema['x-kubernetes-int-or-string']) return 'an integer or a string';
  switch (schema.type) {
    case undefined:
      return undefined;
    case 'object':
    case 'array':
    case 'integer':
      return `an ${schema.type}`;
    default:
      return `a ${schema.type}`;
  }
}

function hasExpectedType(value: unknown, schema: SchemaNode): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === schema.type;
  }
}

/** How a wrong value is shown: scalars as written, containers by their kind. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `spec.ref.branch`; a name that is not a plain word is quoted: `labels["app.kubernetes.io/name"]`. */
function childPath(path: string, name: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Locale-independent, so the order of errors is the same on every machine. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const patterns = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let regexp = patterns.get(pattern);
  if (!regexp) {
    // `u`: RE2 matches code points, not UTF-16 code units.
    regexp = new RegExp(pattern, 'u');
    patterns.set(pattern, regexp);
  }
  return regexp;
}
