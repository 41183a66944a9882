// `kmodel ARGS…` minus the process: pick the command by its words, load its
// module, run it, and turn errors into one line and an exit status.
import type { CommandContext, CommandEntry } from './command';
import { commands } from './commands/index';
import { isCliError } from './errors';

export function usage(list: readonly CommandEntry[] = commands): string {
  const lines = ['usage: kmodel <command> [options]', '', 'commands:'];
  for (const c of list) lines.push(`  ${c.usage.padEnd(56)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

export function select(
  argv: string[],
  list: readonly CommandEntry[] = commands,
): { cmd: CommandEntry; rest: string[] } | undefined {
  // Longest word match first, so `btf dump` wins over a hypothetical `btf`.
  const sorted = [...list].sort((a, b) => b.words.length - a.words.length);
  for (const cmd of sorted) {
    if (cmd.words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(cmd.words.length) };
  }
  return undefined;
}

/** Runs `kmodel` with `argv` (after the program name); returns the exit status. */
export async function dispatch(
  argv: string[],
  io: Omit<CommandContext, 'argv'>,
  list: readonly CommandEntry[] = commands,
): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(usage(list));
    return argv.length === 0 ? 2 : 0;
  }
  const found = select(argv, list);
  if (!found) {
    io.stderr(`kmodel: unknown command '${argv.join(' ')}'\n` + usage(list));
    return 2;
  }
  const name = found.cmd.words.join(' ');
  try {
    const cmd = await found.cmd.load();
    return await cmd.run({ ...io, argv: found.rest });
  } catch (e) {
    // A reader that goes away early (`kmodel btf dump … | head`) is not an error.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    if (isCliError(e)) {
      io.stderr(`kmodel ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // Anything else is a bug in kmodel, still reported as one line.
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`kmodel ${name}: internal error: ${msg}\n`);
    return 70;
  }
}
