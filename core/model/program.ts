// Instruction text in a model: verifier-log ("xlated") syntax, one instruction per line,
// `//` or `;` comments. Two model-specific forms:
//   call NAME          a call to a named kernel function. In generated pro/epilogue code the
//                      call design decides the encoding (kfunc: BPF_PSEUDO_KFUNC_CALL + BTF id;
//                      wrapper: BPF_EMIT_CALL of a BPF_CALL_N symbol; helper: helper id).
//                      In a program it is a kfunc call (or a helper call for helper names).
//   {ctx_stack_off}    in an epilogue: the ctx save slot offset the verifier passes in.
// Everything else goes to the ISA assembler unchanged.
import type { Insn } from '../isa/insn';

export interface TextLine {
  /** 0-based line inside the text value (for diagnostics). */
  line: number;
  /** 0-based column of the instruction's first character. */
  col: number;
  text: string;
  /** Set for `call NAME` lines whose NAME is a symbol (not `pc+N`, not a number). */
  callName?: string;
}

const callRe = /^call\s+([A-Za-z_][A-Za-z0-9_]*)$/;

/** Splits instruction text into instruction lines, dropping blank lines and `//` comments. */
export function splitInsnText(text: string): TextLine[] {
  const out: TextLine[] = [];
  text.split('\n').forEach((raw, line) => {
    // Comments are `//` or `;`, as in the ISA assembler's kernel syntax.
    const m0 = /\/\/|;/.exec(raw);
    const body = (m0 ? raw.slice(0, m0.index) : raw).trimEnd();
    const t = body.trim();
    if (!t) return;
    const col = body.length - body.trimStart().length;
    const m = callRe.exec(t);
    out.push(m ? { line, col, text: t, callName: m[1]! } : { line, col, text: t });
  });
  return out;
}

export const CTX_STACK_OFF = '{ctx_stack_off}';

/** Replaces `{ctx_stack_off}` with a signed offset as the log prints it (`-8`, `+0`). */
export function substituteCtxStackOff(text: string, ctxStackOff: number): string {
  const s = ctxStackOff < 0 ? `-${-ctxStackOff}` : `+${ctxStackOff}`;
  return text.split(CTX_STACK_OFF).join(s);
}

/** Slots an instruction line occupies: ld_imm64 forms (wide constants, map[…], subprog[…]) take two. */
export function slotsOf(text: string): number {
  return /^r\d+ = (0x[0-9a-fA-F]{9,}|map\[|subprog\[)/.test(text) ? 2 : 1;
}

/** Error from assembling one line, located in the text. */
export class InsnTextError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'InsnTextError';
  }
}

/** Assembles instruction text (no model calls in it). Supplied by core/isa's assembler. */
export type AssembleFn = (text: string) => Insn[];

/**
 * Assembles text whose `call NAME` lines are encoded by `encodeCall`. The other lines go
 * to `assemble` one at a time, so an error names its own line; jumps use pc-relative
 * offsets, which do not depend on neighbours.
 */
export function assembleText(
  lines: readonly TextLine[],
  assemble: AssembleFn,
  encodeCall: (name: string, line: TextLine) => Insn | undefined,
): Insn[] {
  const out: Insn[] = [];
  for (const l of lines) {
    if (l.callName) {
      const call = encodeCall(l.callName, l);
      if (call) {
        out.push(call);
        continue;
      }
    }
    let insns: Insn[];
    try {
      insns = assemble(l.text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new InsnTextError(l.line, l.col, msg.replace(/^line \d+(:\d+)?:\s*/, ''));
    }
    out.push(...insns);
  }
  return out;
}
