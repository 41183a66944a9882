// `kmodel btf find NAME [--kind K] [--file FILE] [--base FILE]`: id, kind, size and owner of each type named NAME.
import { type BtfKindName, btfKindNumber, sizeOf } from '../../core/btf/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadBtfArg } from './btf-load';

export const btfFind: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['kind', 'file', 'base']);
    if (args.positional.length !== 1) throw new CliError('give exactly one NAME');
    const kindArg = flagString(args, 'kind');
    let kind: BtfKindName | undefined;
    if (kindArg !== undefined) {
      if (btfKindNumber(kindArg) === undefined) throw new CliError(`unknown --kind '${kindArg}'`);
      kind = kindArg.toUpperCase() as BtfKindName;
    }
    const btf = await loadBtfArg(flagString(args, 'file'), flagString(args, 'base'));
    const ids = btf.findAllByName(args.positional[0]!, kind);
    if (ids.length === 0) {
      ctx.stderr(`kmodel btf find: no type named '${args.positional[0]}'\n`);
      return 1;
    }
    for (const id of ids) {
      let size = '-';
      try {
        size = String(sizeOf(btf, id));
      } catch {
        // functions, forward declarations and void have no size
      }
      const where = btf.owner(id).name;
      ctx.stdout(`${id}\t${btf.kindNameOf(id)}\tsize=${size}\t${where}\n`);
    }
    return 0;
  },
};
