import { describe, expect, it } from 'vitest';
import { loadCases, loadNegative } from '../../test/fixtures/isa/load';
import { AsmError, assemble, assembleConformance, assembleKernel, detectSyntax } from './asm';
import { disasmProgram, formatInsn } from './disasm';
import { insnsFromHex, insnsToHex } from './encoding';
import { insn } from './insn';

const cases = loadCases();

const asmError = (f: () => unknown): AsmError => {
  try {
    f();
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('conformance syntax', () => {
  it(`assembles all ${cases.length} suite programs to the suite's bytes`, () => {
    const wrong: string[] = [];
    for (const c of cases) {
      expect(detectSyntax(c.asm), c.name).toBe('conformance');
      const got = insnsToHex(assembleConformance(c.asm));
      if (got !== c.insns) wrong.push(c.name);
    }
    expect(wrong).toEqual([]);
  });

  it('rejects the 10 malformed programs with line, column and reason', () => {
    const bad = loadNegative().filter((n) => n.kind === 'assembler');
    expect(bad.length).toBe(10);
    for (const n of bad) {
      const e = asmError(() => assembleConformance(n.asm!));
      // The upstream message names the same problem (its words are not normative).
      const kind = n.assembler_message!.split(':')[0]!;
      expect(e.reason.split(':')[0], n.name).toBe(kind);
      expect(e.line).toBeGreaterThan(0);
    }
    const e = asmError(() => assembleConformance('mov %r0, 1\n  or %r0, %r50\nexit'));
    expect([e.line, e.column, e.reason]).toEqual([2, 11, 'Invalid register: %r50']);
  });

  it('resolves labels, the implicit exit label, local calls and callx', () => {
    const p = assembleConformance(
      'mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 3, loop\ncall local f\ncall %r2\njne %r0, 0, exit\nexit\nf:\nexit',
    );
    expect(disasmProgram(p)).toEqual([
      '0: (b7) r0 = 0',
      '1: (07) r0 += 1',
      '2: (a5) if r0 < 0x3 goto pc-2',
      '3: (85) call pc+3',
      '4: (8d) callx r2',
      '5: (55) if r0 != 0x0 goto pc+0',
      '6: (95) exit',
      '7: (95) exit',
    ]);
    expect(p[4]).toEqual(insn(0x8d, 2, 0, 0, 0));
  });
});

describe('kernel syntax', () => {
  it('round-trips disasm of every suite program', () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const insns = insnsFromHex(c.insns);
      const text = disasmProgram(insns).join('\n');
      expect(detectSyntax(text), c.name).toBe('kernel');
      if (insnsToHex(assembleKernel(text)) !== c.insns) wrong.push(c.name);
      // and without the `N: (op)` prefixes
      const bare = insns.map((_, i) => formatInsn(insns, i).replace(/^\(..\) /, ''));
      const slots = bare.filter((_, i) => i === 0 || insns[i - 1]!.code !== 0x18);
      if (insnsToHex(assemble(slots.join('\n'))) !== c.insns) wrong.push(`${c.name} (bare)`);
    }
    expect(wrong).toEqual([]);
  });

  it('round-trips the kernel-internal and pseudo forms', () => {
    const text = [
      'r1 = map[id:7]',
      'r2 = map[id:7][0]+16',
      'r3 = map[idx:2]+8',
      'r4 = subprog[+5]',
      'r5 = 0xffffffffffffffff',
      'may_goto pc+1',
      'nospec',
      'r1 = addr_space_cast(r2, 1, 0)',
      'r0 = &(void __percpu *)(r0)',
      'r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)',
      'r1 = atomic_fetch_xor((u32 *)(r10 -4), r1)',
      'r2 = atomic64_xchg((u64 *)(r10 -8), r2)',
      'lock *(u32 *)(r10 -4) &= r1',
      'r0 = load_acquire((u64 *)(r1 +0))',
      'store_release((u32 *)(r1 +4), r2)',
      'r0 = *(u16 *)skb[12]',
      'r0 = *(u8 *)skb[r7 + -2]',
      'r0 = *(s16 *)(r10 -2)',
      'call bpf_map_lookup_elem#1',
      'call kernel-function#1234',
      'call pc-3',
      'gotol pc+100000',
      'w0 s%= w1',
      'r0 = (s32)r1',
      'w0 = (s16)w1',
      'r0 = bswap64 r0',
      'exit',
    ];
    const insns = assembleKernel(text.join('\n'));
    const back = disasmProgram(insns, {
      immText: (p, i, v) => {
        const x = p[i]!;
        const hi = p[i + 1]!.imm;
        return [
          `0x${v.toString(16)}`,
          `map[id:${x.imm}]`,
          `map[id:${x.imm}][0]+${hi}`,
          '',
          `subprog[+${x.imm}]`,
          '',
          `map[idx:${x.imm}]+${hi}`,
        ][x.src];
      },
    }).map((l) => l.replace(/^\d+: \(..\) /, ''));
    expect(back).toEqual(text);
  });

  it('takes labels as jump and call targets and checks prefixes', () => {
    const p = assembleKernel(
      '  r0 = 0\nloop:\n  r0 += 1\n  if r0 < 0x3 goto loop\n  call f\n  exit\nf:\n  exit',
    );
    expect(disasmProgram(p)).toEqual([
      '0: (b7) r0 = 0',
      '1: (07) r0 += 1',
      '2: (a5) if r0 < 0x3 goto pc-2',
      '3: (85) call pc+1',
      '4: (95) exit',
      '5: (95) exit',
    ]);
    expect(asmError(() => assembleKernel('0: (b4) r0 = 1')).reason).toMatch(
      /opcode \(b4\) does not match .*\(b7\)/,
    );
    expect(asmError(() => assembleKernel('0: (b7) r0 = 1\n5: (95) exit')).line).toBe(2);
    const e = asmError(() => assembleKernel('r0 = 1\n   r0 ?= 2'));
    expect([e.line, e.column]).toEqual([2, 4]);
    expect(asmError(() => assembleKernel('goto nowhere')).reason).toBe('Invalid label: nowhere');
  });
});
