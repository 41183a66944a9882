// `kmodel btf dump FILE [--base FILE] [--format raw|c]`: like `bpftool btf dump file FILE [format c]`.
import { dumpBtfC, dumpBtfRawChunks } from '../../core/btf/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadBtfArg } from './btf-load';

export const btfDump: Command = {
  words: ['btf', 'dump'],
  usage: 'btf dump FILE [--base FILE] [--format raw|c]',
  summary: 'dump BTF (raw BTF or ELF .BTF) like bpftool btf dump',
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['base', 'format']);
    const format = flagString(args, 'format') ?? 'raw';
    if (format !== 'raw' && format !== 'c') throw new CliError(`--format must be raw or c, got '${format}'`);
    if (args.positional.length !== 1) throw new CliError('give exactly one BTF FILE');
    const btf = await loadBtfArg(args.positional[0], flagString(args, 'base'));
    if (format === 'c') {
      ctx.stdout(dumpBtfC(btf));
    } else {
      for (const chunk of dumpBtfRawChunks(btf)) ctx.stdout(chunk);
    }
    return 0;
  },
};
