// Taking over fields that `kubectl` set, so that drift correction can remove them.
//
// Server-side apply removes a field only from the manager that owned it. A label added
// with `kubectl edit` or `kubectl label` is owned by a kubectl manager, so applying the
// manifest again would keep it forever. Like Flux, before applying we move the fields of
// kubectl's managers (and of `before-first-apply`, and of our own non-apply updates) into
// our apply entry: the next apply then owns them and drops what the manifest leaves out.
// `kustomize.toolkit.fluxcd.io/ssa: Merge` opts an object out of this, keeping such edits.
// The same move hands one applier's fields to another where both apply the same object:
// the CRDs `kimbernetes install` applied, and Flux's own, which a repository bootstrapped
// by Flux applies again (each must replace the other whole: two schemas merged field by
// field can be one the API server refuses).
import type { KubernetesObject } from './objects.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update' | string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

/** The FieldsV1 trie: keys like `f:metadata`, `k:{...}`, `.`; leaves are `{}`. */
export type FieldSet = { [key: string]: FieldSet };

export interface TakeoverOptions {
  /** other appliers whose Apply entries are taken over too */
  appliers?: readonly string[];
}

function isForeign(entry: ManagedFieldsEntry, fieldManager: string, appliers: readonly string[]): boolean {
  if (entry.subresource) return false; // status and scale belong to their controllers
  const manager = entry.manager ?? '';
  if (manager.startsWith('kubectl') || manager === 'before-first-apply') return true;
  if (appliers.includes(manager) && entry.operation === 'Apply') return true;
  return manager === fieldManager && entry.operation === 'Update';
}

export function unionFields(a: FieldSet = {}, b: FieldSet = {}): FieldSet {
  const union: FieldSet = { ...a };
  for (const [key, value] of Object.entries(b)) union[key] = unionFields(union[key], value);
  return union;
}

/**
 * The managedFields that hand kubectl's fields (and those of `options.appliers`) to
 * `fieldManager`'s apply entry, or undefined when there is nothing to take over.
 * (kubectl's last-applied annotation is among those fields, so the next apply removes it
 * too.)
 */
export function ownershipTakeover(live: KubernetesObject, fieldManager: string, { appliers = [] }: TakeoverOptions = {}): ManagedFieldsEntry[] | undefined {
  const entries = (live.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
  const foreign = entries.filter((entry) => isForeign(entry, fieldManager, appliers));
  if (foreign.length === 0) return undefined;
  const kept = entries.filter((entry) => !isForeign(entry, fieldManager, appliers));
  const ours = kept.find((entry) => entry.manager === fieldManager && entry.operation === 'Apply' && !entry.subresource);
  const taken = foreign.reduce<FieldSet>((fields, entry) => unionFields(fields, entry.fieldsV1), {});
  const merged: ManagedFieldsEntry = {
    manager: fieldManager,
    operation: 'Apply',
    apiVersion: ours?.apiVersion ?? live.apiVersion,
    time: ours?.time ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    fieldsType: 'FieldsV1',
    fieldsV1: unionFields(ours?.fieldsV1, taken),
  };
  return [...kept.filter((entry) => entry !== ours), merged];
}
