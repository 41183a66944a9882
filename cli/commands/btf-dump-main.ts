// The `kmodel btf dump …` process. scripts/build-cli.mjs bundles this apart from
// cli/main.ts so the dump does not load every command (zod, yaml, the verifier:
// ~1.6 MB of JS, ~150 ms of startup) and writes the dump's bytes to fd 1 as
// they are, without turning 12 MB into a JS string and back. Errors and exit
// codes are the same as through cli/main.ts.
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import { CliError } from '../errors';
import { btfDumpTo } from './btf-dump';

const WORDS = 'btf dump';

/**
 * Writes chunks to `fd` with write(2) while the fd blocks; if it turns out not
 * to (EAGAIN on a non-blocking pipe), the rest goes through the stream API,
 * copied, since the caller reuses its buffer. `done()` waits for that to drain.
 */
export function fdWriter(
  fd: number,
  stream: () => NodeJS.WritableStream = () => process.stdout,
): { write: (chunk: Uint8Array) => void; done: () => Promise<void> } {
  let s: NodeJS.WritableStream | undefined;
  let full = false;
  return {
    write(c) {
      let off = 0;
      while (!s && off < c.length) {
        try {
          off += writeSync(fd, c, off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          s = stream();
        }
      }
      if (s && off < c.length && !s.write(c.slice(off))) full = true;
    },
    async done() {
      if (s && full) await once(s, 'drain');
    },
  };
}

/** Runs `kmodel btf dump` with `argv` (after the command words); returns the exit status. */
export async function btfDumpMain(
  argv: string[],
  stderr: (t: string) => void = (t) => process.stderr.write(t),
  fd = 1,
): Promise<number> {
  try {
    const out = fdWriter(fd);
    btfDumpTo(argv, out.write);
    await out.done();
    return 0;
  } catch (e) {
    // A reader that goes away early (`kmodel btf dump … | head`) is not an error.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    if (e instanceof CliError) {
      stderr(`kmodel ${WORDS}: ${e.message}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    stderr(`kmodel ${WORDS}: internal error: ${msg}\n`);
    return 70;
  }
}

/** The process: `kmodel btf dump ARGS…` (process.argv after the two command words). */
export async function btfDumpProcess(): Promise<void> {
  // A reader that goes away while libuv still writes (non-blocking pipes) is not an error either.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  process.exitCode = await btfDumpMain(process.argv.slice(4));
}
