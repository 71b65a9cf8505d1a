// `export source git | kustomization | helmrelease NAME | --all`: the objects as YAML
// to commit to Git, as `flux export` prints them.
import type { KubernetesObject } from '../../kube/objects.js';
import { allNamespacesOption, outputOption, requireObject, type Command } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { exportable } from '../export-object.js';
import { objectKinds, type KindWords } from '../kinds.js';
import { yamlDocuments } from '../terminal.js';

function exportCommand(words: KindWords): Command {
  const canonical = ['export', ...words.singular.map((aliases) => aliases[0]!)];
  return {
    words: [['export'], ...words.singular],
    args: [{ name: 'NAME', optional: true }],
    summary: `print ${words.kind} objects as YAML to commit to Git`,
    options: {
      all: { type: 'boolean', description: 'every object of the namespace' },
      'all-namespaces': allNamespacesOption,
      output: outputOption(['yaml', 'json']),
    },
    examples: [`kimbernetes ${canonical.join(' ')} flux-system`, `kimbernetes ${canonical.join(' ')} --all > ${words.kind.toLowerCase()}s.yaml`],
    async run(context, invocation) {
      const format = invocation.choice('output', ['yaml', 'json'] as const);
      const name = invocation.args[0];
      const all = invocation.flag('all') || invocation.flag('all-namespaces');
      if (!name && !all) throw new UsageError('NAME or --all is required', canonical);
      if (name && all) throw new UsageError('give NAME or --all, not both', canonical);
      let objects: KubernetesObject[];
      if (name) objects = [await requireObject(context, { kind: words.kind, namespace: context.namespace, name })];
      else objects = await context.cluster().list(words.kind, invocation.flag('all-namespaces') ? undefined : context.namespace);
      const exported = objects.map(exportable);
      if (format === 'json') context.terminal.data(name ? exported[0] : exported, 'json');
      else context.terminal.out(yamlDocuments(exported));
      return ExitCode.Ok;
    },
  };
}

export const exportCommands: Command[] = objectKinds.map(exportCommand);
