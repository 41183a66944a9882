// do_misc_fixups (kernel/bpf/verifier.c) as the x86-64 6.18 kernel runs it for a
// privileged, JITed program: division guards, legacy packet loads, kfunc and helper
// call immediates, tail calls, map-op inlining and direct map-op calls, and the helpers
// the verifier inlines (jiffies64, get_smp_processor_id), may_goto's timed counter.
import {
  BPF_ALU32_IMM,
  BPF_ALU32_REG,
  BPF_ALU64_IMM,
  BPF_ALU64_REG,
  BPF_EMIT_CALL,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_LD_IMM64,
  BPF_LDX_MEM,
  BPF_MOV32_IMM,
  BPF_MOV32_REG,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_RAW_INSN,
  BPF_ST_MEM,
  BPF_STX_MEM,
  BPF_ZEXT_REG,
} from '../../isa/builders';
import { funcIdName } from '../../isa/helper-names';
import type { Insn } from '../../isa/insn';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_IND,
  BPF_JCOND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_K,
  BPF_LD,
  BPF_LSH,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_2,
  BPF_REG_10,
  BPF_REG_AX,
  BPF_SRC,
  BPF_STX,
  BPF_SUB,
  BPF_W,
  BPF_X,
  BPF_XOR,
} from '../../isa/opcodes';
import { BPF_FUNC } from '../../kernel/helpers';
import type { FixupOrigin } from '../ops';
import type { FixupContext, MapDesc } from './context';
import { fixupKfuncCall } from './kfunc';
import { FixupError, originsFor, type ProgState, patchInsnData } from './patch';

/** BPF_TAIL_CALL: kernel-internal opcode of a rewritten bpf_tail_call (BPF_JMP | 0xf0). */
export const BPF_TAIL_CALL = 0xf0;
/** BPF_ADDR_PERCPU: off of BPF_MOV64_PERCPU_REG. */
export const BPF_ADDR_PERCPU = -1;

const roundUp8 = (n: number): number => (n + 7) & ~7;
const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** The direct-call target of each map op (struct bpf_map_ops), by map type. */
const MAP_OPS: Record<string, Partial<Record<number, string>>> = {
  array: {
    [BPF_FUNC.map_lookup_elem]: 'array_map_lookup_elem',
    [BPF_FUNC.map_update_elem]: 'array_map_update_elem',
    [BPF_FUNC.map_delete_elem]: 'array_map_delete_elem',
  },
  hash: {
    [BPF_FUNC.map_lookup_elem]: 'htab_map_lookup_elem',
    [BPF_FUNC.map_update_elem]: 'htab_map_update_elem',
    [BPF_FUNC.map_delete_elem]: 'htab_map_delete_elem',
  },
};

/** array_map_gen_lookup (bypass_spec_v1: no index masking for privileged maps). */
function arrayMapGenLookup(ctx: FixupContext, map: MapDesc): Insn[] {
  const ret = BPF_REG_0;
  const mapPtr = BPF_REG_1;
  const index = BPF_REG_2;
  const elemSize = roundUp8(map.valueSize);
  const out: Insn[] = [
    BPF_ALU64_IMM(BPF_ADD, mapPtr, ctx.layout.off('bpf_array', 'value')),
    BPF_LDX_MEM(BPF_W, ret, index, 0),
  ];
  if (!ctx.bpfCapable) {
    out.push(BPF_JMP_IMM(BPF_JGE, ret, map.maxEntries, 4));
    out.push(BPF_ALU32_IMM(BPF_AND, ret, indexMask(map.maxEntries)));
  } else out.push(BPF_JMP_IMM(BPF_JGE, ret, map.maxEntries, 3));
  if (isPow2(elemSize)) out.push(BPF_ALU64_IMM(BPF_LSH, ret, Math.log2(elemSize)));
  else out.push(BPF_ALU64_IMM(BPF_MUL, ret, elemSize));
  out.push(BPF_ALU64_REG(BPF_ADD, ret, mapPtr));
  out.push(BPF_JMP_A(1));
  out.push(BPF_MOV64_IMM(ret, 0));
  return out;
}

/** array->index_mask: roundup_pow_of_two(max_entries) - 1. */
const indexMask = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p - 1;
};

