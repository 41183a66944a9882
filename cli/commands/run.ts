// `kmodel run`: interpret a program with the bpf_conformance convention (r1 = pointer to
// a writable copy of the memory, r2 = its length, helper 5 present) and print r0 in hex.
// FILE may be a conformance .data file, raw instruction bytes, or assembly text.

import { AsmError } from '../../core/isa/asm';
import {
  conformanceProgram,
  DataFileError,
  isConformanceData,
  parseConformanceData,
} from '../../core/isa/conformance';
import { bytesFromHex } from '../../core/isa/encoding';
import { IsaError } from '../../core/isa/errors';
import type { Insn } from '../../core/isa/insn';
import { InterpError, runConformance } from '../../core/isa/interp';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { assembleOrFail } from './asm';
import { decodeOrFail, readBytesInput } from './disasm';

/** Text files are 7-bit printable (plus whitespace); anything else is taken as raw bytes. */
const looksLikeText = (b: Uint8Array): boolean =>
  b.length > 0 && b.every((x) => x === 9 || x === 10 || x === 13 || (x >= 32 && x < 127));

export const run: Command = {
  run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['hex', 'mem', 'steps']);
    const hex = flagString(args, 'hex');
    const bytes = readBytesInput(args.positional, hex);
    const where = args.positional[0] ?? '--hex';
    let insns: Insn[];
    let mem: Uint8Array = new Uint8Array(0);
    if (hex === undefined && looksLikeText(bytes)) {
      const text = new TextDecoder().decode(bytes);
      if (isConformanceData(text)) {
        try {
          const d = parseConformanceData(text);
          insns = conformanceProgram(d);
          mem = d.mem;
        } catch (e) {
          if (e instanceof DataFileError || e instanceof AsmError || e instanceof IsaError) {
            throw new CliError(`${where}: ${e.message}`);
          }
          throw e;
        }
      } else {
        insns = assembleOrFail(text, 'auto', where);
      }
    } else {
      insns = decodeOrFail(bytes, false);
    }
    if (!insns.length) throw new CliError(`${where}: no instructions`);
    const memHex = flagString(args, 'mem');
    if (memHex !== undefined) {
      try {
        mem = bytesFromHex(memHex);
      } catch (e) {
        throw new CliError(`--mem: ${(e as Error).message}`);
      }
    }
    const stepsText = flagString(args, 'steps');
    const stepLimit = stepsText === undefined ? undefined : Number(stepsText);
    if (stepLimit !== undefined && !(Number.isInteger(stepLimit) && stepLimit > 0)) {
      throw new CliError(`--steps must be a positive integer, got '${stepsText}'`);
    }
    try {
      const r = runConformance(insns, mem, { stepLimit });
      ctx.stdout(`0x${r.r0.toString(16)}\n`);
    } catch (e) {
      if (e instanceof IsaError || e instanceof InterpError) throw new CliError(e.message);
      throw e;
    }
    return 0;
  },
};
