// The kernel's instruction text (kernel/bpf/disasm.c print_bpf_insn), as printed in the
// verifier log and by `bpftool prog dump xlated`. Output must match it character for
// character: C's %d / %+d / 0x%x formats are reproduced below.

import { funcIdName, HELPER_NAMES } from './helper-names';
import type { Insn } from './insn';
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
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MAY_GOTO,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_NOSPEC,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
} from './opcodes';

/**
 * Supplies names the bare instruction does not carry (the kernel's bpf_insn_cbs).
 * Returning undefined falls back to the kernel's default text.
 */
export interface DisasmResolver {
  /**
   * Name for a call (cb_call). Consulted for kfunc calls, pseudo calls and helper ids
   * outside enum bpf_func_id (internal calls in xlated code); `bpf_<name>` for helpers.
   */
  callName?(insn: Insn, index: number): string | undefined;
  /** Text for the 64-bit immediate of an ld_imm64 (cb_imm), e.g. `map[id:3]`. */
  immText?(insns: readonly Insn[], index: number, value: bigint): string | undefined;
  /** The kernel zeroes map pointers in the log unless the reader may see them. */
  allowPtrLeaks?: boolean;
}

const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP_STR: Record<number, string> = {
  0: 'jmp',
  16: '==',
  32: '>',
  48: '>=',
  64: '&',
  80: '!=',
  96: 's>',
  112: 's>=',
  128: 'call',
  144: 'exit',
  160: '<',
  176: '<=',
  192: 's<',
  208: 's<=',
};
const LDST = ['u32', 'u16', 'u8', 'u64'];
const LDSX = ['s32', 's16', 's8'];
const CLASS_STR = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
const ATOMIC_ALU: Record<number, string> = {
  [BPF_ADD]: 'add',
  [BPF_AND]: 'and',
  [BPF_OR]: 'or',
  [BPF_XOR]: 'xor',
};

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** C's %+d */
const plusD = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
/** C's 0x%x of an int (the bit pattern as unsigned). */
const hex32 = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** A bpf-to-bpf call of an xlated dump: the dump keeps the pc offset in off (imm holds the callee's index). */
export const dumpedCallOffset = (insn: Insn): string => plusD(insn.off);

/** The default name for a call instruction when no resolver supplies one (__func_get_name). */
function defaultCallName(insn: Insn): string {
  if (insn.src === BPF_PSEUDO_CALL) return plusD(insn.imm);
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) return 'kernel-function';
  return 'unknown';
}

function callName(insn: Insn, index: number, resolver?: DisasmResolver): string {
  // A known helper id wins over the callback, as in the kernel.
  if (insn.src === 0 && insn.imm >= 0 && insn.imm < HELPER_NAMES.length) return funcIdName(insn.imm);
  return resolver?.callName?.(insn, index) ?? defaultCallName(insn);
}

