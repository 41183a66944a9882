// `kmodel object show`: what a BPF ELF object holds once libbpf would have prepared it.
import { describeObject, formatObjectSummary } from '../../core/object/describe';
import { checkFlags, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadObjectOrFail } from '../object-load';

export const objectShow: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['json']);
    checkFlags(args, ['json']);
    if (args.positional.length !== 1) throw new CliError('give one OBJ.o');
    const path = args.positional[0]!;
    const { obj } = await loadObjectOrFail(path);
    const summary = describeObject(obj);
    ctx.stdout(
      args.flags.has('json') ? `${JSON.stringify(summary, null, 2)}\n` : formatObjectSummary(summary, path),
    );
    return 0;
  },
};
