// `tree kustomization NAME`: what a Kustomization applied, nested through the
// Kustomizations it applied.
import type { Inventory } from '../../domain/inventory.js';
import { apiVersionOf } from '../../kube/flux-kinds.js';
import { outputOption, requireObject, type Command } from '../command.js';
import { ExitCode } from '../errors.js';
import { inventoryTree, renderTree } from '../inventory-tree.js';
import { kustomizationWords } from '../kinds.js';

export const treeCommand: Command = {
  words: [['tree'], ...kustomizationWords.singular],
  args: [{ name: 'NAME' }],
  summary: "a Kustomization's inventory as a tree",
  options: { output: outputOption(['tree', 'json', 'yaml']) },
  examples: ['kimbernetes tree kustomization flux-system'],
  async run(context, invocation) {
    const format = invocation.choice('output', ['tree', 'json', 'yaml'] as const);
    const ref = { kind: 'Kustomization' as const, namespace: context.namespace, name: invocation.arg(0) };
    await requireObject(context, ref);
    const tree = await inventoryTree({ apiVersion: apiVersionOf('Kustomization'), kind: 'Kustomization', namespace: ref.namespace, name: ref.name }, async (kustomization) => {
      const object = await context.cluster().get({ kind: 'Kustomization', namespace: kustomization.namespace ?? '', name: kustomization.name });
      return (object?.status as { inventory?: Inventory } | undefined)?.inventory;
    });
    if (format === 'tree') context.terminal.out(renderTree(tree));
    else context.terminal.data(tree, format);
    return ExitCode.Ok;
  },
};
