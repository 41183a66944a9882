import { describe, expect, it } from 'vitest';
import { loadCases } from '../../test/fixtures/isa/load';
import * as B from './builders';
import { bytesFromHex, insnsFromHex } from './encoding';
import { IsaError } from './errors';
import { InterpError, runConformance, runProgram } from './interp';
import { Memory } from './memory';
import * as O from './opcodes';

const cases = loadCases();
const hex = (v: bigint) => `0x${v.toString(16)}`;

describe.each(['compiled', 'stepping'] as const)('%s engine', (engine) => {
  describe('interpreter on bpf_conformance', () => {
    it(`gives the expected r0 for all ${cases.length} cases`, () => {
      const failed: string[] = [];
      for (const c of cases) {
        try {
          const r = runConformance(insnsFromHex(c.insns), bytesFromHex(c.mem), { engine });
          if (hex(r.r0) !== c.result) failed.push(`${c.name}: ${hex(r.r0)} != ${c.result}`);
        } catch (e) {
          failed.push(`${c.name}: ${(e as Error).message}`);
        }
      }
      expect(failed).toEqual([]);
      expect(cases.length).toBe(313);
    });

    it('writes into the caller memory (stxdw)', () => {
      const c = cases.find((x) => x.name === 'stxdw')!;
      const mem = new Memory();
      const r = runConformance(insnsFromHex(c.insns), bytesFromHex(c.mem), { mem, engine });
      const region = r.mem.regions.find((x) => x.name === 'mem')!;
      expect(region.bytes).not.toEqual(bytesFromHex(c.mem));
    });
  });

  describe('interpreter faults', () => {
    const exit = B.BPF_EXIT_INSN();
    it('faults on out-of-bounds and unmapped accesses with the instruction index', () => {
      const p = [B.BPF_MOV64_IMM(0, 0), B.BPF_LDX_MEM(O.BPF_DW, 0, 10, 0), exit];
      const e = (() => {
        try {
          runProgram(p, { engine });
        } catch (x) {
          return x as InterpError;
        }
      })()!;
      expect(e).toBeInstanceOf(InterpError);
      expect(e.index).toBe(1);
      expect(e.kind).toBe('memory');
      expect(() => runProgram([B.BPF_LDX_MEM(O.BPF_W, 0, 1, 0), exit], { engine })).toThrow(/no region/);
      // the stack is exactly 512 bytes
      expect(
        runProgram([B.BPF_ST_MEM(O.BPF_DW, 10, -512, 7), B.BPF_LDX_MEM(O.BPF_DW, 0, 10, -512), exit], {
          engine,
        }).r0,
      ).toBe(7n);
      expect(() => runProgram([B.BPF_ST_MEM(O.BPF_DW, 10, -513, 7), exit], { engine })).toThrow(InterpError);
    });

    it('stops at the step limit, on unknown helpers and on too-deep calls', () => {
      expect(() => runProgram([B.BPF_JMP_A(-1), exit], { engine, stepLimit: 100 })).toThrow(
        /step limit of 100/,
      );
      expect(() => runProgram([B.BPF_EMIT_CALL(99), exit], { engine })).toThrow(/unknown helper 99/);
      expect(() => runProgram([B.BPF_CALL_REL(-1), exit], { engine })).toThrow(/call stack/);
    });

    it('validates first', () => {
      expect(() => runProgram([B.BPF_RAW_INSN(0x8c, 0, 0, 0, 0), exit], { engine })).toThrow(IsaError);
    });

    it('passes helpers their arguments and memory; read-only regions fault', () => {
      const mem = new Memory();
      const ro = mem.map('ctx', new Uint8Array([1, 2, 3, 4]), false);
      const helpers = new Map([
        [1, ({ args, mem: m }: { args: readonly bigint[]; mem: Memory }) => m.load(args[0]!, 2) + args[1]!],
      ]);
      const p = [B.BPF_MOV64_IMM(2, 10), B.BPF_EMIT_CALL(1), exit];
      expect(runProgram(p, { engine, mem, helpers, args: [ro] }).r0).toBe(0x0201n + 10n);
      expect(() => runProgram([B.BPF_ST_MEM(O.BPF_B, 1, 0, 1), exit], { engine, mem, args: [ro] })).toThrow(
        /read-only ctx/,
      );
    });

    it('runs may_goto loops to their budget and LD_ABS against a packet', () => {
      const loop = [
        B.BPF_MOV64_IMM(0, 0),
        B.BPF_MAY_GOTO_INSN(2),
        B.BPF_ALU64_IMM(O.BPF_ADD, 0, 1),
        B.BPF_JMP_A(-3),
        exit,
      ];
      expect(runProgram(loop, { engine, mayGotoBudget: 5 }).r0).toBe(5n);
      const pkt = new Uint8Array([0, 0, 0x12, 0x34, 0x56, 0x78]);
      expect(runProgram([B.BPF_LD_ABS(O.BPF_H, 2), exit], { engine, packet: pkt }).r0).toBe(0x1234n);
      expect(runProgram([B.BPF_LD_ABS(O.BPF_W, 4), exit], { engine, packet: pkt }).r0).toBe(0n);
    });
  });

  describe('internal forms', () => {
    it('fixes up a faulting PROBE_MEM load to 0 and sign-extends PROBE_MEMSX', () => {
      const exit = B.BPF_EXIT_INSN();
      const p = [
        B.BPF_MOV64_IMM(1, 64),
        B.BPF_RAW_INSN(0x79 - 0x60 + 0x20, 0, 1, 0, 0), // LDX | PROBE_MEM | DW from an unmapped address
        B.BPF_ST_MEM(O.BPF_B, 10, -1, 0x80),
        B.BPF_RAW_INSN(0x51, 2, 10, -1, 0), // LDX | PROBE_MEMSX | B
        B.BPF_ALU64_REG(O.BPF_ADD, 0, 2),
        exit,
      ];
      expect(() => runProgram(p, { engine })).toThrow(IsaError);
      expect(runProgram(p, { engine, validate: { internal: true } }).r0).toBe(BigInt.asUintN(64, -128n));
    });
  });
});

describe('trace', () => {
  it('reports every executed instruction with its frame depth', () => {
    const p = [
      B.BPF_MOV64_IMM(0, 1),
      B.BPF_CALL_REL(1),
      B.BPF_EXIT_INSN(),
      B.BPF_ALU64_IMM(O.BPF_ADD, 0, 2),
      B.BPF_EXIT_INSN(),
    ];
    const seen: string[] = [];
    const r = runProgram(p, { trace: (i, regs, depth) => seen.push(`${i}@${depth}:r0=${regs[0]}`) });
    expect(seen).toEqual(['0@0:r0=0', '1@0:r0=1', '3@1:r0=1', '4@1:r0=3', '2@0:r0=3']);
    expect(r.steps).toBe(5);
  });
});
