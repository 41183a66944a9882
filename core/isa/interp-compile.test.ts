// The compiled engine against the stepping one: the same results, steps, memory and
// faults on generated programs that cover every ALU op and operand form, the jumps,
// stack memory of every size, atomics, calls and the step limit.
import { describe, expect, it } from 'vitest';
import * as B from './builders';
import type { Insn } from './insn';
import { type RunOptions, runProgram } from './interp';
import { isCompiled, programSource, worthCompiling } from './interp-compile';
import { Memory } from './memory';
import * as O from './opcodes';

/** xorshift32: the same programs on every run. */
function rng(seed: number) {
  let x = seed || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[next() % xs.length]! };
}

const EDGES = [
  0n,
  1n,
  2n,
  3n,
  31n,
  32n,
  63n,
  64n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
  0xfffffffffffffffen,
];
const IMMS = [0, 1, -1, 2, 3, 7, 31, 32, 33, 63, 0x7fffffff, -0x80000000, 0x12345678, -5];
const ALU_OPS = [
  O.BPF_ADD,
  O.BPF_SUB,
  O.BPF_MUL,
  O.BPF_DIV,
  O.BPF_OR,
  O.BPF_AND,
  O.BPF_LSH,
  O.BPF_RSH,
  O.BPF_NEG,
  O.BPF_MOD,
  O.BPF_XOR,
  O.BPF_MOV,
  O.BPF_ARSH,
];
const JMP_OPS = [
  O.BPF_JEQ,
  O.BPF_JGT,
  O.BPF_JGE,
  O.BPF_JSET,
  O.BPF_JNE,
  O.BPF_JSGT,
  O.BPF_JSGE,
  O.BPF_JLT,
  O.BPF_JLE,
  O.BPF_JSLT,
  O.BPF_JSLE,
];
const SIZES = [O.BPF_B, O.BPF_H, O.BPF_W, O.BPF_DW];

/** A straight program with forward jumps: r0..r9 seeded from edge values, ops on r0..r9 and the stack. */
function randomProgram(seed: number): Insn[] {
  const r = rng(seed);
  const reg = () => r.next() % 10;
  const value = () => (r.next() % 3 === 0 ? (BigInt(r.next()) << 32n) | BigInt(r.next()) : r.pick(EDGES));
  const p: Insn[] = [];
  for (let k = 0; k < 10; k++) p.push(...B.BPF_LD_IMM64(k, value()));
  const body = 40;
  for (let k = 0; k < body; k++) {
    const kind = r.next() % 10;
    const op = r.pick(ALU_OPS);
    const off = (op === O.BPF_DIV || op === O.BPF_MOD) && r.next() % 2 ? 1 : 0;
    if (kind < 2)
      p.push(B.BPF_ALU64_REG_OFF(op, reg(), reg(), op === O.BPF_MOV ? r.pick([0, 0, 8, 16, 32]) : off));
    else if (kind < 4)
      p.push(B.BPF_ALU32_REG_OFF(op, reg(), reg(), op === O.BPF_MOV ? r.pick([0, 0, 8, 16]) : off));
    else if (kind < 5) p.push(B.BPF_ALU64_IMM_OFF(op, reg(), r.pick(IMMS), off));
    else if (kind < 6) p.push(B.BPF_ALU32_IMM_OFF(op, reg(), r.pick(IMMS), off));
    else if (kind < 7) {
      const size = r.pick(SIZES);
      const at = -8 * (1 + (r.next() % 8)) + (size === O.BPF_DW ? 0 : r.next() % 4);
      p.push(B.BPF_STX_MEM(size, 10, reg(), at));
      p.push(
        r.next() % 2 && size !== O.BPF_DW
          ? B.BPF_LDX_MEMSX(size, reg(), 10, at)
          : B.BPF_LDX_MEM(size, reg(), 10, at),
      );
    } else if (kind < 8) {
      const skip = 1 + (r.next() % 3);
      const j = r.next() % 4;
      p.push(
        j === 0
          ? B.BPF_JMP_REG(r.pick(JMP_OPS), reg(), reg(), skip)
          : j === 1
            ? B.BPF_JMP_IMM(r.pick(JMP_OPS), reg(), r.pick(IMMS), skip)
            : j === 2
              ? B.BPF_JMP32_REG(r.pick(JMP_OPS), reg(), reg(), skip)
              : B.BPF_JMP32_IMM(r.pick(JMP_OPS), reg(), r.pick(IMMS), skip),
      );
    } else if (kind < 9) {
      p.push(
        r.next() % 2
          ? B.BPF_BSWAP(reg(), r.pick([16, 32, 64]))
          : B.BPF_ENDIAN(r.pick([O.BPF_TO_LE, O.BPF_TO_BE]), reg(), r.pick([16, 32, 64])),
      );
    } else {
      const size = r.pick([O.BPF_W, O.BPF_DW]);
      const op = r.pick([
        O.BPF_ADD,
        O.BPF_AND,
        O.BPF_OR,
        O.BPF_XOR,
        O.BPF_ADD | O.BPF_FETCH,
        O.BPF_XCHG,
        O.BPF_CMPXCHG,
      ]);
      p.push(B.BPF_ST_MEM(O.BPF_DW, 10, -72, r.next() | 0));
      p.push(B.BPF_ATOMIC_OP(size, op, 10, reg(), -72));
    }
  }
  // Forward jumps land at most 3 slots past the body: pad with moves the jumps may skip.
  p.push(
    B.BPF_MOV64_REG(0, reg()),
    B.BPF_ALU64_REG(O.BPF_ADD, 0, reg()),
    B.BPF_ALU64_REG(O.BPF_XOR, 0, reg()),
  );
  p.push(B.BPF_EXIT_INSN());
  return p;
}

