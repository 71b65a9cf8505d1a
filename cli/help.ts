// Help text, from the same command specs the parser reads: an overview, a group's
// subcommands (`kimbernetes get --help`), one command's usage and flags.
import { canonicalWords, type CommandSpec, type OptionSpecs } from './args.js';

/** Summaries of the words that group commands (`get`, `get sources`). */
export type GroupSummaries = Readonly<Record<string, string>>;

function optionLines(specs: OptionSpecs): string[] {
  const entries = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'string'}` : ''}`;
    const text = `${spec.description}${spec.default !== undefined ? ` (default ${spec.default})` : ''}`;
    return [flag, text] as const;
  });
  const width = Math.max(0, ...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}   ${text}`);
}

function usageLine(command: CommandSpec): string {
  const args = (command.args ?? []).map((arg) => (arg.optional ? `[${arg.name}]` : arg.name));
  return ['kimbernetes', ...canonicalWords(command), ...args, '[flags]'].join(' ');
}

function commandList(commands: readonly CommandSpec[]): string[] {
  const lines = commands.map((command) => [[...canonicalWords(command), ...(command.args ?? []).map((arg) => arg.name)].join(' '), command.summary] as const);
  const width = Math.max(0, ...lines.map(([usage]) => usage.length));
  return lines.map(([usage, summary]) => `  ${usage.padEnd(width)}   ${summary}`);
}

function startsWith(command: CommandSpec, words: readonly string[]): boolean {
  const canonical = canonicalWords(command);
  return words.every((word, index) => canonical[index] === word);
}

/** After a wrong command line: the usage of the command or the commands of the group, and where the flags are. */
export function usageText(words: readonly string[], commands: readonly CommandSpec[]): string {
  const command = commands.find((c) => canonicalWords(c).join(' ') === words.join(' '));
  const lines = command ? [`Usage: ${usageLine(command)}`] : ['Commands:', ...commandList(commands.filter((c) => startsWith(c, words)))];
  const subject = words.length > 0 ? `kimbernetes ${words.join(' ')}` : 'kimbernetes';
  return `${[...lines, `Run '${subject} --help' for ${command ? 'its flags' : 'more'}.`].join('\n')}\n`;
}

/** Help for the command or group named by `words`; the overview when `words` is empty. */
export function helpText(words: readonly string[], commands: readonly CommandSpec[], globalOptions: OptionSpecs, groups: GroupSummaries): string {
  const command = commands.find((c) => canonicalWords(c).join(' ') === words.join(' '));
  const globals = ['Global flags:', ...optionLines(globalOptions)];
  if (command) {
    const lines = [`Usage: ${usageLine(command)}`, '', command.summary, ''];
    if (command.options && Object.keys(command.options).length > 0) lines.push('Flags:', ...optionLines(command.options), '');
    lines.push(...globals);
    if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((example) => `  ${example}`));
    return `${lines.join('\n')}\n`;
  }
  const under = commands.filter((c) => startsWith(c, words));
  const title = words.length > 0 ? `${groups[words.join(' ')] ?? ''}\n\nUsage: kimbernetes ${words.join(' ')} <command> [flags]` : 'kimbernetes: a GitOps engine that does what Flux does, on Temporal\n\nUsage: kimbernetes <command> [flags]';
  return `${[title, '', 'Commands:', ...commandList(under), '', ...globals, '', 'Run `kimbernetes <command> --help` for the flags of a command.'].join('\n')}\n`;
}
