// `kmodel asm`: assembly text (kernel verifier-log syntax or bpf_conformance syntax, or a
// conformance .data file) → struct bpf_insn bytes, written to --out or printed as hex.

import { writeFileSync } from 'node:fs';
import { AsmError, type AsmSyntax, assemble } from '../../core/isa/asm';
import { DataFileError, isConformanceData, parseConformanceData } from '../../core/isa/conformance';
import { encodeInsns, insnsToHex } from '../../core/isa/encoding';
import type { Insn } from '../../core/isa/insn';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { readInputTextOrFail } from '../input-file';

export function assembleOrFail(text: string, syntax: AsmSyntax | 'auto', where: string): Insn[] {
  try {
    if (isConformanceData(text)) {
      const d = parseConformanceData(text);
      if (d.asm === undefined) throw new CliError(`${where}: the .data file has no -- asm section`);
      return assemble(d.asm, { syntax: 'conformance' });
    }
    return assemble(text, { syntax });
  } catch (e) {
    if (e instanceof AsmError || e instanceof DataFileError) throw new CliError(`${where}: ${e.message}`);
    throw e;
  }
}

export const asm: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['out', 'syntax']);
    const syntax = flagString(args, 'syntax') ?? 'auto';
    if (syntax !== 'auto' && syntax !== 'kernel' && syntax !== 'conformance') {
      throw new CliError(`--syntax must be kernel or conformance, got '${syntax}'`);
    }
    if (args.positional.length !== 1) {
      throw new CliError(
        args.positional.length ? `unexpected argument '${args.positional[1]}'` : 'missing FILE',
      );
    }
    const file = args.positional[0]!;
    const text = readInputTextOrFail(file, 'program');
    const insns = assembleOrFail(text, syntax, file);
    if (!insns.length) throw new CliError(`${file}: no instructions`);
    const out = flagString(args, 'out');
    if (out === undefined) {
      ctx.stdout(`${insnsToHex(insns)}\n`);
    } else {
      try {
        writeFileSync(out, encodeInsns(insns));
      } catch (e) {
        throw new CliError(`cannot write ${out}: ${(e as Error).message}`);
      }
    }
    return 0;
  },
};