/** htab_map_gen_lookup. */
function htabMapGenLookup(ctx: FixupContext, map: MapDesc): Insn[] {
  return [
    BPF_EMIT_CALL(ctx.as.callImm('__htab_map_lookup_elem')),
    BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1),
    BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, ctx.layout.off('htab_elem', 'key') + roundUp8(map.keySize)),
  ];
}

/** Division guards for register divisors (sdiv/smod also guard −1). */
function divModGuard(insn: Insn): Insn[] {
  const is64 = BPF_CLASS(insn.code) === BPF_ALU64;
  const isDiv = BPF_OP(insn.code) === BPF_DIV;
  const signed = insn.off === 1;
  const alu = is64 ? BPF_ALU64 : BPF_ALU;
  const jmp = is64 ? BPF_JMP : BPF_JMP32;
  if (signed && isDiv)
    // x sdiv 0 → 0, LLONG_MIN sdiv −1 → LLONG_MIN (negation)
    return [
      BPF_MOV64_REG(BPF_REG_AX, insn.src),
      BPF_RAW_INSN(alu | BPF_ADD | BPF_K, BPF_REG_AX, 0, 0, 1),
      BPF_RAW_INSN(jmp | BPF_JGT | BPF_K, BPF_REG_AX, 0, 4, 1),
      BPF_RAW_INSN(jmp | BPF_JEQ | BPF_K, BPF_REG_AX, 0, 1, 0),
      BPF_RAW_INSN(alu | BPF_MOV | BPF_K, insn.dst, 0, 0, 0),
      BPF_RAW_INSN(alu | BPF_NEG | BPF_K, insn.dst, 0, 0, 0),
      BPF_JMP_A(1),
      insn,
    ];
  if (signed) {
    // x smod 0 → x, x smod −1 → 0
    const p = [
      BPF_MOV64_REG(BPF_REG_AX, insn.src),
      BPF_RAW_INSN(alu | BPF_ADD | BPF_K, BPF_REG_AX, 0, 0, 1),
      BPF_RAW_INSN(jmp | BPF_JGT | BPF_K, BPF_REG_AX, 0, 3, 1),
      BPF_RAW_INSN(jmp | BPF_JEQ | BPF_K, BPF_REG_AX, 0, 3 + (is64 ? 0 : 1), 1),
      BPF_MOV32_IMM(insn.dst, 0),
      BPF_JMP_A(1),
      insn,
      BPF_JMP_A(1),
      BPF_MOV32_REG(insn.dst, insn.dst),
    ];
    return is64 ? p.slice(0, -2) : p;
  }
  if (isDiv)
    // x div 0 → 0
    return [
      BPF_RAW_INSN(jmp | BPF_JNE | BPF_K, insn.src, 0, 2, 0),
      BPF_ALU32_REG(BPF_XOR, insn.dst, insn.dst),
      BPF_JMP_A(1),
      insn,
    ];
  // x mod 0 → x
  const p = [
    BPF_RAW_INSN(jmp | BPF_JEQ | BPF_K, insn.src, 0, 1 + (is64 ? 0 : 1), 0),
    insn,
    BPF_JMP_A(1),
    BPF_MOV32_REG(insn.dst, insn.dst),
  ];
  return is64 ? p.slice(0, -2) : p;
}