/** One instruction as print_bpf_insn renders it, without the `N: ` prefix or newline. */
export function formatInsn(insns: readonly Insn[], index: number, resolver?: DisasmResolver): string {
  const insn = insns[index]!;
  const { code, dst, src, off, imm } = insn;
  const cls = BPF_CLASS(code);
  const c = `(${hex2(code)})`;

  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const r = cls === BPF_ALU ? 'w' : 'r';
    const op = BPF_OP(code);
    if (op === BPF_END) {
      if (cls === BPF_ALU64) return `${c} r${dst} = bswap${imm} r${dst}`;
      return `${c} r${dst} = ${BPF_SRC(code) === BPF_TO_BE ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (op === BPF_NEG) return `${c} ${r}${dst} = -${r}${dst}`;
    if (code === (BPF_ALU64 | BPF_MOV | BPF_X) && off === 1) {
      return `${c} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
    }
    if (code === (BPF_ALU64 | BPF_MOV | BPF_X) && off === -1) {
      return `${c} r${dst} = &(void __percpu *)(r${src})`;
    }
    const sdivSmod = (op === BPF_DIV || op === BPF_MOD) && off === 1;
    const opStr = sdivSmod ? (op === BPF_DIV ? 's/=' : 's%=') : (ALU_STR[op >> 4] ?? '(null)');
    if (BPF_SRC(code) === BPF_X) {
      const movsx = op === BPF_MOV && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
      return `${c} ${r}${dst} ${opStr} ${movsx}${r}${src}`;
    }
    return `${c} ${r}${dst} ${opStr} ${imm}`;
  }

  if (cls === BPF_STX) {
    const sz = LDST[BPF_SIZE(code) >> 3]!;
    const mode = BPF_MODE(code);
    const mem = `(${sz} *)(r${dst} ${plusD(off)})`;
    if (mode === BPF_MEM) return `${c} *${mem} = r${src}`;
    if (mode === BPF_ATOMIC) {
      const w64 = BPF_SIZE(code) === BPF_DW ? '64' : '';
      if (imm === BPF_ADD || imm === BPF_AND || imm === BPF_OR || imm === BPF_XOR) {
        return `${c} lock *${mem} ${ALU_STR[imm >> 4]} r${src}`;
      }
      if (imm & BPF_FETCH && ATOMIC_ALU[imm & ~BPF_FETCH] !== undefined) {
        return `${c} r${src} = atomic${w64}_fetch_${ATOMIC_ALU[imm & ~BPF_FETCH]}(${mem}, r${src})`;
      }
      if (imm === BPF_CMPXCHG) return `${c} r0 = atomic${w64}_cmpxchg(${mem}, r0, r${src})`;
      if (imm === BPF_XCHG) return `${c} r${src} = atomic${w64}_xchg(${mem}, r${src})`;
      if (imm === BPF_LOAD_ACQ) return `${c} r${dst} = load_acquire((${sz} *)(r${src} ${plusD(off)}))`;
      if (imm === BPF_STORE_REL) return `${c} store_release(${mem}, r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }

  if (cls === BPF_ST) {
    const mode = BPF_MODE(code);
    if (mode === BPF_MEM) return `${c} *(${LDST[BPF_SIZE(code) >> 3]} *)(r${dst} ${plusD(off)}) = ${imm}`;
    if (mode === BPF_NOSPEC) return `${c} nospec`;
    return `BUG_st_${hex2(code)}`;
  }

  if (cls === BPF_LDX) {
    const mode = BPF_MODE(code);
    if (mode !== BPF_MEM && mode !== BPF_MEMSX) return `BUG_ldx_${hex2(code)}`;
    const sz = (mode === BPF_MEM ? LDST : LDSX)[BPF_SIZE(code) >> 3] ?? '(null)';
    return `${c} r${dst} = *(${sz} *)(r${src} ${plusD(off)})`;
  }

  if (cls === BPF_LD) {
    const mode = BPF_MODE(code);
    const sz = LDST[BPF_SIZE(code) >> 3]!;
    if (mode === BPF_ABS) return `${c} r0 = *(${sz} *)skb[${imm}]`;
    if (mode === BPF_IND) return `${c} r0 = *(${sz} *)skb[r${src} + ${imm}]`;
    if (mode === BPF_IMM && BPF_SIZE(code) === BPF_DW) {
      const hi = insns[index + 1]?.imm ?? 0;
      let value = (BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0);
      const isPtr = src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE;
      if (isPtr && resolver && resolver.allowPtrLeaks === false) value = 0n;
      const text = resolver?.immText?.(insns, index, value) ?? `0x${value.toString(16)}`;
      return `${c} r${dst} = ${text}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }

  if (cls === BPF_JMP || cls === BPF_JMP32) {
    const op = BPF_OP(code);
    const r = cls === BPF_JMP32 ? 'w' : 'r';
    if (op === BPF_CALL) {
      // callx (0x8d, register in dst) is never printed by Linux, which rejects it first;
      // LLVM's spelling keeps the register so the text assembles back.
      if (code === (BPF_JMP | BPF_CALL | BPF_X)) return `${c} callx r${dst}`;
      if (src === BPF_PSEUDO_CALL) return `${c} call pc${callName(insn, index, resolver)}`;
      return `${c} call ${callName(insn, index, resolver)}#${imm}`;
    }
    if (code === (BPF_JMP | BPF_JA)) return `${c} goto pc${plusD(off)}`;
    if (code === (BPF_JMP | BPF_JCOND) && src === BPF_MAY_GOTO) return `${c} may_goto pc${plusD(off)}`;
    if (code === (BPF_JMP32 | BPF_JA)) return `${c} gotol pc${plusD(imm)}`;
    if (code === (BPF_JMP | BPF_EXIT)) return `${c} exit`;
    const opStr = JMP_STR[op] ?? '(null)';
    if (BPF_SRC(code) === BPF_X) return `${c} if ${r}${dst} ${opStr} ${r}${src} goto pc${plusD(off)}`;
    return `${c} if ${r}${dst} ${opStr} ${hex32(imm)} goto pc${plusD(off)}`;
  }

  return `${c} ${CLASS_STR[cls]}`;
}

