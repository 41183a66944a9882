import { describe, expect, it } from 'vitest';
import { loadCases, loadLinuxRuns, loadNegative } from '../../test/fixtures/isa/load';
import { insnsFromHex } from './encoding';
import { IsaError } from './errors';
import { insn } from './insn';
import { checkProgram, validateProgram } from './validate';

const cases = loadCases();
const negative = loadNegative();
const linux = new Map(loadLinuxRuns().map((r) => [`${r.suite}/${r.name}`, r]));

const firstError = (hex: string, opts = {}): IsaError | undefined => checkProgram(insnsFromHex(hex), opts)[0];

describe('validate', () => {
  it('accepts every suite program (callx only with the option)', () => {
    const rejected: string[] = [];
    for (const c of cases) {
      const e = firstError(c.insns, { callx: true });
      if (e) rejected.push(`${c.name}: ${e.message}`);
    }
    expect(rejected).toEqual([]);
    const callx = cases.find((c) => c.name === 'callx')!;
    expect(firstError(callx.insns)?.reason).toBe('unknown opcode 8d');
  });

  it('rejects all 45 unused-* encodings, with the kernel wording where the kernel says it', () => {
    const enc = negative.filter((n) => n.kind === 'encoding');
    expect(enc.length).toBe(45);
    let sameWords = 0;
    for (const n of enc) {
      const e = firstError(n.insns!);
      expect(e, n.name).toBeInstanceOf(IsaError);
      expect(e!.index, n.name).toBe(0);
      const k = linux.get(`bpf_conformance/negative/${n.name}`)!.verifier_error!;
      if (/uses reserved fields|addr_space_cast/.test(k)) {
        expect(e!.reason, n.name).toBe(k);
        sameWords++;
      }
    }
    // 36 kernel rejections name the reserved field itself; unused-mov64_reg-offset is addr_space_cast.
    expect(sameWords).toBe(37);
  });

  it('with kernel checks, rejects exactly what Linux 6.18 rejected for an encoding reason', () => {
    for (const c of cases) {
      const k = linux.get(`bpf_conformance/${c.name}`)!;
      const e = firstError(c.insns, { kernel: true });
      if (k.verdict === 'accepted') expect(e, c.name).toBeUndefined();
      else expect(e?.reason, c.name).toBe(k.verifier_error);
    }
  });

  it('reports half an ld_imm64, bad pseudo src, jumps out of range and into an ld_imm64', () => {
    const ld = insn(0x18, 1, 0, 0, 5);
    const exit = insn(0x95, 0, 0, 0, 0);
    expect(() => validateProgram([ld])).toThrow('insn 0: invalid bpf_ld_imm64 insn');
    expect(checkProgram([insn(0x18, 1, 7, 0, 0), insn(0, 0, 0, 0, 0), exit])[0]!.reason).toBe(
      'unrecognized bpf_ld_imm64 insn',
    );
    expect(checkProgram([insn(0x18, 1, 1, 0, 3), insn(0, 0, 0, 0, 0), exit])).toEqual([]);
    expect(checkProgram([insn(0x05, 0, 0, 5, 0), exit])[0]!.reason).toBe(
      'jump out of range from insn 0 to 6',
    );
    expect(checkProgram([insn(0x06, 0, 0, 0, -3), exit])[0]!.reason).toBe(
      'jump out of range from insn 0 to -2',
    );
    expect(checkProgram([insn(0x05, 0, 0, 1, 0), ld, insn(0, 0, 0, 0, 0), exit])[0]!.reason).toBe(
      'jump into the middle of ldimm64 insn 1',
    );
    expect(checkProgram([insn(0x85, 0, 1, 0, 9), exit])[0]!.reason).toBe('call to invalid destination');
    // A BPF_PSEUDO_FUNC ld_imm64 pointing before the program (found by npm run fuzz: was a TypeError).
    const ldFunc = [insn(0x18, 2, 4, 0, -5), insn(0, 0, 0, 0, 0), exit];
    expect(checkProgram(ldFunc, { kernel: true })[0]!.reason).toBe('call to invalid destination');
    expect(checkProgram([insn(0xb7, 11, 0, 0, 0), exit])[0]!.reason).toBe('R11 is invalid');
  });

  it('knows the xlated-only forms and the v4 instructions', () => {
    const exit = insn(0x95, 0, 0, 0, 0);
    const nospec = insn(0xc2, 0, 0, 0, 0);
    expect(checkProgram([nospec, exit])[0]!.reason).toBe('unknown opcode c2');
    expect(checkProgram([nospec, exit], { xlated: true })).toEqual([]);
    expect(checkProgram([insn(0xbf, 11, 1, 0, 0), exit], { xlated: true, regAx: true })).toEqual([]);
    expect(checkProgram([insn(0xbf, 11, 1, 0, 0), exit], { internal: true })).toEqual([]);
    // xlated alone (the interpreter's default) still refuses r11, as check_reg_arg does.
    expect(checkProgram([insn(0xbf, 0, 11, 0, 0), exit], { xlated: true })[0]!.reason).toBe('R11 is invalid');
    const percpu = insn(0xbf, 0, 0, -1, 0);
    expect(checkProgram([percpu, exit])[0]!.reason).toBe('BPF_MOV uses reserved fields');
    expect(checkProgram([percpu, exit], { xlated: true })).toEqual([]);
    const ok = [
      insn(0xe5, 0, 0, 0, 0), // may_goto
      insn(0xbf, 1, 2, 1, 1), // addr_space_cast
      insn(0xbf, 1, 2, 32, 0), // movsx 32
      insn(0xbc, 1, 2, 16, 0), // movsx32 16
      insn(0x3f, 1, 2, 1, 0), // sdiv
      insn(0x97, 1, 0, 1, 3), // smod imm
      insn(0xd7, 1, 0, 0, 64), // bswap64
      insn(0x91, 1, 2, 0, 0), // ldxsb
      insn(0xc3, 10, 1, -8, 0xf1), // cmpxchg32
      insn(0x28, 0, 0, 0, 12), // ld_abs h
      insn(0x50, 0, 3, 0, 12), // ld_ind b
      insn(0x85, 0, 2, 1, 1234), // kfunc call, BTF fd index 1
      insn(0x85, 0, 0, 0, 22592), // internal helper call
      exit,
    ];
    expect(checkProgram(ok)).toEqual([]);
    expect(checkProgram([insn(0xe5, 0, 1, 0, 0), exit])[0]!.reason).toBe('invalid may_goto imm 0');
    expect(checkProgram([insn(0xc3, 10, 1, -8, 0x31), exit])[0]!.reason).toBe(
      'BPF_ATOMIC uses invalid atomic opcode 31',
    );
    expect(checkProgram([insn(0xd3, 10, 1, -8, 0x01), exit])[0]!.reason).toBe('invalid atomic operand size');
    expect(checkProgram([insn(0x8c, 1, 2, 0, 0), exit])[0]!.reason).toBe('unknown opcode 8c');
    expect(checkProgram([insn(0x85, 0, 0, 0, 22592), exit], { kernel: true })[0]!.reason).toBe(
      'invalid func unknown#22592',
    );
  });
});

describe('internal (JIT input) forms', () => {
  const exit = insn(0x95, 0, 0, 0, 0);
  const probe = [
    insn(0x39, 1, 2, 8, 0), // LDX | PROBE_MEM | DW
    insn(0x51, 1, 2, 0, 0), // LDX | PROBE_MEMSX | B
    insn(0xa3, 1, 2, 0, 0), // STX | PROBE_MEM32 | W
    insn(0xe3, 1, 2, 0, 0x01), // STX | PROBE_ATOMIC | W, fetch add
    insn(0xf5, 0, 0, 0, 3), // tail call, poke index 3
    exit,
  ];
  it('are rejected unless asked for', () => {
    expect(checkProgram(probe)[0]!.reason).toBe('BPF_LDX uses reserved fields');
    expect(checkProgram(probe, { xlated: true })[0]!.reason).toBe('BPF_LDX uses reserved fields');
    expect(checkProgram(probe, { internal: true })).toEqual([]);
    expect(checkProgram([insn(0xf5, 1, 0, 0, 0), exit], { internal: true })[0]!.reason).toBe(
      'BPF_TAIL_CALL uses reserved fields',
    );
  });
});
