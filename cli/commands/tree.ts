// `tree kustomization|helmrelease NAME`: what a Kustomization applied or a HelmRelease's
// release holds, nested through the Kustomizations and HelmReleases among them.
import type { Inventory } from '../../domain/inventory.js';
import type { HelmReleaseStatus } from '../../domain/helmrelease-outcome.js';
import { latestSnapshot } from '../../domain/helmrelease-status.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import type { ObjectReference } from '../../kube/objects.js';
import { outputOption, requireObject, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { inventoryReferences, manifestReferences, ownedTree, renderTree } from '../inventory-tree.js';
import { helmReleaseWords, kustomizationWords } from '../kinds.js';

const treeOf = (kind: 'Kustomization' | 'HelmRelease', words: readonly (readonly string[])[]): Command => ({
  words: [['tree'], ...words],
  args: [{ name: 'NAME' }],
  summary: kind === 'Kustomization' ? "a Kustomization's inventory as a tree" : "the objects of a HelmRelease's release as a tree",
  options: { output: outputOption(['tree', 'json', 'yaml']) },
  examples: [kind === 'Kustomization' ? 'kimbernetes tree kustomization flux-system' : 'kimbernetes tree helmrelease podinfo -n apps'],
  async run(context, invocation) {
    const format = invocation.choice('output', ['tree', 'json', 'yaml'] as const);
    const ref = { kind, namespace: context.namespace, name: invocation.arg(0) };
    await requireObject(context, ref);
    const tree = await ownedTree({ apiVersion: apiVersionOf(kind), kind, namespace: ref.namespace, name: ref.name }, (owner) => childrenOf(context, owner));
    if (format === 'tree') context.terminal.out(renderTree(tree));
    else context.terminal.data(tree, format);
    return ExitCode.Ok;
  },
});

export const treeCommand = treeOf('Kustomization', kustomizationWords.singular);
export const treeHelmReleaseCommand = treeOf('HelmRelease', helmReleaseWords.singular);

/** A Kustomization's inventory; a HelmRelease's objects, from the latest release its history records. */
async function childrenOf(context: CliContext, owner: ObjectReference): Promise<ObjectReference[] | undefined> {
  const kind = owner.kind === 'HelmRelease' ? 'HelmRelease' : 'Kustomization';
  const object = await context.cluster().get({ kind, namespace: owner.namespace ?? '', name: owner.name });
  if (kind === 'Kustomization') {
    const inventory = (object?.status as { inventory?: Inventory } | undefined)?.inventory;
    return inventory && inventoryReferences(inventory);
  }
  const status = (object?.status ?? {}) as HelmReleaseStatus;
  const latest = latestSnapshot(status.history ?? []);
  if (!latest) return undefined;
  const manifest = await context.cluster().releaseManifest(status.storageNamespace ?? latest.namespace, latest.name, latest.version);
  return manifest === undefined ? undefined : manifestReferences(manifest, latest.namespace);
}
