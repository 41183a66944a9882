// The program argument of `kmodel verify` and `kmodel jit`: FILE (hex text, raw
// struct bpf_insn bytes or assembly) or --hex HEX; errors as one-line CliErrors.
import { assemble } from '../core/isa/asm';
import { bytesFromHex, decodeInsns, isHexText } from '../core/isa/encoding';
import type { Insn } from '../core/isa/insn';
import { CliError, isCliError } from './errors';
import { readInputBytesOrFail } from './input-file';

function decodeProgram(file: string | undefined, hexArg: string | undefined): Insn[] {
  if (hexArg !== undefined) return decodeInsns(bytesFromHex(hexArg));
  if (file === undefined) throw new CliError('give a program FILE or --hex HEX');
  const raw = Buffer.from(readInputBytesOrFail(file, 'program'));
  const text = raw.toString('utf8');
  if (isHexText(text)) return decodeInsns(bytesFromHex(text));
  if (raw.length % 8 === 0 && raw.includes(0)) return decodeInsns(new Uint8Array(raw));
  return assemble(text);
}

export function readProgramArg(file: string | undefined, hexArg: string | undefined): Insn[] {
  const where = hexArg !== undefined ? '--hex' : (file ?? '--hex');
  let insns: Insn[];
  try {
    insns = decodeProgram(file, hexArg);
  } catch (e) {
    if (isCliError(e)) throw e;
    throw new CliError(`${where}: ${(e as Error).message}`);
  }
  // bpf_prog_load refuses insn_cnt 0 before the verifier runs; say so here.
  if (!insns.length) throw new CliError(`${where}: no instructions`);
  return insns;
}
