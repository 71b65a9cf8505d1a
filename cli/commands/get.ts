// `get sources git | sources helm | kustomizations | helmreleases | all`: flux's status tables, read
// from the objects' status, with each loop's next reconcile when Temporal answers.
import { KubeError } from '../../kube/errors.js';
import type { FluxKindName } from '../../kube/flux-kinds.js';
import { fluxKinds } from '../../kube/flux-kinds.js';
import { allNamespacesOption, outputOption, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { objectKinds, type KindWords } from '../kinds.js';
import { summarize, summaryTable, type ObjectSummary } from '../summaries.js';
import { renderTable } from '../table.js';
import type { Invocation } from '../args.js';

const options = { 'all-namespaces': allNamespacesOption, output: outputOption(['table', 'json', 'yaml']) };

/** Objects of `kinds`, summarized, with their loops' status when Temporal answers in time. */
export async function summariesOf(context: CliContext, kinds: readonly FluxKindName[], namespace: string | undefined): Promise<ObjectSummary[]> {
  // Connect to Temporal while the cluster is listed; `get` works without it.
  const queries = context.loopQueries().catch((error: unknown) => error as Error);
  const listed = await Promise.all(
    kinds.map(async (kind) => {
      try {
        return (await context.cluster().list(kind, namespace)).map((object) => summarize(kind, object));
      } catch (error) {
        if (error instanceof KubeError && error.notFound) throw new CliError(`${fluxKinds[kind].plural}.${fluxKinds[kind].group} is not installed in the cluster: run 'kimbernetes install'`);
        throw error;
      }
    }),
  );
  const summaries = listed.flatMap((ofKind) => ofKind.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)));
  if (summaries.length === 0) return summaries;
  const connected = await queries;
  if (connected instanceof Error) {
    context.terminal.warning(`${connected.message}; showing the objects' status without their reconcile loops`);
  } else {
    const loops = await connected.statuses(summaries);
    for (const summary of summaries) summary.loop = loops.get(`${summary.kind.toLowerCase()}/${summary.namespace}/${summary.name}`);
  }
  return summaries;
}

async function get(context: CliContext, invocation: Invocation, kinds: readonly FluxKindName[]): Promise<ExitCode> {
  const format = invocation.choice('output', ['table', 'json', 'yaml'] as const);
  const allNamespaces = invocation.flag('all-namespaces');
  const namespace = allNamespaces ? undefined : context.namespace;
  const summaries = await summariesOf(context, kinds, namespace);
  if (format !== 'table') {
    context.terminal.data(summaries, format);
    return ExitCode.Ok;
  }
  const all = kinds.length > 1;
  if (summaries.length === 0) {
    const what = all ? 'Flux' : kinds[0];
    context.terminal.failure(`no ${what} objects found in ${namespace ? `${namespace} namespace` : 'any namespace'}`);
    return ExitCode.Ok;
  }
  const now = context.now();
  // `get all` prints one table per kind, as flux does.
  const groups = kinds.map((kind) => summaries.filter((s) => s.kind === kind)).filter((group) => group.length > 0);
  const tables = groups.map((group) => {
    const { headers, rows } = summaryTable(group, { allNamespaces, kindPrefix: all, now });
    return renderTable(headers, rows);
  });
  context.terminal.out(tables.join('\n'));
  return ExitCode.Ok;
}

function getCommand(words: KindWords): Command {
  const plural = words.plural.map((aliases) => aliases[0]).join(' ');
  return {
    words: [['get'], ...words.plural],
    summary: `the status of ${words.kind} objects`,
    options,
    examples: [`kimbernetes get ${plural}`, `kimbernetes get ${plural} -A -o json`],
    run: (context, invocation) => get(context, invocation, [words.kind]),
  };
}

export const getCommands: Command[] = [
  ...objectKinds.map(getCommand),
  {
    words: [['get'], ['all']],
    summary: 'the status of every GitRepository, OCIRepository, HelmRepository, HelmChart, Kustomization and HelmRelease',
    options,
    examples: ['kimbernetes get all', 'kimbernetes get all -A'],
    run: (context, invocation) =>
      get(
        context,
        invocation,
        objectKinds.map((k) => k.kind),
      ),
  },
];
