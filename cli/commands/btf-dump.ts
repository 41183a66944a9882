// `kmodel btf dump FILE [--base FILE] [--format raw|c]`: like `bpftool btf dump file FILE [format c]`.
import { setFlagsFromString } from 'node:v8';
import { BtfError, dumpBtfCTo, dumpBtfRawBytes } from '../../core/btf/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { fdWriter } from '../fd-writer';
import { loadBtfFileArg } from './btf-load';

/**
 * Checks the arguments, loads the BTF and hands its dump to `write` as UTF-8
 * byte chunks. A chunk is valid during the call only: the dumpers reuse one buffer.
 */
export function btfDumpTo(argv: string[], write: (chunk: Uint8Array) => void): void {
  const args = parseArgs(argv);
  checkFlags(args, ['base', 'format']);
  const format = flagString(args, 'format') ?? 'raw';
  if (format !== 'raw' && format !== 'c') throw new CliError(`--format must be raw or c, got '${format}'`);
  if (args.positional.length !== 1) throw new CliError('give exactly one BTF FILE');
  const baseFile = flagString(args, 'base');
  const btf = loadBtfFileArg(
    args.positional[0]!,
    baseFile === undefined ? undefined : loadBtfFileArg(baseFile),
  );
  try {
    if (format === 'c') dumpBtfCTo(btf, write);
    else for (const chunk of dumpBtfRawBytes(btf, 1 << 20, true)) write(chunk);
  } catch (e) {
    // BTF the parser accepts can still be beyond dumping (a cycle with no forward declaration, a chain too deep).
    if (e instanceof BtfError) throw new CliError(`${args.positional[0]}: ${e.message}`);
    throw e;
  }
}

/**
 * A one-shot dump spends more CPU compiling its hot functions than running them once
 * compiled: inlining makes TurboFan's graphs big (vmlinux --format c: ~340 → ~270 ms CPU).
 */
const ONE_SHOT_V8_FLAGS = '--no-turbo-inlining --no-turbo-loop-peeling --no-turbo-escape';

export const btfDump: Command = {
  async run(ctx) {
    if (ctx.stdoutFd !== undefined) {
      // The `kmodel` process: the dump's bytes go to fd 1 as they are. The process ends
      // after it, so it may set V8 flags for its own compiles.
      setFlagsFromString(ONE_SHOT_V8_FLAGS);
      const out = fdWriter(ctx.stdoutFd);
      btfDumpTo(ctx.argv, out.write);
      await out.done();
      return 0;
    }
    const dec = new TextDecoder();
    btfDumpTo(ctx.argv, (chunk) => ctx.stdout(dec.decode(chunk)));
    return 0;
  },
};
