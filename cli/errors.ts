/** An error meant for the user: printed as one line, no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * Whether `e` is a CliError. By name too, since the built CLI bundles each
 * command apart (scripts/build-cli.mjs), each with its own copy of the class.
 */
export function isCliError(e: unknown): e is CliError {
  return e instanceof CliError || (e instanceof Error && e.name === 'CliError');
}
