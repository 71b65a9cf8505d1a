// Server-side apply's field sets (managedFields' FieldsV1 tries) as sets: union,
// difference, and removing a set's fields from an object. Keys are `f:<field>`,
// `k:<json of the list item's keys>`, `v:<json of a set item>`, `i:<index>`; `.` marks
// the item itself; an empty set marks a leaf.
import { unionFields, type FieldSet } from '../kube/managed-fields.js';

export function unionOfFields(sets: readonly FieldSet[]): FieldSet {
  return sets.reduce<FieldSet>((all, set) => unionFields(all, set), {});
}

const isLeaf = (set: FieldSet) => Object.keys(set).length === 0;

/** The fields of `a` that `b` does not hold. */
export function subtractFields(a: FieldSet, b: FieldSet): FieldSet {
  const rest: FieldSet = {};
  for (const [key, child] of Object.entries(a)) {
    const other = b[key];
    if (!other) {
      rest[key] = child;
      continue;
    }
    if (isLeaf(child)) continue;
    const remaining = subtractFields(child, other);
    if (!isLeaf(remaining)) rest[key] = remaining;
  }
  return rest;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A copy of `value` without the fields of `set`; maps and lists left empty by it are dropped. */
export function removeFields(value: unknown, set: FieldSet): unknown {
  return strip(value as Json, set).value;
}

function wholeItem(set: FieldSet): boolean {
  return isLeaf(set) || '.' in set;
}

function strip(value: Json, set: FieldSet): { value: Json; emptied: boolean } {
  if (Array.isArray(value)) return stripList(value, set);
  if (value === null || typeof value !== 'object') return { value, emptied: false };
  const result: { [key: string]: Json } = { ...value };
  let removedAny = false;
  for (const [key, child] of Object.entries(set)) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    if (!(name in result)) continue;
    if (wholeItem(child)) {
      delete result[name];
      removedAny = true;
      continue;
    }
    const stripped = strip(result[name]!, child);
    if (stripped.emptied) delete result[name];
    else result[name] = stripped.value;
    removedAny ||= stripped.emptied;
  }
  return { value: result, emptied: removedAny && Object.keys(result).length === 0 };
}

function stripList(items: Json[], set: FieldSet): { value: Json; emptied: boolean } {
  const drop = new Set<number>();
  const changed = new Map<number, Json>();
  for (const [key, child] of Object.entries(set)) {
    const index = itemIndex(items, key);
    if (index === undefined) continue;
    if (wholeItem(child)) {
      drop.add(index);
      continue;
    }
    const stripped = strip(items[index]!, child);
    if (stripped.emptied) drop.add(index);
    else changed.set(index, stripped.value);
  }
  const kept = items.flatMap((item, index) => (drop.has(index) ? [] : [changed.get(index) ?? item]));
  return { value: kept, emptied: drop.size > 0 && kept.length === 0 };
}

/** Which item of a list a `k:`, `v:` or `i:` key names. */
function itemIndex(items: Json[], key: string): number | undefined {
  const kind = key.slice(0, 2);
  const text = key.slice(2);
  if (kind === 'i:') return Number(text) < items.length ? Number(text) : undefined;
  let wanted: Json;
  try {
    wanted = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  const index =
    kind === 'v:'
      ? items.findIndex((item) => JSON.stringify(item) === JSON.stringify(wanted))
      : kind === 'k:'
        ? items.findIndex((item) => typeof item === 'object' && item !== null && !Array.isArray(item) && Object.entries(wanted as Record<string, Json>).every(([field, v]) => JSON.stringify((item as Record<string, Json>)[field]) === JSON.stringify(v)))
        : -1;
  return index >= 0 ? index : undefined;
}
