/** What a CLI command gets: its arguments (after the command words) and output streams. */
export interface CommandContext {
  argv: string[];
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  /** Words that select it, e.g. ['btf', 'dump']. */
  words: string[];
  usage: string;
  summary: string;
  /** Returns the exit status. Throw CliError for bad input. */
  run(ctx: CommandContext): Promise<number> | number;
}