export function doMiscFixups(s: ProgState, ctx: FixupContext): void {
  const { ops, profile, as } = ctx;
  const insnCnt = s.insns.length;
  let delta = 0;
  const patch = (idx: number, p: Insn[], origin: FixupOrigin) => {
    patchInsnData(s, idx, p, originsFor(origin, p.length));
    delta += p.length - 1;
  };
  // stack_extra per subprogram: may_goto's two slots below the subprogram's own stack.
  const stackExtra = new Map<number, number>();
  for (let i = 0; i < insnCnt; i++) {
    const idx = i + delta;
    const insn = s.insns[idx]!;
    const cls = BPF_CLASS(insn.code);
    const op = BPF_OP(insn.code);
    const aluCls = cls === BPF_ALU || cls === BPF_ALU64;

    if (insn.code === (BPF_JMP | BPF_JCOND)) {
      // x86-64 supports the timed may_goto: a count at depth+16, a start time at depth+8;
      // when the count runs out, arch_bpf_timed_may_goto refills it until time is up.
      let sp = 0;
      while (sp + 1 < s.subprogs.length && s.subprogs[sp + 1]!.start <= idx) sp++;
      stackExtra.set(sp, 16);
      const cnt = -s.subprogs[sp]!.stackDepth - 16;
      patch(
        idx,
        [
          BPF_LDX_MEM(BPF_DW, BPF_REG_AX, BPF_REG_10, cnt),
          BPF_JMP_IMM(BPF_JEQ, BPF_REG_AX, 0, insn.off >= 0 ? insn.off + 5 : insn.off - 1),
          BPF_ALU64_IMM(BPF_SUB, BPF_REG_AX, 1),
          BPF_JMP_IMM(BPF_JNE, BPF_REG_AX, 0, 2),
          BPF_MOV64_IMM(BPF_REG_AX, cnt),
          BPF_EMIT_CALL(as.callImm('arch_bpf_timed_may_goto')),
          BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_AX, cnt),
        ],
        'may-goto',
      );
      continue;
    }

    // sdiv/smod by the immediate −1 cannot fault: negate, or zero.
    if (
      aluCls &&
      (op === BPF_DIV || op === BPF_MOD) &&
      BPF_SRC(insn.code) === BPF_K &&
      insn.off === 1 &&
      insn.imm === -1
    ) {
      patch(
        idx,
        op === BPF_DIV
          ? [BPF_RAW_INSN((cls === BPF_ALU64 ? BPF_ALU64 : BPF_ALU) | BPF_NEG | BPF_K, insn.dst, 0, 0, 0)]
          : [BPF_MOV32_IMM(insn.dst, 0)],
        'div-guard',
      );
      continue;
    }
    if (aluCls && (op === BPF_DIV || op === BPF_MOD) && BPF_SRC(insn.code) === BPF_X) {
      patch(idx, divModGuard(insn), 'div-guard');
      continue;
    }
    if (cls === BPF_LD && (BPF_MODE(insn.code) === BPF_ABS || BPF_MODE(insn.code) === BPF_IND)) {
      if (!ops.genLdAbs) throw new FixupError('bpf verifier is misconfigured', 22);
      const p = ops.genLdAbs(insn);
      if (!p.length || p.length >= 16) throw new FixupError('bpf verifier is misconfigured', 22);
      patch(idx, p, 'ld-abs');
      continue;
    }
    if (insn.code !== (BPF_JMP | BPF_CALL)) continue;
    if (insn.src === BPF_PSEUDO_CALL) continue;
    if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
      s.insns[idx] = fixupKfuncCall(ctx.kfuncTab, insn, profile);
      continue;
    }
    const aux = s.aux[idx]!;
    if (profile.finalizedCalls && aux.finalizedCall) continue;

    if (insn.imm === BPF_FUNC.tail_call) {
      const tc: Insn = { ...insn, code: BPF_JMP | BPF_TAIL_CALL, imm: 0 };
      if (
        ctx.bpfCapable &&
        aux.mapKeyConst !== undefined &&
        !aux.mapPtrPoisoned &&
        aux.mapIndex !== undefined
      ) {
        ctx.pokeDescs.push({ insnIdx: idx, mapIndex: aux.mapIndex, key: aux.mapKeyConst });
        tc.imm = ctx.pokeDescs.length;
      }
      s.insns[idx] = tc;
      continue;
    }

    const mapOp =
      insn.imm === BPF_FUNC.map_lookup_elem ||
      insn.imm === BPF_FUNC.map_update_elem ||
      insn.imm === BPF_FUNC.map_delete_elem ||
      insn.imm === BPF_FUNC.map_push_elem ||
      insn.imm === BPF_FUNC.map_pop_elem ||
      insn.imm === BPF_FUNC.map_peek_elem;
    if (mapOp && !aux.mapPtrPoisoned && aux.mapIndex !== undefined) {
      const map = ctx.maps[aux.mapIndex];
      if (!map) throw new FixupError(`map index ${aux.mapIndex} out of range`, 22);
      if (insn.imm === BPF_FUNC.map_lookup_elem && (map.type === 'array' || map.type === 'hash')) {
        patch(
          idx,
          map.type === 'array' ? arrayMapGenLookup(ctx, map) : htabMapGenLookup(ctx, map),
          'map-inline',
        );
        continue;
      }
      const target = MAP_OPS[map.type]?.[insn.imm];
      if (target) {
        s.insns[idx] = { ...insn, imm: as.callImm(target) };
        continue;
      }
    }

    if (insn.imm === BPF_FUNC.jiffies64) {
      const [lo, hi] = BPF_LD_IMM64(BPF_REG_0, as.addr('jiffies'));
      patch(idx, [lo, hi, BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_0, 0)], 'helper-inline');
      continue;
    }
    if (insn.imm === BPF_FUNC.get_smp_processor_id && profile.arch.inlinesSmpProcessorId) {
      const cpuNumber = Number(BigInt.asIntN(32, as.addr('cpu_number')));
      patch(
        idx,
        [
          BPF_MOV64_IMM(BPF_REG_0, cpuNumber),
          BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_0, BPF_ADDR_PERCPU, 0),
          BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_0, 0),
        ],
        'helper-inline',
      );
      continue;
    }

    // patch_call_imm
    const fn = ops.getFuncProto(insn.imm);
    if (!fn)
      // The kernel dereferences the NULL proto here: a BPF_EMIT_CALL imm reaching this
      // point is taken for a helper id (the pre-2026 pro/epilogue limitation).
      throw new FixupError(
        `NULL pointer dereference: get_func_proto(${insn.imm}) returned NULL in do_misc_fixups (call imm taken for a helper id)`,
        14,
        'null-func-proto',
      );
    if (!fn.symbol)
      throw new FixupError(
        `verifier bug: not inlined functions ${funcIdName(insn.imm)}#${insn.imm} is missing func`,
        14,
      );
    s.insns[idx] = { ...insn, imm: as.callImm(fn.symbol) };
    if (profile.finalizedCalls) aux.finalizedCall = true;
  }
  ctx.kfuncTab.sortByImmOff();
  // Each subprogram with a may_goto starts by setting its count and clearing its start time.
  for (let sp = 0; sp < s.subprogs.length; sp++) {
    const extra = stackExtra.get(sp);
    if (!extra) continue;
    const depth = s.subprogs[sp]!.stackDepth + extra;
    s.subprogs[sp] = { ...s.subprogs[sp]!, stackDepth: depth };
    const start = s.subprogs[sp]!.start;
    patchInsnData(
      s,
      start,
      [
        BPF_ST_MEM(BPF_DW, BPF_REG_10, -depth, BPF_MAX_TIMED_LOOPS),
        BPF_ST_MEM(BPF_DW, BPF_REG_10, -depth + 8, 0),
        s.insns[start]!,
      ],
      originsFor('may-goto', 3),
    );
  }
}

