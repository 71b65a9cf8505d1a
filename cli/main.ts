// The `kimbernetes` command line: parse, run the command, report errors with their exit
// code (2 for a wrong command line, with its usage; 1 for a failure). `main` takes its
// streams and environment as arguments, so tests run it in-process.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from './args.js';
import { commands, groupSummaries } from './commands/index.js';
import { createContext, globalOptions, type CliContext } from './context.js';
import { CliError, ExitCode, UsageError } from './errors.js';
import { helpText, usageText } from './help.js';
import { Terminal, type CliIo } from './terminal.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const terminal = new Terminal(io, { noColor: argv.includes('--no-color') });
  let context: CliContext | undefined;
  try {
    const parsed = parseCommandLine(argv, commands, globalOptions);
    if (parsed.help) {
      io.stdout.write(helpText(parsed.words, commands, globalOptions, groupSummaries));
      return ExitCode.Ok;
    }
    context = await createContext(parsed.invocation, io);
    return await parsed.invocation.command.run(context, parsed.invocation);
  } catch (error) {
    terminal.failure(error instanceof Error ? error.message : String(error));
    if (error instanceof UsageError) io.stderr.write(usageText(error.command, commands));
    return error instanceof CliError ? error.exitCode : ExitCode.Failure;
  } finally {
    await context?.close();
  }
}

/** Runs the CLI in this process, with its arguments and streams. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
