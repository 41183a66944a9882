import { describe, expect, it } from 'vitest';
import { insn } from '../isa/insn';
import { analyzeXlated, funcStarts } from './xlated-input';

describe('analyzeXlated', () => {
  it('stack depth: the lowest fp-relative byte touched, through copies, adds and spills', () => {
    const insns = [
      insn(0xbf, 2, 10, 0, 0), // r2 = r10
      insn(0x07, 2, 0, 0, -24), // r2 += -24
      insn(0x7b, 10, 2, -8, 0), // *(u64 *)(r10 -8) = r2   (spill the pointer)
      insn(0x79, 3, 10, -8, 0), // r3 = *(u64 *)(r10 -8)   (fill it)
      insn(0x72, 3, 0, -5, 1), // *(u8 *)(r3 -5) = 1       → fp-29
      insn(0xb7, 0, 0, 0, 0),
      insn(0x95, 0, 0, 0, 0),
    ];
    expect(analyzeXlated(insns).funcs[0]!.stackDepth).toBe(29);
  });

  it('only memory arguments of a known callee count; others are not accesses', () => {
    const insns = [
      insn(0xbf, 2, 10, 0, 0),
      insn(0x07, 2, 0, 0, -64), // r2 = fp-64, never passed as memory
      insn(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 -8) = 0
      insn(0x85, 0, 0, 0, 1000), // a callee taking no memory
      insn(0x95, 0, 0, 0, 0),
    ];
    expect(analyzeXlated(insns).funcs[0]!.stackDepth).toBe(64); // unknown callee: r1..r5 all count
    expect(analyzeXlated(insns, { memArgRegs: () => [] }).funcs[0]!.stackDepth).toBe(8);
  });

  it("a subprogram's access through a pointer grows the caller's depth by what it touches", () => {
    const insns = [
      insn(0xbf, 1, 10, 0, 0),
      insn(0x07, 1, 0, 0, -16), // r1 = fp-16
      insn(0x85, 0, 1, 2, 1), // call func#1 (dump form: off = relative, imm = index)
      insn(0x95, 0, 0, 0, 0),
      insn(0xb7, 0, 0, 0, 0), // unreachable filler of main
      insn(0x7a, 1, 0, 8, 7), // func#1: *(u64 *)(r1 +8) = 7   → caller's fp-8
      insn(0x95, 0, 0, 0, 0),
    ];
    expect(funcStarts(insns)).toEqual([0, 5]);
    const an = analyzeXlated(insns);
    expect(an.funcs.map((f) => f.stackDepth)).toEqual([8, 0]);
  });

  it('tail calls: reachability up the call chain, direct only for one constant key in range', () => {
    const prog = (setKey: ReturnType<typeof insn>[]) => [
      insn(0x18, 2, 1, 0, 0),
      insn(0, 0, 0, 0, 0),
      ...setKey,
      insn(0x85, 0, 0, 0, 12),
      insn(0x95, 0, 0, 0, 0),
    ];
    const opts = { maxEntries: () => 4 };
    expect([
      ...analyzeXlated(prog([insn(0xb7, 3, 0, 0, 1), insn(0x07, 3, 0, 0, 2)]), opts).directTailCalls,
    ]).toEqual([4]);
    expect(
      analyzeXlated(prog([insn(0xb7, 3, 0, 0, 1), insn(0x07, 3, 0, 0, 3)]), opts).directTailCalls.size,
    ).toBe(0);
    expect(
      analyzeXlated(prog([insn(0x61, 3, 1, 0, 0), insn(0xb7, 4, 0, 0, 0)]), opts).directTailCalls.size,
    ).toBe(0);
    const an = analyzeXlated(prog([insn(0xb7, 3, 0, 0, 0), insn(0xb7, 4, 0, 0, 0)]), opts);
    expect(an.funcs[0]!.tailCallReachable).toBe(true);
  });
});