const BPF_MAX_TIMED_LOOPS = 0xffff;

const isCmpxchg = (i: Insn): boolean =>
  BPF_CLASS(i.code) === BPF_STX && BPF_MODE(i.code) === BPF_ATOMIC && i.imm === BPF_CMPXCHG;

/**
 * opt_subreg_zext_lo32_rnd_hi32 on a JIT that zero-extends 32-bit results itself
 * (x86-64: bpf_jit_needs_zext() is false): only cmpxchg, whose r0 the JIT leaves as the
 * raw 32-bit load, gets an explicit zero-extension when r0 is later read as 64 bits.
 */
export function optSubregZextLo32RndHi32(s: ProgState, jitNeedsZext = false): void {
  const len = s.insns.length;
  let delta = 0;
  for (let i = 0; i < len; i++) {
    const idx = i + delta;
    const insn = s.insns[idx]!;
    if (!s.aux[idx]!.zextDst) continue;
    if (!jitNeedsZext && !isCmpxchg(insn)) continue;
    if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_KFUNC_CALL) continue;
    const loadReg = isCmpxchg(insn) ? BPF_REG_0 : insn.dst;
    patchInsnData(s, idx, [insn, BPF_ZEXT_REG(loadReg)], [undefined, 'zext']);
    delta += 1;
  }
}
