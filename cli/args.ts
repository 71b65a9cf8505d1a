// Reading a command line: which command it names (by its words, Flux's aliases
// accepted), its positional arguments and its flags. Pure: argv in, a parsed invocation
// or a UsageError out.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** the value's name in help: `--path DIR` */
  value?: string;
  description: string;
  /** the default, as help shows it and as `Invocation.string` returns it */
  default?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec {
  /** the words that name the command, each with its aliases first-canonical: [['get'], ['kustomizations', 'ks']] */
  words: readonly (readonly string[])[];
  summary: string;
  /** positional arguments, as help names them */
  args?: readonly { name: string; optional?: boolean }[];
  options?: OptionSpecs;
  examples?: readonly string[];
}

type Value = string | boolean | (string | boolean)[] | undefined;

/** A parsed command line, with typed access to its flags. */
export class Invocation<C extends CommandSpec = CommandSpec> {
  constructor(
    readonly command: C,
    readonly args: readonly string[],
    private readonly values: Readonly<Record<string, Value>>,
    private readonly specs: OptionSpecs,
  ) {}

  /** the flag's value, else its default */
  string(name: string): string | undefined {
    const value = this.values[name];
    if (typeof value === 'string') return value;
    return this.specs[name]?.default;
  }

  /** a flag that must be given */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required`, canonicalWords(this.command));
    return value;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** a repeatable flag; each value may also be a comma-separated list */
  list(name: string): string[] | undefined {
    const value = this.values[name] ?? this.specs[name]?.default;
    if (value === undefined) return undefined;
    const values = Array.isArray(value) ? value : [value];
    return values.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
  }

  /** a flag whose value is one of `choices` */
  choice<T extends string>(name: string, choices: readonly T[]): T {
    const value = this.string(name) ?? choices[0]!;
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`, canonicalWords(this.command));
    }
    return value as T;
  }

  /** the positional argument at `index`, which the command's spec requires */
  arg(index: number): string {
    return this.args[index]!;
  }
}

export type ParsedCommandLine<C extends CommandSpec> =
  /** help about the command or group named by `words` (all commands when empty) */
  | { help: true; words: string[] }
  | { help: false; invocation: Invocation<C> };

export function canonicalWords(command: CommandSpec): string[] {
  return command.words.map((aliases) => aliases[0]!);
}

function matchedWords(command: CommandSpec, positionals: readonly string[]): number {
  let matched = 0;
  for (const aliases of command.words) {
    if (!aliases.includes(positionals[matched] ?? '')) break;
    matched += 1;
  }
  return matched;
}

/** The command `positionals` start with, the longest match winning. */
function findCommand<C extends CommandSpec>(commands: readonly C[], positionals: readonly string[]): C | undefined {
  let best: C | undefined;
  for (const command of commands) {
    if (matchedWords(command, positionals) === command.words.length && (!best || command.words.length > best.words.length)) best = command;
  }
  return best;
}

/** The canonical words of the deepest group `positionals` lead into (`get sources`), for help and errors. */
export function groupWords(commands: readonly CommandSpec[], positionals: readonly string[]): string[] {
  let depth = 0;
  let words: string[] = [];
  for (const command of commands) {
    const matched = Math.min(matchedWords(command, positionals), command.words.length - 1);
    if (matched > depth) {
      depth = matched;
      words = canonicalWords(command).slice(0, matched);
    }
  }
  return words;
}

export function parseCommandLine<C extends CommandSpec>(argv: readonly string[], commands: readonly C[], globalOptions: OptionSpecs): ParsedCommandLine<C> {
  // First pass, lenient, with every flag any command knows: find the positionals.
  const known: Record<string, OptionSpec> = { ...globalOptions };
  for (const command of commands) Object.assign(known, command.options);
  const { values: loose, positionals } = parseArgs({ args: [...argv], options: forParseArgs(known), strict: false, allowPositionals: true });
  const wantsHelp = loose.help === true || positionals[0] === 'help';
  const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
  const command = findCommand(commands, words);

  if (wantsHelp) return { help: true, words: command ? canonicalWords(command) : groupWords(commands, words) };
  if (!command) {
    if (words.length === 0) throw new UsageError('a command is required');
    const group = groupWords(commands, words);
    const unknown = words[group.length];
    if (unknown === undefined) throw new UsageError(`'${group.join(' ')}' needs a subcommand`, group);
    throw new UsageError(`unknown command '${[...group, unknown].join(' ')}'`, group);
  }

  // Second pass, strict, with the flags of this command only.
  const specs = { ...globalOptions, ...command.options };
  let values: Record<string, Value>;
  let args: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options: forParseArgs(specs), strict: true, allowPositionals: true });
    values = parsed.values;
    args = parsed.positionals.slice(command.words.length);
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1), canonicalWords(command));
  }
  const expected = command.args ?? [];
  const required = expected.filter((arg) => !arg.optional).length;
  if (args.length < required) throw new UsageError(`${expected[args.length]!.name} is required`, canonicalWords(command));
  if (args.length > expected.length) throw new UsageError(`unexpected argument '${args[expected.length]}'`, canonicalWords(command));
  return { help: false, invocation: new Invocation(command, args, values, specs) };
}

function forParseArgs(specs: OptionSpecs) {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
}
