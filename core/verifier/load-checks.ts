// The checks bpf_check() runs before do_check: add_subprog_and_kfunc, check_subprogs,
// resolve_pseudo_ldimm64 (with the per-insn opcode sanity checks) and check_cfg, plus the
// static register liveness (compute_live_registers) used when comparing states.
import type { Btf } from '../btf/btf';
import type { Insn } from '../isa/insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_X,
} from '../isa/opcodes';
import { isKnownOpcode } from '../isa/validate';
import { EINVAL, type MapDef, type SubprogInfo, VerifierError } from './do-check';
import type { InsnAuxData } from './ops';

const EPROTO = 71;
const EBADF = 9;
const BPF_MAX_VAR_OFF = 1 << 29;

function fail(errno: number, msg: string): never {
  throw new VerifierError(errno, msg);
}

/** add_subprog_and_kfunc + check_subprogs. */
export function checkSubprogs(
  insns: readonly Insn[],
  kfuncBtf: Btf | undefined,
  /** Log level 2: `func#N @start` for each function, before the jump checks. */
  log?: (line: string) => void,
): SubprogInfo[] {
  const starts = new Set<number>([0]);
  const n = insns.length;
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    const pseudoCall = insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL;
    const pseudoFunc = insn.code === 0x18 && insn.src === BPF_PSEUDO_FUNC;
    const kfuncCall = insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_KFUNC_CALL;
    if (pseudoCall || pseudoFunc) {
      const t = i + insn.imm + 1;
      if (t < 0 || t >= n) fail(EINVAL, 'call to invalid destination');
      starts.add(t);
    } else if (kfuncCall) {
      if (insn.off < 0) fail(EINVAL, `negative offset disallowed for kernel module function call`);
      if (insn.off > 0) fail(EPROTO, 'fd_idx without fd_array is invalid');
      if (kfuncBtf) {
        let ok = false;
        try {
          ok = kfuncBtf.type(insn.imm).kind === 'FUNC';
        } catch {
          ok = false;
        }
        if (!ok) fail(EINVAL, `kernel btf_id ${insn.imm} is not a function`);
      }
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const subprogs: SubprogInfo[] = sorted.map((start) => ({
    start,
    stackDepth: 0,
    hasTailCall: false,
    hasLdAbs: false,
  }));
  if (log) for (const [i, s] of subprogs.entries()) log(`func#${i} @${s.start}`);
  let cur = 0;
  let start = subprogs[0]!.start;
  let end = subprogs[1]?.start ?? n;
  for (let i = 0; i < n; i++) {
    const code = insns[i]!.code;
    const insn = insns[i]!;
    if (code === (BPF_JMP | BPF_CALL) && insn.src === 0 && insn.imm === 12) subprogs[cur]!.hasTailCall = true;
    if (BPF_CLASS(code) === BPF_LD && (BPF_MODE(code) === BPF_ABS || BPF_MODE(code) === BPF_IND))
      subprogs[cur]!.hasLdAbs = true;
    const cls = BPF_CLASS(code);
    if ((cls === BPF_JMP || cls === BPF_JMP32) && BPF_OP(code) !== BPF_EXIT && BPF_OP(code) !== BPF_CALL) {
      const off = code === (BPF_JMP32 | BPF_JA) ? i + insn.imm + 1 : i + insn.off + 1;
      if (off < start || off >= end) fail(EINVAL, `jump out of range from insn ${i} to ${off}`);
    }
    if (i === end - 1) {
      if (code !== (BPF_JMP | BPF_EXIT) && code !== (BPF_JMP32 | BPF_JA) && code !== (BPF_JMP | BPF_JA)) {
        fail(EINVAL, 'last insn is not an exit or jmp');
      }
      start = end;
      cur++;
      if (cur < subprogs.length) end = subprogs[cur + 1]?.start ?? n;
    }
  }
  return subprogs;
}

/**
 * check_abnormal_return (check_btf_info without func_info): a subprogram can only leave
 * through its exit when the load carries no BTF to say what it returns, so LD_ABS (which
 * may return 0 from the program) and tail calls are refused outside the main program.
 */
export function checkAbnormalReturn(subprogs: readonly SubprogInfo[]): void {
  for (const s of subprogs.slice(1)) {
    if (s.hasLdAbs) fail(EINVAL, 'LD_ABS is not allowed in subprogs without BTF');
    if (s.hasTailCall) fail(EINVAL, 'tail_call is not allowed in subprogs without BTF');
  }
}

const BPF_PSEUDO_BTF_ID = 3;
const ENOENT = 2;

/**
 * check_pseudo_btf_id: a typed ksym (ld_imm64 of a vmlinux VAR or FUNC by BTF id). Its
 * address comes from kallsyms, which in the reference build (no CONFIG_KALLSYMS_ALL) has
 * no data symbols: every variable is refused. A function is kept as read-only memory of size 0.
 */
function checkPseudoBtfId(id: number, btfFd: number, vmlinux: Btf | undefined): void {
  if (btfFd !== 0) fail(EINVAL, 'invalid module BTF object FD specified.');
  if (!vmlinux || id <= 0 || !vmlinux.hasType(id))
    fail(ENOENT, `ldimm64 insn specifies invalid btf_id ${id}.`);
  const kind = vmlinux.kindNameOf(id);
  if (kind !== 'VAR' && kind !== 'FUNC')
    fail(EINVAL, `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC`);
  if (kind === 'VAR')
    fail(ENOENT, `ldimm64 failed to find the address for kernel symbol '${vmlinux.nameOf(id)}'.`);
}

/** resolve_pseudo_ldimm64: map references and the reserved-field / opcode checks of the same loop. */
export function resolvePseudoLdimm64(
  insns: readonly Insn[],
  maps: readonly MapDef[],
  aux: InsnAuxData[],
  vmlinux?: Btf,
): void {
  const n = insns.length;
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    if (
      BPF_CLASS(insn.code) === BPF_LDX &&
      ((BPF_MODE(insn.code) !== BPF_MEM && BPF_MODE(insn.code) !== BPF_MEMSX) || insn.imm !== 0)
    ) {
      fail(EINVAL, 'BPF_LDX uses reserved fields');
    }
    if (insn.code === 0x18) {
      const next = insns[i + 1];
      if (i === n - 1 || !next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        fail(EINVAL, 'invalid bpf_ld_imm64 insn');
      }
      if (insn.src === 0) {
        i++;
        continue;
      }
      if (insn.src === BPF_PSEUDO_FUNC) {
        // A function's address (a callback): do_check types it from func_info.
        i++;
        continue;
      }
      if (insn.src === BPF_PSEUDO_BTF_ID) {
        checkPseudoBtfId(insn.imm, next.imm, vmlinux);
        i++;
        continue;
      }
      const s = insn.src;
      const isValue = s === BPF_PSEUDO_MAP_VALUE || s === BPF_PSEUDO_MAP_IDX_VALUE;
      if (!isValue && !((s === BPF_PSEUDO_MAP_FD || s === BPF_PSEUDO_MAP_IDX) && next.imm === 0)) {
        fail(EINVAL, 'unrecognized bpf_ld_imm64 insn');
      }
      let mi: number;
      if (s === BPF_PSEUDO_MAP_IDX || s === BPF_PSEUDO_MAP_IDX_VALUE) {
        if (!maps.length) fail(EPROTO, 'fd_idx without fd_array is invalid');
        mi = insn.imm;
        if (mi < 0 || mi >= maps.length) fail(EBADF, `fd ${mi} is not pointing to valid bpf_map`);
      } else {
        // Raw fds are not modeled: the corpus loader always uses fd_array indices.
        fail(EBADF, `fd ${insn.imm} is not pointing to valid bpf_map`);
      }
      const map = maps[mi]!;
      if (isValue) {
        const off = next.imm >>> 0;
        if (off >= BPF_MAX_VAR_OFF) fail(EINVAL, `direct value offset of ${off} is not allowed`);
        if (map.type !== 'array') fail(EINVAL, 'no direct value access support for this map type');
        if (map.maxEntries !== 1 || off >= map.valueSize) {
          fail(
            map.maxEntries !== 1 ? 524 : EINVAL,
            `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`,
          );
        }
      }
      aux[i]!.mapIndex = mi;
      i++;
      continue;
    }
    if (!isKnownOpcode(insn.code)) fail(EINVAL, `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  }
}

export interface CfgInfo {
  pruneP: boolean[];
  jmpP: boolean[];
  forceCkpt: boolean[];
}

/** check_cfg: depth-first walk marking prune points; rejects unreachable code and bad edges. */
export function checkCfg(insns: readonly Insn[]): CfgInfo {
  const n = insns.length;
  const pruneP = new Array<boolean>(n).fill(false);
  const jmpP = new Array<boolean>(n).fill(false);
  const forceCkpt = new Array<boolean>(n).fill(false);
  const DISCOVERED = 0x10;
  const EXPLORED = 0x20;
  const state = new Array<number>(n).fill(0);
  const stack: number[] = [0];
  state[0] = DISCOVERED;
  const edgeDone = new Array<number>(n).fill(0);

  const succs = (t: number): { w: number; branch: boolean }[] => {
    const insn = insns[t]!;
    const cls = BPF_CLASS(insn.code);
    // visit_func_call_insn: an ld_imm64 of a function also reaches the function.
    if (insn.code === 0x18 && insn.src === BPF_PSEUDO_FUNC)
      return [
        { w: t + 2, branch: false },
        { w: t + insn.imm + 1, branch: true },
      ];
    if (cls !== BPF_JMP && cls !== BPF_JMP32) return [{ w: t + (insn.code === 0x18 ? 2 : 1), branch: false }];
    const op = BPF_OP(insn.code);
    if (op === BPF_EXIT) return [];
    if (op === BPF_CALL) {
      const out = [{ w: t + 1, branch: false }];
      if (insn.src === BPF_PSEUDO_CALL) out.push({ w: t + insn.imm + 1, branch: true });
      return out;
    }
    if (op === BPF_JA) {
      const off = cls === BPF_JMP ? insn.off : insn.imm;
      return [{ w: t + off + 1, branch: false }];
    }
    return [
      { w: t + 1, branch: false },
      { w: t + insn.off + 1, branch: true },
    ];
  };
  const markPoints = (t: number): void => {
    const insn = insns[t]!;
    const cls = BPF_CLASS(insn.code);
    if (insn.code === 0x18 && insn.src === BPF_PSEUDO_FUNC) {
      pruneP[t] = true;
      if (t + 2 < n) {
        pruneP[t + 2] = true;
        jmpP[t + 2] = true;
      }
      return;
    }
    if (cls !== BPF_JMP && cls !== BPF_JMP32) return;
    const op = BPF_OP(insn.code);
    if (op === BPF_EXIT) return;
    if (op === BPF_CALL) {
      if (t + 1 < n) {
        pruneP[t + 1] = true;
        jmpP[t + 1] = true;
      }
      // A helper running a callback (bpf_loop): a checkpoint before each visit of the call.
      if (insn.src === 0 && (insn.imm === 181 || insn.imm === 164 || insn.imm === 180)) {
        pruneP[t] = true;
        forceCkpt[t] = true;
        jmpP[t] = true;
      }
      if (insn.src === BPF_PSEUDO_CALL) pruneP[t] = true;
      return;
    }
    if (op === BPF_JA) {
      const w = t + (cls === BPF_JMP ? insn.off : insn.imm) + 1;
      if (w >= 0 && w < n) {
        pruneP[w] = true;
        jmpP[w] = true;
      }
      return;
    }
    pruneP[t] = true;
    // may_goto (BPF_JCOND): a checkpoint on every visit, so its loop converges.
    if (cls === BPF_JMP && op === 0xe0) forceCkpt[t] = true;
  };
  while (stack.length) {
    const t = stack[stack.length - 1]!;
    const ss = succs(t);
    if (edgeDone[t] === 0) markPoints(t);
    let pushed = false;
    while (edgeDone[t]! < ss.length) {
      const { w, branch } = ss[edgeDone[t]!]!;
      edgeDone[t]!++;
      if (w < 0 || w >= n) fail(EINVAL, `jump out of range from insn ${t} to ${w}`);
      if (branch) {
        pruneP[w] = true;
        jmpP[w] = true;
      }
      if (state[w] === 0) {
        state[w] = DISCOVERED;
        stack.push(w);
        pushed = true;
        break;
      }
      if (state[w] === DISCOVERED) {
      }
    }
    if (!pushed) {
      state[t] = EXPLORED;
      stack.pop();
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) fail(EINVAL, `unreachable insn ${i}`);
    if (insns[i]!.code === 0x18) {
      if (state[i + 1] !== 0) fail(EINVAL, `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
  return { pruneP, jmpP, forceCkpt };
}

/** compute_live_registers: bit i of liveIn[k] = Ri may be read before written from insn k on. */
export function computeLiveRegisters(
  insns: readonly Insn[],
  helperArgs: (id: number) => number,
  kfuncArgs: (id: number) => number,
): number[] {
  const n = insns.length;
  const use = new Array<number>(n).fill(0);
  const def = new Array<number>(n).fill(0);
  const succ: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ud = insnUseDef(insns, i, helperArgs, kfuncArgs);
    use[i] = ud.use;
    def[i] = ud.def;
    succ.push(ud.succ.filter((x) => x >= 0 && x < n));
  }
  const liveIn = new Array<number>(n).fill(0);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of succ[i]!) out |= liveIn[s]!;
      const inn = use[i]! | (out & ~def[i]!);
      if (inn !== liveIn[i]) {
        liveIn[i] = inn;
        changed = true;
      }
    }
  }
  return liveIn;
}

