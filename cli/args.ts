import { CliError } from './errors';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses `--name value`, `--name=value` and bare `--switch` flags.
 * `booleans` lists the flags that never take a value.
 */
export function parseArgs(argv: string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        flags.set(a.slice(2, eq), a.slice(eq + 1));
      } else if (booleans.includes(a.slice(2))) {
        flags.set(a.slice(2), true);
      } else {
        const v = argv[i + 1];
        if (v === undefined) throw new CliError(`option ${a} needs a value`);
        flags.set(a.slice(2), v);
        i++;
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new CliError(`option --${name} needs a value`);
  return v;
}

export function checkFlags(args: ParsedArgs, allowed: readonly string[]): void {
  for (const k of args.flags.keys()) {
    if (!allowed.includes(k)) throw new CliError(`unknown option --${k}`);
  }
}