type Outcome = { r0: bigint; steps: number; regs: bigint[] } | { error: string };

function outcome(insns: readonly Insn[], opts: RunOptions): Outcome {
  try {
    const { r0, steps, regs } = runProgram(insns, { ...opts, validate: false });
    return { r0, steps, regs };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const both = (insns: readonly Insn[], opts: RunOptions = {}) => ({
  compiled: outcome(insns, { ...opts, engine: 'compiled' }),
  stepping: outcome(insns, { ...opts, engine: 'stepping' }),
});

describe('compiled engine = stepping engine', () => {
  it('on 400 generated programs: r0, every register and the step count', () => {
    const differ: string[] = [];
    let faulted = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const p = randomProgram(seed);
      const { compiled, stepping } = both(p);
      if (JSON.stringify(compiled, big) !== JSON.stringify(stepping, big)) differ.push(`seed ${seed}`);
      if ('error' in compiled) faulted++;
    }
    expect(differ).toEqual([]);
    expect(faulted).toBe(0); // they all run to their exit
  });

  it('faults at the same instruction for every step limit, with the same memory written before it', () => {
    const mem = () => {
      const m = new Memory();
      m.map('out', new Uint8Array(64), true);
      return m;
    };
    // r1 points at `out`: a loop storing a counter there, with a helper call each round.
    const p = [
      B.BPF_MOV64_IMM(2, 0),
      B.BPF_ALU64_IMM(O.BPF_ADD, 2, 1),
      B.BPF_STX_MEM(O.BPF_B, 1, 2, 0),
      B.BPF_ALU64_IMM(O.BPF_ADD, 1, 1),
      B.BPF_EMIT_CALL(5),
      B.BPF_JMP_IMM(O.BPF_JLT, 2, 20, -5),
      B.BPF_EXIT_INSN(),
    ];
    const helpers = new Map([[5, () => 0n]]);
    for (let limit = 1; limit <= 110; limit++) {
      const runs = (['compiled', 'stepping'] as const).map((engine) => {
        const m = mem();
        const base = m.regions[0]!.base;
        let error = '';
        try {
          runProgram(p, { engine, mem: m, args: [base], helpers, stepLimit: limit });
        } catch (e) {
          error = (e as Error).message;
        }
        return { error, out: [...m.regions[0]!.bytes] };
      });
      expect(runs[0], `limit ${limit}`).toEqual(runs[1]);
    }
  });

  it('calls: frames keep the caller registers, stacks are separate, too deep calls fault alike', () => {
    const callee = [
      B.BPF_ST_MEM(O.BPF_DW, 10, -8, 99),
      B.BPF_MOV64_IMM(6, 1234),
      B.BPF_LDX_MEM(O.BPF_DW, 0, 10, -8),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 1),
      B.BPF_EXIT_INSN(),
    ];
    const p = [
      B.BPF_MOV64_IMM(6, 7),
      B.BPF_ST_MEM(O.BPF_DW, 10, -8, 5),
      B.BPF_MOV64_IMM(1, 1),
      B.BPF_CALL_REL(4),
      B.BPF_LDX_MEM(O.BPF_DW, 1, 10, -8),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 1),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 6),
      B.BPF_EXIT_INSN(),
      ...callee,
    ];
    const { compiled, stepping } = both(p);
    expect(compiled).toEqual(stepping);
    expect('r0' in compiled && compiled.r0).toBe(99n + 1n + 5n + 7n);
    const deep = both([B.BPF_CALL_REL(-1), B.BPF_EXIT_INSN()]);
    expect(deep.compiled).toEqual(deep.stepping);
  });

  it("a helper's exit, unknown helpers, faults of helpers and of memory read the same", () => {
    const exitHelper = new Map([[7, ({ exit }: { exit(r0: bigint): never }) => exit(42n)]]);
    const p = [B.BPF_MOV64_IMM(0, 1), B.BPF_EMIT_CALL(7), B.BPF_MOV64_IMM(0, 2), B.BPF_EXIT_INSN()];
    const a = both(p, { helpers: exitHelper });
    expect(a.compiled).toEqual(a.stepping);
    expect('r0' in a.compiled && [a.compiled.r0, a.compiled.steps]).toEqual([42n, 2]);
    const failing = new Map([
      [
        7,
        () => {
          throw new Error('boom');
        },
      ],
    ]);
    const b = both(p, { helpers: failing });
    expect(b.compiled).toEqual({ error: 'insn 1: helper 7 failed: boom' });
    expect(b.stepping).toEqual(b.compiled);
    for (const bad of [
      [B.BPF_EMIT_CALL(99), B.BPF_EXIT_INSN()],
      [B.BPF_LDX_MEM(O.BPF_W, 0, 10, 4), B.BPF_EXIT_INSN()],
      [B.BPF_ST_MEM(O.BPF_H, 10, -513, 1), B.BPF_EXIT_INSN()],
      [B.BPF_MOV64_IMM(0, 0), B.BPF_JMP_A(5)],
      [B.BPF_MOV64_IMM(0, 0)],
    ]) {
      const c = both(bad);
      expect('error' in c.compiled).toBe(true);
      expect(c.compiled).toEqual(c.stepping);
    }
  });
});

