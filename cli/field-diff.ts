// A compact diff of two objects: the paths of the fields that differ, with their values
// before and after. Secret values are never shown, only that they changed.
import { mask, sensitive } from './secrets.js';

export interface FieldChange {
  /** `spec.replicas`, `metadata.labels[app.kubernetes.io/name]`, `spec.ports[0].port` */
  path: string;
  /** absent when the field is new */
  before?: unknown;
  /** absent when the field is removed */
  after?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  if (!/^[A-Za-z0-9_$-]+$/.test(key)) return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The fields of `after` that differ from `before`, depth first, keys in order. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      if (before[key] === undefined && after[key] === undefined) return [];
      if (before[key] === undefined) return [{ path: join(path, key), after: after[key] }];
      if (after[key] === undefined) return [{ path: join(path, key), before: before[key] }];
      return fieldChanges(before[key], after[key], join(path, key));
    });
  }
  // Lists of the same length are compared item by item; anything else as a whole.
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, index) => fieldChanges(item, after[index], `${path}[${index}]`));
  }
  return equal(before, after) ? [] : [{ path, before, after }];
}

const maxValueLength = 80;

function show(value: unknown): string {
  if (value === undefined) return '<none>';
  const text = JSON.stringify(value);
  return text.length > maxValueLength ? `${text.slice(0, maxValueLength - 3)}...` : text;
}

/** One line per change: `spec.replicas: 1 → 2`. */
export function describeChange(kind: string, change: FieldChange): string {
  if (sensitive(kind, change.path)) {
    const what = change.before === undefined ? 'added' : change.after === undefined ? 'removed' : 'changed';
    return `${change.path}: <sensitive value ${what}>`;
  }
  return `${change.path}: ${show(change.before)} → ${show(change.after)}`;
}

/** The change with secret values replaced, for JSON output. */
export function maskedChange(kind: string, change: FieldChange): FieldChange {
  if (!sensitive(kind, change.path)) return change;
  return { path: change.path, ...(change.before !== undefined ? { before: mask } : {}), ...(change.after !== undefined ? { after: mask } : {}) };
}
