// `events [--for Kind/name]`: what the controllers recorded about Flux objects.
import { allNamespacesOption, outputOption, type Command } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { eventTable, fluxEvents, parseFor } from '../event-rows.js';
import { renderTable } from '../table.js';

export const eventsCommand: Command = {
  words: [['events']],
  summary: 'the Kubernetes events of Flux objects',
  options: {
    for: { type: 'string', value: 'KIND/NAME', description: 'only the events of this object, e.g. Kustomization/apps' },
    'all-namespaces': allNamespacesOption,
    output: outputOption(['table', 'json', 'yaml']),
  },
  examples: ['kimbernetes events', 'kimbernetes events --for Kustomization/apps -n flux-system'],
  async run(context, invocation) {
    const format = invocation.choice('output', ['table', 'json', 'yaml'] as const);
    const forText = invocation.string('for');
    const only = forText === undefined ? undefined : parseFor(forText);
    if (forText !== undefined && !only) throw new UsageError(`--for must be KIND/NAME, e.g. Kustomization/apps, got '${forText}'`, ['events']);
    const allNamespaces = invocation.flag('all-namespaces');
    const records = fluxEvents(await context.cluster().events(allNamespaces ? undefined : context.namespace), only);
    if (format !== 'table') {
      context.terminal.data(records, format);
    } else if (records.length === 0) {
      context.terminal.failure(`no events found${only ? ` for ${forText}` : ''} in ${allNamespaces ? 'any namespace' : `${context.namespace} namespace`}`);
    } else {
      const { headers, rows } = eventTable(records, { allNamespaces, now: context.now() });
      context.terminal.out(renderTable(headers, rows));
    }
    return ExitCode.Ok;
  },
};
