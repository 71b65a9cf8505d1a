// Reading the CLI's command lines: Flux's words and aliases, flags, wrong input as
// usage errors (exit code 2), and help at every level.
import { describe, expect, it } from '@jest/globals';
import { parseCommandLine, type CommandSpec, type Invocation } from '../../cli/args.js';
import { commands, groupSummaries } from '../../cli/commands/index.js';
import { globalOptions } from '../../cli/context.js';
import { ExitCode, UsageError } from '../../cli/errors.js';
import { helpText, usageText } from '../../cli/help.js';

function invocation(...argv: string[]): Invocation<CommandSpec> {
  const parsed = parseCommandLine(argv, commands, globalOptions);
  if (parsed.help) throw new Error('expected a command');
  return parsed.invocation;
}

function usageError(...argv: string[]): UsageError {
  try {
    parseCommandLine(argv, commands, globalOptions);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

const words = (inv: Invocation<CommandSpec>) => inv.command.words.map((aliases) => aliases[0]).join(' ');

describe('command lines', () => {
  it('finds commands by flux’s words and aliases', () => {
    expect(words(invocation('get', 'kustomizations'))).toBe('get kustomizations');
    expect(words(invocation('get', 'ks'))).toBe('get kustomizations');
    expect(words(invocation('get', 'source', 'git'))).toBe('get sources git');
    expect(words(invocation('get', 'hr'))).toBe('get helmreleases');
    expect(words(invocation('reconcile', 'ks', 'apps'))).toBe('reconcile kustomization');
    expect(words(invocation('reconcile', 'source', 'git', 'flux-system'))).toBe('reconcile source git');
    expect(words(invocation('resume', 'helmrelease', 'podinfo'))).toBe('resume helmrelease');
  });

  it('reads arguments and flags wherever they stand, later flags winning', () => {
    const inv = invocation('-n', 'apps', 'reconcile', 'kustomization', 'web', '--with-source', '-n', 'prod');
    expect(inv.args).toEqual(['web']);
    expect(inv.string('namespace')).toBe('prod');
    expect(inv.flag('with-source')).toBe(true);
    expect(invocation('get', 'all').string('namespace')).toBe('flux-system');
    expect(invocation('get', 'all').choice('output', ['table', 'json'])).toBe('table');
    expect(invocation('check', '--components', 'source-controller', '--components-extra', 'a,b').list('components-extra')).toEqual(['a', 'b']);
  });

  it('refuses wrong command lines, naming what is wrong and the command it was for', () => {
    expect(usageError().message).toBe('a command is required');
    expect(usageError('get').message).toBe("'get' needs a subcommand");
    expect(usageError('get', 'pods')).toMatchObject({ message: "unknown command 'get pods'", command: ['get'] });
    expect(usageError('frobnicate')).toMatchObject({ message: "unknown command 'frobnicate'", command: [] });
    expect(usageError('reconcile', 'ks')).toMatchObject({ message: 'NAME is required', command: ['reconcile', 'kustomization'] });
    expect(usageError('reconcile', 'ks', 'a', 'b').message).toBe("unexpected argument 'b'");
    expect(usageError('get', 'ks', '--with-source').message).toBe("unknown option '--with-source'");
    expect(usageError('get', 'ks', '-n').message).toMatch(/^option '-n, --namespace <value>' argument missing/);
    expect(usageError('get', 'ks', 'extra').exitCode).toBe(ExitCode.Usage);
    expect(() => invocation('get', 'ks', '-o', 'xml').choice('output', ['table', 'json'])).toThrow("--output must be one of table, json, got 'xml'");
    expect(() => invocation('diff', 'ks', 'apps').required('path')).toThrow('--path is required');
  });

  it('asks for help with --help, -h or help, at every level', () => {
    expect(parseCommandLine(['--help'], commands, globalOptions)).toEqual({ help: true, words: [] });
    expect(parseCommandLine(['get', '-h'], commands, globalOptions)).toEqual({ help: true, words: ['get'] });
    expect(parseCommandLine(['help', 'get', 'source'], commands, globalOptions)).toEqual({ help: true, words: ['get', 'sources'] });
    expect(parseCommandLine(['reconcile', 'ks', '--help'], commands, globalOptions)).toEqual({ help: true, words: ['reconcile', 'kustomization'] });
  });
});

describe('help', () => {
  it('lists every command in the overview', () => {
    const overview = helpText([], commands, globalOptions, groupSummaries);
    for (const command of commands) expect(overview).toContain(command.words.map((aliases) => aliases[0]).join(' '));
    expect(overview).toContain('--task-queue-prefix PREFIX');
  });

  it('shows a command’s usage, flags with defaults, and examples', () => {
    const help = helpText(['bootstrap', 'git'], commands, globalOptions, groupSummaries);
    expect(help).toMatch(/^Usage: kimbernetes bootstrap git \[flags\]\n/);
    expect(help).toMatch(/--branch NAME\s+the branch to follow \(default main\)/);
    expect(help).toContain('Examples:\n  kimbernetes bootstrap git --url ssh://');
  });

  it('after a wrong command line, shows the usage and where the flags are', () => {
    expect(usageText(['tree', 'kustomization'], commands)).toBe("Usage: kimbernetes tree kustomization NAME [flags]\nRun 'kimbernetes tree kustomization --help' for its flags.\n");
    expect(usageText(['get', 'sources'], commands)).toMatch(/^Commands:\n {2}get sources git\s+the status of GitRepository objects\n {2}get sources oci\s+the status of OCIRepository objects\n {2}get sources helm\s+the status of HelmRepository objects\n {2}get sources chart\s+the status of HelmChart objects\nRun 'kimbernetes get sources --help' for more\.\n$/);
  });

  it('gives every flag a description and every command a summary', () => {
    for (const command of commands) {
      expect(command.summary).not.toBe('');
      for (const spec of Object.values({ ...globalOptions, ...command.options })) expect(spec.description).not.toBe('');
    }
  });
});
