// `kmodel btf dump FILE [--base FILE] [--format raw|c]`: like `bpftool btf dump file FILE [format c]`.
import { dumpBtfCBytes, dumpBtfRawBytes } from '../../core/btf/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadBtfForDump } from './btf-dump-load';

/** Checks the arguments, loads the BTF and returns its dump as byte chunks (UTF-8 text). */
export async function btfDumpBytes(argv: string[]): Promise<Iterable<Uint8Array>> {
  const args = parseArgs(argv);
  checkFlags(args, ['base', 'format']);
  const format = flagString(args, 'format') ?? 'raw';
  if (format !== 'raw' && format !== 'c') throw new CliError(`--format must be raw or c, got '${format}'`);
  if (args.positional.length !== 1) throw new CliError('give exactly one BTF FILE');
  const baseFile = flagString(args, 'base');
  const btf = loadBtfForDump(
    args.positional[0]!,
    baseFile === undefined ? undefined : loadBtfForDump(baseFile),
  );
  // Raw chunks reuse one buffer: every consumer here writes or decodes a chunk before taking the next.
  return format === 'c' ? dumpBtfCBytes(btf) : dumpBtfRawBytes(btf, 1 << 20, true);
}

export const btfDump: Command = {
  words: ['btf', 'dump'],
  usage: 'btf dump FILE [--base FILE] [--format raw|c]',
  summary: 'dump BTF (raw BTF or ELF .BTF) like bpftool btf dump',
  async run(ctx) {
    // The `kmodel` process takes btf-dump-main.ts instead and writes these bytes as they are.
    const dec = new TextDecoder();
    for (const chunk of await btfDumpBytes(ctx.argv)) ctx.stdout(dec.decode(chunk));
    return 0;
  },
};
