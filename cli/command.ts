// What a command is: its spec (words, arguments, flags, help) and what it runs.
import type { FluxObjectRef } from '../kube/flux-kinds.js';
import type { KubernetesObject } from '../kube/objects.js';
import type { CommandSpec, Invocation, OptionSpec } from './args.js';
import type { CliContext } from './context.js';
import { CliError, type ExitCode } from './errors.js';
import { notFoundMessage } from './kinds.js';

export interface Command extends CommandSpec {
  run(context: CliContext, invocation: Invocation): Promise<ExitCode>;
}

/** -o, --output: the first choice is the default. */
export function outputOption(choices: readonly string[]): OptionSpec {
  return { type: 'string', short: 'o', value: 'FORMAT', description: `output format: ${choices.join(', ')}`, default: choices[0] };
}

export const allNamespacesOption: OptionSpec = { type: 'boolean', short: 'A', description: 'in every namespace' };

/** The object, or a CliError saying it is not there. */
export async function requireObject(context: CliContext, ref: FluxObjectRef): Promise<KubernetesObject> {
  const object = await context.cluster().get(ref);
  if (!object) throw new CliError(notFoundMessage(ref));
  return object;
}