describe('when runProgram compiles', () => {
  it('a program run several times before its run; a long run mid-way, from where it stepped to', () => {
    const straight = [B.BPF_MOV64_IMM(0, 3), B.BPF_EXIT_INSN()];
    const decisions = Array.from({ length: 5 }, () => worthCompiling(straight));
    expect(decisions).toEqual([false, false, false, true, true]);

    // main: stack slot, then a call to a subprogram that loops 30,000 times writing its
    // own stack; the caller's registers and stack must survive the hand-over.
    const p = [
      B.BPF_MOV64_IMM(6, 66),
      B.BPF_ST_MEM(O.BPF_DW, 10, -8, 11),
      B.BPF_MOV64_IMM(1, 30000),
      B.BPF_CALL_REL(4),
      B.BPF_LDX_MEM(O.BPF_DW, 2, 10, -8),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 2),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 6),
      B.BPF_EXIT_INSN(),
      // subprogram: r0 = sum over r1 down to 1, kept in its stack slot
      B.BPF_ST_MEM(O.BPF_DW, 10, -8, 0),
      B.BPF_MOV64_IMM(6, 0),
      B.BPF_LDX_MEM(O.BPF_DW, 0, 10, -8),
      B.BPF_ALU64_REG(O.BPF_ADD, 0, 1),
      B.BPF_STX_MEM(O.BPF_DW, 10, 0, -8),
      B.BPF_ALU64_IMM(O.BPF_SUB, 1, 1),
      B.BPF_JMP_IMM(O.BPF_JNE, 1, 0, -5),
      B.BPF_EXIT_INSN(),
    ];
    const stepped = outcome(p, { engine: 'stepping' });
    expect(isCompiled(p)).toBe(false);
    const auto = outcome(p, {});
    expect(isCompiled(p)).toBe(true); // tiered up during its first run
    expect(auto).toEqual(stepped);
    expect('r0' in auto && auto.r0).toBe((30000n * 30001n) / 2n + 11n + 66n);
    // The step-limit fault past the hand-over names the same instruction.
    const fresh = p.map((x) => ({ ...x }));
    const limited = outcome(fresh, { stepLimit: 150_001 });
    expect(isCompiled(fresh)).toBe(true);
    expect(limited).toEqual(outcome(fresh, { engine: 'stepping', stepLimit: 150_001 }));
    expect(limited).toHaveProperty('error', expect.stringMatching(/step limit of 150001/));
  });

  it('an array edited in place after it was compiled runs as it reads now', () => {
    const p = [B.BPF_MOV64_IMM(0, 1), B.BPF_EXIT_INSN()];
    expect(runProgram(p, { engine: 'compiled' }).r0).toBe(1n);
    p[0] = B.BPF_MOV64_IMM(0, 2);
    expect(runProgram(p, { engine: 'compiled' }).r0).toBe(2n);
  });

  it('generates one switch case per basic block, a self loop as its own loop', () => {
    const src = programSource([
      B.BPF_MOV64_IMM(0, 0),
      B.BPF_ALU64_IMM(O.BPF_ADD, 0, 1),
      B.BPF_JMP_IMM(O.BPF_JLT, 0, 10, -2),
      B.BPF_EXIT_INSN(),
    ]);
    expect([...src.matchAll(/case (\d+):/g)].map((m) => Number(m[1]))).toEqual([0, 1, 3]);
    expect(src).toContain('loop1: for (;;)');
    expect(src).not.toContain('BigInt');
  });
});

function big(_k: string, v: unknown) {
  return typeof v === 'bigint' ? `${v}n` : v;
}
