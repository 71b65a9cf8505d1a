// The CLI's one error type: what to tell the user and the exit code that says it.
export const ExitCode = {
  Ok: 0,
  /** the command ran and something failed: a missing object, a failed reconcile, differences found by diff */
  Failure: 1,
  /** the command line itself is wrong */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failure,
  ) {
    super(message);
  }
}

/** A wrong command line; the usage of `command` (its words, e.g. `get kustomizations`) follows the message. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command: readonly string[] = [],
  ) {
    super(message, ExitCode.Usage);
  }
}
