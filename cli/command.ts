/** What a CLI command gets: its arguments (after the command words) and output streams. */
export interface CommandContext {
  argv: string[];
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * Set when stdout is a file descriptor the command may write bytes to with
   * write(2) (the `kmodel` process: 1), so big outputs need not become JS strings.
   */
  stdoutFd?: number;
  /** stderr is a terminal: a long command may show its progress there (never when piped). */
  stderrIsTTY?: boolean;
}

/** A command's implementation: one module in cli/commands, loaded only when it runs. */
export interface Command {
  /** Returns the exit status. Throw CliError for bad input. */
  run(ctx: CommandContext): Promise<number> | number;
}

/** How `kmodel` lists and selects a command without loading its module. */
export interface CommandEntry {
  /** Words that select it, e.g. ['btf', 'dump']. */
  words: string[];
  usage: string;
  summary: string;
  load(): Promise<Command>;
}