/** Every instruction with the kernel's `N: ` prefix; the second slot of ld_imm64 is skipped. */
export function disasmProgram(insns: readonly Insn[], resolver?: DisasmResolver): string[] {
  const out: string[] = [];
  for (let i = 0; i < insns.length; i++) {
    out.push(`${i}: ${formatInsn(insns, i, resolver)}`);
    if (insns[i]!.code === (BPF_LD | BPF_IMM | BPF_DW)) i++;
  }
  return out;
}

/**
 * bpftool's `prog dump xlated` immediates (tools/bpf/bpftool/xlated_dumper.c print_imm):
 * map references by id or index, subprogram addresses, everything else as hex.
 */
export const bpftoolImmText = (insns: readonly Insn[], index: number, value: bigint): string => {
  const insn = insns[index]!;
  const next = insns[index + 1]?.imm ?? 0;
  switch (insn.src) {
    case BPF_PSEUDO_MAP_FD:
      return `map[id:${insn.imm >>> 0}]`;
    case BPF_PSEUDO_MAP_VALUE:
      return `map[id:${insn.imm >>> 0}][0]+${next >>> 0}`;
    case BPF_PSEUDO_MAP_IDX_VALUE:
      return `map[idx:${insn.imm >>> 0}]+${next >>> 0}`;
    case BPF_PSEUDO_FUNC:
      return `subprog[${plusD(insn.imm)}]`;
    default:
      return `0x${value.toString(16)}`;
  }
};

/** A resolver printing ld_imm64 immediates the way `bpftool prog dump xlated` does. */
export const bpftoolResolver: DisasmResolver = { immText: bpftoolImmText };

export interface XlatedSymbols {
  /** Address of `__bpf_call_base`: an xlated call's imm is `callee - __bpf_call_base`. */
  callBase: bigint;
  /** The kernel symbol starting exactly at addr (kallsyms). */
  symbolAt(addr: bigint): string | undefined;
  /** Name of bpf-to-bpf callee number `subprog` (bpftool: `bpf_prog_<tag>_<name>`), when known. */
  subprogName?(subprog: number): string | undefined;
}

/**
 * Call names as `bpftool prog dump xlated` prints them (xlated_dumper.c print_call):
 * helper and kfunc calls by the kernel symbol at `__bpf_call_base + imm` (its address in
 * hex when no symbol starts there), bpf-to-bpf calls by their instruction offset, which
 * the kernel keeps in `off` once the callee's index has replaced `imm`.
 */
export function xlatedResolver(syms: XlatedSymbols): DisasmResolver {
  return {
    immText: bpftoolImmText,
    callName(insn) {
      if (insn.src === BPF_PSEUDO_CALL) {
        const name = syms.subprogName?.(insn.imm);
        return name === undefined ? plusD(insn.off) : `${plusD(insn.off)}#${name}`;
      }
      const addr = BigInt.asUintN(64, syms.callBase + BigInt(insn.imm));
      return syms.symbolAt(addr) ?? `0x${addr.toString(16)}`;
    },
  };
}

/** Symbols from /proc/kallsyms text (`ADDR TYPE NAME [module]` per line). */
export function parseKallsyms(text: string): XlatedSymbols {
  const byAddr = new Map<bigint, string>();
  let callBase: bigint | undefined;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]+)\s+\S\s+(\S+)/.exec(line);
    if (!m) continue;
    const addr = BigInt(`0x${m[1]}`);
    if (m[2] === '__bpf_call_base') callBase = addr;
    if (!byAddr.has(addr)) byAddr.set(addr, m[2]!);
  }
  if (callBase === undefined) throw new Error('kallsyms has no __bpf_call_base');
  return { callBase, symbolAt: (a) => byAddr.get(a) };
}
