// What a Kustomization or HelmRelease manages, as a tree, as `flux tree` draws it: a
// Kustomization's inventory, a HelmRelease's objects from its release's manifest in Helm
// storage, the Kustomizations and HelmReleases among them shown with their own beneath.
import { parseAllDocuments } from 'yaml';
import type { Inventory } from '../domain/inventory.js';
import { referenceOfEntry } from '../domain/inventory.js';
import { describeReference, type ObjectReference } from '../kube/objects.js';

export interface TreeNode {
  resource: ObjectReference;
  resources?: TreeNode[];
}

/** What a Kustomization or HelmRelease manages; undefined when it has nothing on record. */
export type ChildrenOf = (owner: ObjectReference) => Promise<ObjectReference[] | undefined>;

const owners = [
  { kind: 'Kustomization', group: 'kustomize.toolkit.fluxcd.io/' },
  { kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io/' },
];

/** The tree below `root`. */
export async function ownedTree(root: ObjectReference, childrenOf: ChildrenOf): Promise<TreeNode> {
  const visited = new Set<string>();
  const grow = async (resource: ObjectReference): Promise<TreeNode> => {
    const id = describeReference(resource);
    const isOwner = owners.some((owner) => resource.kind === owner.kind && resource.apiVersion.startsWith(owner.group));
    // A Kustomization that (wrongly) applies one above it would loop forever.
    if (!isOwner || visited.has(id)) return { resource };
    visited.add(id);
    const children = await childrenOf(resource);
    if (!children) return { resource };
    const resources: TreeNode[] = [];
    for (const child of children) resources.push(await grow(child));
    return { resource, resources };
  };
  return grow(root);
}

export function inventoryReferences(inventory: Inventory): ObjectReference[] {
  return inventory.entries.map(referenceOfEntry);
}

/** The kinds of Kubernetes' own APIs that have no namespace (a chart's templates rarely name one). */
const clusterScopedKinds = new Set([
  'APIService', 'ClusterRole', 'ClusterRoleBinding', 'CSIDriver', 'CustomResourceDefinition', 'IngressClass', 'MutatingWebhookConfiguration', 'Namespace',
  'PersistentVolume', 'PriorityClass', 'RuntimeClass', 'StorageClass', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingWebhookConfiguration',
]);

/** The objects of a release manifest; those without a namespace are in the release's, unless cluster-scoped. */
export function manifestReferences(manifest: string, releaseNamespace: string): ObjectReference[] {
  const references: ObjectReference[] = [];
  for (const document of parseAllDocuments(manifest)) {
    const object = document.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (!object?.kind || !object.apiVersion || !object.metadata?.name) continue;
    const reference: ObjectReference = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
    const namespace = object.metadata.namespace ?? (clusterScopedKinds.has(object.kind) ? undefined : releaseNamespace);
    if (namespace) reference.namespace = namespace;
    references.push(reference);
  }
  return references;
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
