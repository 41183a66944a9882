// `kmodel disasm`: instruction bytes (as `bpftool prog dump xlated … file` writes them)
// → the kernel's text, one `N: (op) …` line per instruction.

import {
  bpftoolResolver,
  type DisasmResolver,
  disasmProgram,
  parseKallsyms,
  xlatedResolver,
} from '../../core/isa/disasm';
import { bytesFromHex, decodeInsns, isHexText } from '../../core/isa/encoding';
import { IsaError } from '../../core/isa/errors';
import type { Insn } from '../../core/isa/insn';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { readInputBytesOrFail, readInputTextOrFail } from '../input-file';

/** Reads FILE or --hex into bytes; CliError when neither or both are given. */
export function readBytesInput(positional: string[], hex: string | undefined): Uint8Array {
  if (hex !== undefined && positional.length) throw new CliError('give FILE or --hex, not both');
  if (positional.length > 1) throw new CliError(`unexpected argument '${positional[1]}'`);
  if (hex !== undefined) {
    try {
      return bytesFromHex(hex);
    } catch (e) {
      throw new CliError(`--hex: ${(e as Error).message}`);
    }
  }
  if (!positional.length) throw new CliError('missing FILE (or --hex HEX)');
  const bytes = readInputBytesOrFail(positional[0]!, 'program');
  // A file of hex text (as `kmodel asm` prints) is read as the bytes it spells.
  const text = new TextDecoder().decode(bytes);
  if (isHexText(text)) {
    try {
      return bytesFromHex(text);
    } catch (e) {
      throw new CliError(`${positional[0]}: ${(e as Error).message}`);
    }
  }
  return bytes;
}

export function decodeOrFail(bytes: Uint8Array, bigEndian: boolean): Insn[] {
  try {
    return decodeInsns(bytes, bigEndian ? 'be' : 'le');
  } catch (e) {
    if (e instanceof IsaError) throw new CliError(e.reason);
    throw e;
  }
}

export const disasm: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv, ['big-endian']);
    checkFlags(args, ['hex', 'big-endian', 'kallsyms']);
    const bytes = readBytesInput(args.positional, flagString(args, 'hex'));
    const insns = decodeOrFail(bytes, args.flags.has('big-endian'));
    if (!insns.length) throw new CliError('no instructions');
    // With kallsyms, calls in xlated code are named as bpftool names them.
    let resolver: DisasmResolver = bpftoolResolver;
    const kallsyms = flagString(args, 'kallsyms');
    if (kallsyms !== undefined) {
      try {
        resolver = xlatedResolver(parseKallsyms(readInputTextOrFail(kallsyms, 'kallsyms')));
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(`${kallsyms}: ${(e as Error).message}`);
      }
    }
    ctx.stdout(`${disasmProgram(insns, resolver).join('\n')}\n`);
    return 0;
  },
};
