// `kmodel object insns`: a program's instructions exactly as libbpf passes
// them to BPF_PROG_LOAD (maps as BPF_PSEUDO_MAP_IDX[_VALUE] + first-reference
// index, kfuncs as vmlinux BTF ids), as hex or as the verifier log's text
// (with --source, the C lines from .BTF.ext line_info between them).

import { encodeInsns } from '../../core/isa/encoding';
import { disasmLoadedProgram } from '../../core/object/describe';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadObjectOrFail, programOrFail } from '../object-load';

export const objectInsns: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['source']);
    checkFlags(args, ['program', 'format', 'source']);
    if (args.positional.length !== 1) throw new CliError('give one OBJ.o');
    const format = flagString(args, 'format') ?? 'hex';
    if (format !== 'hex' && format !== 'text') throw new CliError('--format must be hex or text');
    const path = args.positional[0]!;
    const { obj, target } = await loadObjectOrFail(path);
    const prog = programOrFail(obj, path, flagString(args, 'program'));
    if (format === 'text') {
      ctx.stdout(`${disasmLoadedProgram(prog, target, args.flags.has('source')).join('\n')}\n`);
      return 0;
    }
    // The object's byte order: what libbpf on a host of that order hands the kernel.
    const bytes = encodeInsns(prog.insns, obj.littleEndian ? 'le' : 'be');
    ctx.stdout(`${Buffer.from(bytes).toString('hex')}\n`);
    return 0;
  },
};
