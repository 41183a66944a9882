import { describe, expect, it } from 'vitest';
import { loadLinuxRuns } from '../../test/fixtures/isa/load';
import * as B from './builders';
import { disasmProgram, formatInsn } from './disasm';
import { insnsToHex } from './encoding';
import type { Insn } from './insn';
import * as O from './opcodes';
import { checkProgram } from './validate';

const text = (insns: Insn[]) => insns.map((_, i) => formatInsn(insns, i));

describe('builders', () => {
  it('produce the bytes of the kernel macros', () => {
    expect(insnsToHex([B.BPF_MOV64_IMM(O.BPF_REG_0, 1)])).toBe('b700000001000000');
    expect(insnsToHex([B.BPF_LDX_MEM(O.BPF_W, 1, 1, 112)])).toBe('6111700000000000');
    expect(insnsToHex(B.BPF_LD_IMM64(0, 0x1122334455667788n))).toBe('18000000887766550000000044332211');
    expect(insnsToHex(B.BPF_LD_MAP_FD(1, 3))).toBe('18110000030000000000000000000000');
    expect(insnsToHex([B.BPF_ATOMIC_OP(O.BPF_DW, O.BPF_ADD | O.BPF_FETCH, 10, 1, -8)])).toBe(
      'db1af8ff01000000',
    );
    expect(insnsToHex([B.BPF_EXIT_INSN()])).toBe('9500000000000000');
  });

  it('print as the kernel prints them', () => {
    const p = [
      B.BPF_MOV64_IMM(0, 1),
      B.BPF_LDX_MEM(O.BPF_W, 1, 1, 112),
      B.BPF_JMP_IMM(O.BPF_JGT, 1, 100, 2),
      B.BPF_EMIT_CALL(22592),
      B.BPF_ALU32_IMM(O.BPF_ADD, 2, -3),
      B.BPF_ALU64_REG(O.BPF_SUB, 2, 3),
      B.BPF_ALU64_IMM_OFF(O.BPF_DIV, 2, -1, 1),
      B.BPF_MOVSX64_REG(0, 1, 8),
      B.BPF_MOV32_REG(2, 3),
      B.BPF_ZEXT_REG(4),
      B.BPF_ENDIAN(O.BPF_TO_BE, 4, 16),
      B.BPF_BSWAP(4, 32),
      B.BPF_STX_MEM(O.BPF_DW, 10, 1, -8),
      B.BPF_ST_MEM(O.BPF_H, 10, -2, 4660),
      B.BPF_LDX_MEMSX(O.BPF_B, 0, 10, -1),
      B.BPF_JMP_REG(O.BPF_JSGE, 1, 2, -3),
      B.BPF_JMP32_IMM(O.BPF_JNE, 1, -1, 5),
      B.BPF_JMP32_REG(O.BPF_JLT, 1, 2, 0),
      B.BPF_JMP_A(-4),
      B.BPF_JMP32_A(7),
      B.BPF_CALL_REL(5),
      B.BPF_CALL_KFUNC(0, 1234),
      B.BPF_ST_NOSPEC(),
      B.BPF_MAY_GOTO_INSN(2),
      B.BPF_ADDR_SPACE_CAST_INSN(1, 2, 1),
      B.BPF_MOV64_PERCPU_REG(0, 0),
      B.BPF_LD_ABS(O.BPF_H, 12),
      B.BPF_RAW_INSN(0x95, 0, 0, 0, 0),
    ];
    expect(text(p)).toEqual([
      '(b7) r0 = 1',
      '(61) r1 = *(u32 *)(r1 +112)',
      '(25) if r1 > 0x64 goto pc+2',
      '(85) call unknown#22592',
      '(04) w2 += -3',
      '(1f) r2 -= r3',
      '(37) r2 s/= -1',
      '(bf) r0 = (s8)r1',
      '(bc) w2 = w3',
      '(bc) w4 = w4',
      '(dc) r4 = be16 r4',
      '(d7) r4 = bswap32 r4',
      '(7b) *(u64 *)(r10 -8) = r1',
      '(6a) *(u16 *)(r10 -2) = 4660',
      '(91) r0 = *(s8 *)(r10 -1)',
      '(7d) if r1 s>= r2 goto pc-3',
      '(56) if w1 != 0xffffffff goto pc+5',
      '(ae) if w1 < w2 goto pc+0',
      '(05) goto pc-4',
      '(06) gotol pc+7',
      '(85) call pc+5',
      '(85) call kernel-function#1234',
      '(c2) nospec',
      '(e5) may_goto pc+2',
      '(bf) r1 = addr_space_cast(r2, 0, 1)',
      '(bf) r0 = &(void __percpu *)(r0)',
      '(28) r0 = *(u16 *)skb[12]',
      '(95) exit',
    ]);
  });

  it('rebuild a kernel-printed program byte for byte (alu64-arith prefix)', () => {
    const run = loadLinuxRuns().find((r) => r.name === 'alu64-arith')!;
    const p = [B.BPF_MOV64_IMM(0, 10), B.BPF_ALU64_REG(O.BPF_SUB, 0, 0), B.BPF_MOV64_IMM(1, 1)];
    expect(disasmProgram(p)).toEqual(run.text!.slice(0, 3));
    expect(checkProgram([...p, B.BPF_EXIT_INSN()])).toEqual([]);
  });
});
