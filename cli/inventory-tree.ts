// A Kustomization's inventory as a tree, as `flux tree` draws it: the Kustomizations it
// applied show their own inventories beneath them.
import type { Inventory } from '../domain/inventory.js';
import { referenceOfEntry } from '../domain/inventory.js';
import { describeReference, type ObjectReference } from '../kube/objects.js';

export interface TreeNode {
  resource: ObjectReference;
  resources?: TreeNode[];
}

/** The tree below `root`; `inventoryOf` reads a Kustomization's inventory (undefined when it has none). */
export async function inventoryTree(root: ObjectReference, inventoryOf: (kustomization: ObjectReference) => Promise<Inventory | undefined>): Promise<TreeNode> {
  const visited = new Set<string>();
  const grow = async (resource: ObjectReference): Promise<TreeNode> => {
    const id = describeReference(resource);
    const isKustomization = resource.kind === 'Kustomization' && resource.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/');
    // A Kustomization that (wrongly) applies one above it would loop forever.
    if (!isKustomization || visited.has(id)) return { resource };
    visited.add(id);
    const inventory = await inventoryOf(resource);
    if (!inventory) return { resource };
    const resources: TreeNode[] = [];
    for (const entry of inventory.entries) resources.push(await grow(referenceOfEntry(entry)));
    return { resource, resources };
  };
  return grow(root);
}

export function renderTree(node: TreeNode): string {
  const lines = [describeReference(node.resource)];
  const walk = (children: readonly TreeNode[], indent: string) => {
    children.forEach((child, index) => {
      const last = index === children.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${describeReference(child.resource)}`);
      walk(child.resources ?? [], `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(node.resources ?? [], '');
  return `${lines.join('\n')}\n`;
}