/** Registers insn i reads (use) and writes (def) as bit masks, and its successors (compute_live_registers). */
export function insnUseDef(
  insns: readonly Insn[],
  i: number,
  helperArgs: (id: number) => number,
  kfuncArgs: (id: number) => number,
): { use: number; def: number; succ: number[] } {
  const bit = (r: number) => 1 << r;
  const insn = insns[i]!;
  const cls = BPF_CLASS(insn.code);
  const op = BPF_OP(insn.code);
  let u = 0;
  let d = 0;
  let s: number[] = [i + 1];
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      d = bit(insn.dst);
      if (op !== BPF_MOV) u |= bit(insn.dst);
      if (BPF_SRC(insn.code) === BPF_X && op !== 0x80 && op !== 0xd0) u |= bit(insn.src);
      break;
    case BPF_LDX:
      d = bit(insn.dst);
      u = bit(insn.src);
      break;
    case BPF_ST:
      u = bit(insn.dst);
      break;
    case BPF_STX:
      u = bit(insn.dst) | bit(insn.src);
      if (BPF_MODE(insn.code) === BPF_ATOMIC) {
        if (insn.imm === BPF_CMPXCHG) {
          u |= bit(0);
          d = bit(0);
        } else if (insn.imm & BPF_FETCH) d = bit(insn.src);
      }
      break;
    case BPF_LD:
      if (insn.code === 0x18) {
        d = bit(insn.dst);
        s = [i + 2];
      } else {
        // LD_ABS/LD_IND keep compute_insn_live_regs' defaults: every register read, none defined.
        u = 0xffff;
      }
      break;
    case BPF_JMP:
    case BPF_JMP32:
      if (op === BPF_EXIT) {
        u = bit(0);
        s = [];
      } else if (op === BPF_CALL) {
        d = 0x3f;
        const nargs =
          insn.src === BPF_PSEUDO_CALL
            ? 5
            : insn.src === BPF_PSEUDO_KFUNC_CALL
              ? kfuncArgs(insn.imm)
              : helperArgs(insn.imm);
        for (let a = 1; a <= nargs; a++) u |= bit(a);
        // A bpf-to-bpf call is no edge of compute_live_registers' graph: the callee's
        // registers are its own.
      } else if (op === BPF_JA) {
        s = [i + (cls === BPF_JMP ? insn.off : insn.imm) + 1];
      } else {
        u = bit(insn.dst);
        if (BPF_SRC(insn.code) === BPF_X) u |= bit(insn.src);
        s = [i + 1, i + insn.off + 1];
      }
      break;
  }
  return { use: u, def: d, succ: s };
}

export { BPF_ALU64 as _alu64 };
