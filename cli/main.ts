import type { Command } from './command';
import { commands } from './commands/index';
import { CliError } from './errors';

function usage(): string {
  const lines = ['usage: kmodel <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(`  ${c.usage.padEnd(56)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

function select(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  // Longest word match first, so `btf dump` wins over a hypothetical `btf`.
  const sorted = [...commands].sort((a, b) => b.words.length - a.words.length);
  for (const cmd of sorted) {
    if (cmd.words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(cmd.words.length) };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const stdout = (t: string) => process.stdout.write(t);
  const stderr = (t: string) => process.stderr.write(t);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    stdout(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = select(argv);
  if (!found) {
    stderr(`kmodel: unknown command '${argv.join(' ')}'\n` + usage());
    return 2;
  }
  try {
    return await found.cmd.run({ argv: found.rest, stdout, stderr });
  } catch (e) {
    if (e instanceof CliError) {
      stderr(`kmodel ${found.cmd.words.join(' ')}: ${e.message}\n`);
      return e.exitCode;
    }
    // Anything else is a bug in kmodel, still reported as one line.
    const msg = e instanceof Error ? e.message : String(e);
    stderr(`kmodel ${found.cmd.words.join(' ')}: internal error: ${msg}\n`);
    return 70;
  }
}

// A reader that goes away early (`kmodel btf dump … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Flush stdout before exiting so piped output is never cut short.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
