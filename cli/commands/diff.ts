// `diff kustomization NAME --path DIR`: what reconciling a local checkout would change,
// by server-side dry-run: created, changed (field by field) and pruned objects. Exit
// code 1 when there are differences, as `flux diff`.
import { fieldManager, targetOf } from '../../apply/target.js';
import type { Inventory } from '../../domain/inventory.js';
import { outputOption, type Command } from '../command.js';
import { CliError, ExitCode } from '../errors.js';
import { describeChange, maskedChange } from '../field-diff.js';
import { kustomizationWords, quoted } from '../kinds.js';
import { buildLocal } from '../local-build.js';
import { pathOption } from './build.js';

export const diffCommand: Command = {
  words: [['diff'], ...kustomizationWords.singular],
  args: [{ name: 'NAME' }],
  summary: 'preview what a local folder would change in the cluster (server-side dry-run); exit code 1 on differences',
  options: { path: pathOption, output: outputOption(['text', 'json']) },
  examples: ['kimbernetes diff kustomization apps --path ./overlays/production/applications'],
  async run(context, invocation) {
    const format = invocation.choice('output', ['text', 'json'] as const);
    const path = invocation.required('path');
    const progress = context.terminal.progress(`building ${path} and diffing it with the cluster`);
    // The apply's own machinery, loaded only by this command.
    const [{ ClusterTargetError, createClusterTargets }, { diffKustomization, hasDifferences }] = await Promise.all([import('../../kube/targets.js'), import('../kustomization-diff.js')]);
    let diff;
    try {
      const build = await buildLocal(context, invocation.arg(0), path);
      const clusters = createClusterTargets({ kubeConfig: await context.kubeConfig(), readSecret: async (namespace, name) => (await context.objects()).getSecretData(namespace, name) });
      let kube;
      try {
        kube = await clusters.clientFor(targetOf(build.ref, build.spec));
      } catch (error) {
        if (error instanceof ClusterTargetError) throw new CliError(`${quoted(build.ref)}: ${error.message}`);
        throw error;
      }
      const inventory = (build.object.status as { inventory?: Inventory } | undefined)?.inventory;
      diff = await diffKustomization(kube, build.objects, { owner: build.ref, fieldManager, prune: build.spec.prune === true, inventory });
    } finally {
      progress.stop();
    }
    const { terminal } = context;
    if (format === 'json') {
      terminal.data({ ...diff, changed: diff.changed.map((c) => ({ ...c, changes: c.changes.map((change) => maskedChange(c.kind, change)) })) }, 'json');
    } else {
      for (const id of diff.created) terminal.out(`► ${id} created\n`);
      for (const { object, kind, changes } of diff.changed) {
        terminal.out(`► ${object} drifted\n${changes.map((change) => `    ${describeChange(kind, change)}\n`).join('')}`);
      }
      for (const id of diff.pruned) terminal.out(`► ${id} deleted\n`);
      for (const failure of diff.failed) terminal.failure(failure);
      if (!hasDifferences(diff) && diff.failed.length === 0) terminal.success('no differences');
    }
    return hasDifferences(diff) || diff.failed.length > 0 ? ExitCode.Failure : ExitCode.Ok;
  },
};
