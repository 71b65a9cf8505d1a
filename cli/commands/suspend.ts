// `suspend` and `resume` for GitRepositories, Kustomizations and HelmReleases: as flux,
// they set spec.suspend (resume also asks for a reconcile), and they signal the loop
// so it stops or starts at once. Resume then waits for that reconcile.
import { isReconciled } from '../../common/loop-kinds.js';
import type { FluxObjectRef } from '../../kube/flux-kinds.js';
import { requireObject, type Command } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { gitRepositoryWords, helmChartWords, helmReleaseWords, helmRepositoryWords, kustomizationWords, notFoundMessage, ociRepositoryWords, receiverWords, type KindWords } from '../kinds.js';
import { newRequestedAt, requestPatch } from '../reconcile-wait.js';
import { signalLoop } from '../temporal.js';
import { reportReconcile, signalReconcile } from './reconcile.js';

/** Signals the loop when Temporal can be reached; the spec field is what lasts either way. */
async function tellLoop(context: CliContext, ref: FluxObjectRef, signal: 'suspend' | 'resume'): Promise<void> {
  if (!isReconciled(ref.kind)) return;
  try {
    await signalLoop((await context.temporal()).client, ref, signal);
  } catch (error) {
    context.terminal.warning(`${(error as Error).message}; the loop learns of spec.suspend on its next reconcile`);
  }
}

async function suspend(context: CliContext, ref: FluxObjectRef): Promise<ExitCode> {
  await requireObject(context, ref);
  const noun = ref.kind.toLowerCase();
  context.terminal.action(`suspending ${noun} ${ref.name} in ${ref.namespace} namespace`);
  if (!(await context.cluster().patch(ref, { spec: { suspend: true } }))) throw new CliError(notFoundMessage(ref));
  await tellLoop(context, ref, 'suspend');
  context.terminal.success(`${noun} suspended`);
  return ExitCode.Ok;
}

async function resume(context: CliContext, ref: FluxObjectRef): Promise<ExitCode> {
  await requireObject(context, ref);
  const noun = ref.kind.toLowerCase();
  context.terminal.action(`resuming ${noun} ${ref.name} in ${ref.namespace} namespace`);
  const requestedAt = newRequestedAt(context.now());
  if (!(await context.cluster().patch(ref, { ...requestPatch(requestedAt), spec: { suspend: false } }))) throw new CliError(notFoundMessage(ref));
  context.terminal.success(`${noun} resumed`);
  if (!isReconciled(ref.kind)) {
    context.terminal.warning(`${ref.kind} objects have no reconcile loop yet; not waiting for a reconcile`);
    return ExitCode.Ok;
  }
  await tellLoop(context, ref, 'resume');
  await signalReconcile(context, ref, requestedAt);
  return reportReconcile(context, ref, requestedAt);
}

function commandsFor(words: KindWords): [Command, Command] {
  const noun = words.singular.map((aliases) => aliases[0]).join(' ');
  const ref = (context: CliContext, name: string): FluxObjectRef => ({ kind: words.kind, namespace: context.namespace, name });
  return [
    {
      words: [['suspend'], ...words.singular],
      args: [{ name: 'NAME' }],
      summary: `suspend the reconciliation of a ${words.kind}`,
      examples: [`kimbernetes suspend ${noun} podinfo -n apps`],
      run: (context, invocation) => suspend(context, ref(context, invocation.arg(0))),
    },
    {
      words: [['resume'], ...words.singular],
      args: [{ name: 'NAME' }],
      summary: `resume a suspended ${words.kind} and wait for its reconcile`,
      examples: [`kimbernetes resume ${noun} podinfo -n apps`],
      run: (context, invocation) => resume(context, ref(context, invocation.arg(0))),
    },
  ];
}

const pairs = [gitRepositoryWords, ociRepositoryWords, helmRepositoryWords, helmChartWords, kustomizationWords, helmReleaseWords, receiverWords].map(commandsFor);
export const suspendCommands: Command[] = [...pairs.map(([suspendCommand]) => suspendCommand), ...pairs.map(([, resumeCommand]) => resumeCommand)];
