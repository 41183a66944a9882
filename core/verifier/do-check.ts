// do_check: the path-sensitive walk of kernel/bpf/verifier.c over one program, with state
// pruning (is_state_visited), precision backtracking (mark_chain_precision) and the level-1 log.
import type { Btf } from '../btf/btf';
import { KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_TRUSTED_ARGS } from '../btf/kfuncs';
import type { BtfRegistry } from '../btf/registry';
import { formatInsn } from '../isa/disasm';
import { BPF_FUNC_MAX_ID, funcIdName } from '../isa/helper-names';
import type { Insn } from '../isa/insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  sizeBytes,
} from '../isa/opcodes';
import {
  type PrintCtx,
  printFuncState,
  printRegState,
  regTypeStr,
  type Scratch,
  type VerifierLog,
  vlogAlignment,
} from './log';
import type { BpfArgType, BpfFuncProto, BpfVerifierOps, InsnAuxData } from './ops';
import {
  adjustScalarMinMaxVals,
  BPF_ADD_CONST,
  copyReg,
  markReg32Unbounded,
  markRegKnown,
  markRegUnknown,
  notInitReg,
  type RegState,
  regBoundsSync,
  regIsConst,
  regIsConst32,
  regWidth,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  scalarKnown,
  zext32To64,
} from './reg';
import { StackLiveness } from './stack-liveness';
import {
  BPF_REG_SIZE,
  copyState,
  curFunc,
  type FuncState,
  growStack,
  type HistNode,
  newFuncState,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
  type VerifierState,
} from './state';
import {
  type Tnum,
  tnumAdd,
  tnumAnd,
  tnumCast,
  tnumConst,
  tnumIn,
  tnumIntersect,
  tnumIsAligned,
  tnumOr,
  tnumRange,
  tnumSub,
  tnumSubreg,
  U32,
  U64,
} from './tnum';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const BPF_MAX_VAR_OFF = 1n << 29n;
const MAX_PACKET_OFF = 0xffff;
const MAX_BPF_STACK = 512;
const MAX_CALL_FRAMES = 8;
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;

export const EPERM = 1;
export const EFAULT = 14;
export const EACCES = 13;
export const EINVAL = 22;
export const E2BIG = 7;
export const ENOTSUPP = 524;

/** A map as created before the load. */
export interface MapDef {
  type: 'array' | 'hash' | 'prog_array';
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface SubprogInfo {
  start: number;
  stackDepth: number;
  hasTailCall: boolean;
  hasLdAbs: boolean;
}

/** Kfunc lookups the verifier needs: BTF FUNC by id, and membership in the hook's kfunc set. */
export interface KfuncEnv {
  btf: Btf;
  /** btf_kfunc_id_set_contains: `id` is the kfunc's BTF id in `btf`. */
  allowed(name: string, id: number): boolean;
  /** The KF_* flags the kfunc was registered with. */
  flags(name: string, id: number): number;
}

export interface DoCheckEnv {
  insns: Insn[];
  ops: BpfVerifierOps & { r0Optional?: boolean; directPacketWrite?: boolean; mayAccessSkb?: boolean };
  progType: string;
  maps: MapDef[];
  subprogs: SubprogInfo[];
  aux: InsnAuxData[];
  log: VerifierLog;
  btf?: BtfRegistry;
  kfunc?: KfuncEnv;
  /** Static register liveness per insn (bit i = Ri live before the insn). */
  liveIn: number[];
  pruneP: boolean[];
  jmpP: boolean[];
  forceCkpt: boolean[];
  /** Distinguishes the struct_ops ctx (args) from skb/xdp ctx for BTF pointer loads. */
  /** struct_ops args whose CFI stub names end in __ref: referenced at entry (ctx_arg_info refcounted). */
  refcountedCtxArgs?: readonly number[];
}

export class VerifierError extends Error {
  constructor(
    readonly errno: number,
    message: string,
    /** True when the message is already in the log. */
    readonly logged = false,
  ) {
    super(message);
  }
}

interface StackElem {
  st: VerifierState;
  insnIdx: number;
  prevInsnIdx: number;
  logPos: number;
}

interface CallMeta {
  mapIndex: number;
  rawMode: boolean;
  regno: number;
  accessSize: number;
  constSizeRegs: number[];
  /** get_constant_map_key: the key when it is a known constant on the stack. */
  constMapKey?: bigint;
}

const CALLER_SAVED = [0, 1, 2, 3, 4, 5];
const ALU_OP_STR = [
  '+=',
  '-=',
  '*=',
  '/=',
  '|=',
  '&=',
  '<<=',
  '>>=',
  'neg',
  '%=',
  '^=',
  '=',
  's>>=',
  'endian',
];

export interface DoCheckStats {
  insnProcessed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  seenDirectWrite: boolean;
}

/** Runs do_check_main. Throws VerifierError (message = the log's reason line) on rejection. */
export class Verifier {
  readonly env: DoCheckEnv;
  private cur!: VerifierState;
  private insnIdx = 0;
  private prevInsnIdx = -1;
  private stack: StackElem[] = [];
  private explored = new Map<number, VerifierState[]>();
  private idGen = 0;
  /** ctx offset of a refcounted struct_ops arg → the reference acquired at entry. */
  private readonly ctxArgRefs = new Map<number, number>();
  insnProcessed = 0;
  private jmpsProcessed = 0;
  private prevJmpsProcessed = 0;
  private prevInsnProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  private curStates = 0;
  maxStatesPerInsn = 0;
  seenDirectWrite = false;
  private scratch: Scratch = { regs: new Set(), slots: new Set(), all: true };
  private prevLogPos = 0;
  private prevInsnPrintPos = 0;
  private doPrintState = false;
  private printCtx: PrintCtx;
  /** Stack slots read anywhere so far (frame-insensitive): stack liveness for programs with subprograms. */
  private stackRead = new Set<number>();
  /** Per-instruction stack liveness (kernel/bpf/liveness.c) for single-function programs. */
  private stackLive: StackLiveness | null = null;

  constructor(env: DoCheckEnv) {
    this.env = env;
    if (env.subprogs.length <= 1) this.stackLive = new StackLiveness(env.insns);
    this.printCtx = {
      mapInfo: (i) => {
        const m = env.maps[i];
        return m ? { name: `kload_m${i}`, keySize: m.keySize, valueSize: m.valueSize } : undefined;
      },
      btfName: (id) => {
        try {
          return env.btf?.vmlinux.btf.type(id).name ?? '';
        } catch {
          return '';
        }
      },
    };
  }

  private get log(): VerifierLog {
    return this.env.log;
  }

  private verbose(s: string): void {
    this.log.write(s);
  }

  private fail(errno: number, msg: string): never {
    this.verbose(`${msg}\n`);
    throw new VerifierError(errno, msg, true);
  }

  private regs(): RegState[] {
    return curFunc(this.cur).regs;
  }

  // ---------------------------------------------------------------- main loop

  run(): void {
    const st: VerifierState = {
      frames: [newFuncState(0, -1, 0)],
      curframe: 0,
      refs: [],
      parent: null,
      branches: 1,
      insnIdx: 0,
      hist: null,
      hitCnt: 0,
      missCnt: 0,
    };
    const regs = st.frames[0]!.regs;
    regs[1] = { ...notInitReg(), type: 'PTR_TO_CTX' };
    markRegKnown(regs[1], 0n);
    regs[10] = { ...notInitReg(), type: 'PTR_TO_STACK' };
    markRegKnown(regs[10], 0n);
    for (const arg of this.env.refcountedCtxArgs ?? []) {
      const id = ++this.idGen;
      st.refs.push({ id, insnIdx: 0 });
      this.ctxArgRefs.set(arg * 8, id);
    }
    this.cur = st;
    this.scratch.all = true;
    this.doCheck();
  }

  private doCheck(): void {
    const insns = this.env.insns;
    for (;;) {
      const idx = this.insnIdx;
      if (idx < 0 || idx >= insns.length)
        this.fail(EFAULT, `invalid insn idx ${idx} insn_cnt ${insns.length}`);
      const insn = insns[idx]!;
      if (
        ++this.insnProcessed > ((globalThis as { __KLIMIT?: number }).__KLIMIT ?? BPF_COMPLEXITY_LIMIT_INSNS)
      ) {
        this.fail(E2BIG, `BPF program is too large. Processed ${this.insnProcessed} insn`);
      }
      this.cur.insnIdx = idx;
      this.cur.hist = { idx, prev: this.cur.hist };
      if (this.env.pruneP[idx]) {
        const r = this.isStateVisited(idx);
        if (r) {
          if (this.log.enabled) {
            if (this.doPrintState) this.verbose(`\nfrom ${this.prevInsnIdx} to ${idx}: safe\n`);
            else this.verbose(`${idx}: safe\n`);
          }
          if (this.processExit()) return;
          continue;
        }
      }
      if (this.log.enabled) {
        if (this.scratched()) this.printInsnState();
        this.prevLogPos = this.log.pos;
        this.verbose(`${idx}: ${this.fmtInsn(idx)}\n`);
        this.prevInsnPrintPos = this.log.pos - this.prevLogPos;
        this.prevLogPos = this.log.pos;
      }
      this.env.aux[idx]!.seen = true;
      this.prevInsnIdx = idx;
      this.stackLive?.resetWrites(idx);
      const res = this.doCheckInsn(insn, idx);
      this.stackLive?.commitWrites();
      if (res === 'exit') {
        if (this.processExit()) return;
      }
    }
  }

  /** Ends the current path; returns true when no branch is left. */
  private processExit(): boolean {
    this.scratch.all = true;
    this.updateBranchCounts(this.cur);
    // bpf_update_live_stack: reads and writes seen so far become per-insn liveness before the next pop.
    this.stackLive?.update();
    const e = this.stack.pop();
    if (!e) return true;
    this.curStates--;
    if (this.log.level < 2) this.log.reset(e.logPos);
    this.cur = e.st;
    this.insnIdx = e.insnIdx;
    this.prevInsnIdx = e.prevInsnIdx;
    this.doPrintState = true;
    return false;
  }

  private updateBranchCounts(st: VerifierState): void {
    let p: VerifierState | null = st.parent;
    while (p) {
      const br = --p.branches;
      if (br > 0) break;
      p = p.parent;
    }
  }

  private pushStack(insnIdx: number, prevInsnIdx: number): VerifierState {
    const st = copyState(this.cur);
    if (st.parent) st.parent.branches++;
    this.stack.push({ st, insnIdx, prevInsnIdx, logPos: this.log.pos });
    this.curStates++;
    if (this.stack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
      this.fail(EFAULT, `The sequence of ${this.stack.length} jumps is too complex.`);
    }
    return st;
  }

  private fmtInsn(idx: number): string {
    const insns = this.env.insns;
    const insn = insns[idx]!;
    if (insn.code === 0x18 && insn.src !== 0) {
      // The kernel prints the map's kernel address; the corpus replaces it by <map:N>.
      const mi = this.env.aux[idx]?.mapIndex ?? insn.imm;
      const tag =
        insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE
          ? `<map_value:${mi}+${insns[idx + 1]!.imm}>`
          : `<map:${mi}>`;
      return `(18) r${insn.dst} = ${tag}`;
    }
    return formatInsn(insns, idx, {
      callName: (ci) => {
        if (ci.src === BPF_PSEUDO_KFUNC_CALL) {
          try {
            return this.env.kfunc?.btf.type(ci.imm).name;
          } catch {
            return undefined;
          }
        }
        return undefined;
      },
      allowPtrLeaks: true,
    });
  }

  private scratched(): boolean {
    return this.scratch.all || this.scratch.regs.size > 0 || this.scratch.slots.size > 0;
  }

  private clearScratch(): void {
    this.scratch.all = false;
    this.scratch.regs.clear();
    this.scratch.slots.clear();
  }

  private printInsnState(): void {
    const f = curFunc(this.cur);
    let prefix: string;
    if (this.prevLogPos && this.prevLogPos === this.log.pos) {
      this.log.reset(this.prevLogPos - 1);
      // The padding is computed from the kernel's own text; a map ld_imm64 printed an 18-digit address.
      prefix = `${' '.repeat(Math.max(1, vlogAlignment(this.prevInsnPrintPos)))};`;
    } else {
      prefix = `${this.insnIdx}:`;
    }
    this.verbose(prefix + printFuncState(f, false, this.scratch, this.printCtx, this.cur.refs));
    this.clearScratch();
  }

  /** print_verifier_state with print_all. */
  private stateString(st: VerifierState): string {
    return printFuncState(st.frames[st.curframe]!, true, this.scratch, this.printCtx, st.refs);
  }

  private markRegScratched(r: number): void {
    this.scratch.regs.add(r);
  }

  // ---------------------------------------------------------------- register checks

  private checkRegArg(regno: number, t: 'src' | 'dst' | 'dst_nomark'): void {
    if (regno >= 11) this.fail(EINVAL, `R${regno} is invalid`);
    this.markRegScratched(regno);
    const reg = this.regs()[regno]!;
    if (t === 'src') {
      if (reg.type === 'NOT_INIT') this.fail(EACCES, `R${regno} !read_ok`);
      if (reg.subregDef >= 0 && this.readsReg64(regno)) {
        (this.env.aux[reg.subregDef] as InsnAuxData & { zextDst?: boolean }).zextDst = true;
      }
    } else {
      if (regno === 10) this.fail(EACCES, 'frame pointer is read only');
      if (t === 'dst') markRegUnknown(reg);
    }
  }

  /** is_reg64: does the current insn read all 64 bits of regno? */
  private readsReg64(regno: number): boolean {
    const insn = this.env.insns[this.insnIdx]!;
    const cls = BPF_CLASS(insn.code);
    if (cls === BPF_ALU || cls === BPF_JMP32) return false;
    if ((cls === BPF_STX || cls === BPF_ST) && BPF_MODE(insn.code) === BPF_MEM && regno === insn.src) {
      return BPF_SIZE(insn.code) === BPF_DW;
    }
    return true;
  }

  private newScalar(): RegState {
    const r = notInitReg();
    r.type = 'SCALAR_VALUE';
    r.frameno = curFunc(this.cur).frameno;
    return r;
  }

  private markKnownZeroPtr(regno: number, type: RegState['type']): RegState {
    const r = notInitReg();
    r.type = type;
    markRegKnown(r, 0n);
    r.frameno = curFunc(this.cur).frameno;
    this.regs()[regno] = r;
    return r;
  }

  // ---------------------------------------------------------------- dispatch

  private doCheckInsn(insn: Insn, idx: number): 'next' | 'exit' {
    const cls = BPF_CLASS(insn.code);
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      this.checkAluOp(insn);
    } else if (cls === BPF_LDX) {
      this.checkReg(insn.src, 'src');
      this.checkRegArg(insn.dst, 'dst_nomark');
      const srcType = this.regs()[insn.src]!.type;
      this.checkMemAccess(
        idx,
        insn.src,
        insn.off,
        sizeBytes(BPF_SIZE(insn.code)),
        'read',
        insn.dst,
        BPF_MODE(insn.code) === BPF_MEMSX,
      );
      this.saveAuxPtrType(idx, srcType);
    } else if (cls === BPF_STX) {
      if (BPF_MODE(insn.code) === BPF_ATOMIC) {
        this.checkAtomic(insn, idx);
      } else {
        if (BPF_MODE(insn.code) !== BPF_MEM || insn.imm !== 0)
          this.fail(EINVAL, 'BPF_STX uses reserved fields');
        this.checkRegArg(insn.src, 'src');
        this.checkRegArg(insn.dst, 'src');
        const dstType = this.regs()[insn.dst]!.type;
        this.checkMemAccess(
          idx,
          insn.dst,
          insn.off,
          sizeBytes(BPF_SIZE(insn.code)),
          'write',
          insn.src,
          false,
        );
        this.saveAuxPtrType(idx, dstType);
      }
    } else if (cls === BPF_ST) {
      if (BPF_MODE(insn.code) !== BPF_MEM || insn.src !== 0) this.fail(EINVAL, 'BPF_ST uses reserved fields');
      this.checkRegArg(insn.dst, 'src');
      const dstType = this.regs()[insn.dst]!.type;
      this.checkMemAccess(idx, insn.dst, insn.off, sizeBytes(BPF_SIZE(insn.code)), 'write', -1, false, insn);
      this.saveAuxPtrType(idx, dstType);
    } else if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = BPF_OP(insn.code);
      this.jmpsProcessed++;
      if (op === BPF_CALL) {
        if (
          BPF_SRC(insn.code) !== BPF_K ||
          (insn.src !== BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
          (insn.src !== 0 && insn.src !== BPF_PSEUDO_CALL && insn.src !== BPF_PSEUDO_KFUNC_CALL) ||
          insn.dst !== 0 ||
          cls === BPF_JMP32
        ) {
          this.fail(EINVAL, 'BPF_CALL uses reserved fields');
        }
        if (insn.src === BPF_PSEUDO_CALL) {
          this.checkFuncCall(insn, idx);
          return 'next';
        }
        if (insn.src === BPF_PSEUDO_KFUNC_CALL) this.checkKfuncCall(insn, idx);
        else this.checkHelperCall(insn, idx);
        this.markRegScratched(0);
      } else if (op === BPF_JA) {
        if (
          BPF_SRC(insn.code) !== BPF_K ||
          insn.src !== 0 ||
          insn.dst !== 0 ||
          (cls === BPF_JMP && insn.imm !== 0) ||
          (cls === BPF_JMP32 && insn.off !== 0)
        ) {
          this.fail(EINVAL, 'BPF_JA uses reserved fields');
        }
        this.insnIdx += (cls === BPF_JMP ? insn.off : insn.imm) + 1;
        return 'next';
      } else if (op === BPF_EXIT) {
        if (
          BPF_SRC(insn.code) !== BPF_K ||
          insn.imm !== 0 ||
          insn.src !== 0 ||
          insn.dst !== 0 ||
          cls === BPF_JMP32
        ) {
          this.fail(EINVAL, 'BPF_EXIT uses reserved fields');
        }
        return this.processBpfExit();
      } else {
        this.checkCondJmpOp(insn, idx);
        return 'next';
      }
    } else if (cls === BPF_LD) {
      const mode = BPF_MODE(insn.code);
      if (mode === BPF_ABS || mode === BPF_IND) {
        this.checkLdAbs(insn);
      } else if (mode === BPF_IMM) {
        this.checkLdImm(insn, idx);
        this.insnIdx++;
        this.env.aux[idx + 1]!.seen = true;
      } else {
        this.fail(EINVAL, 'invalid BPF_LD mode');
      }
    } else {
      this.fail(EINVAL, `unknown insn class ${cls}`);
    }
    this.insnIdx++;
    return 'next';
  }

  private checkReg(regno: number, t: 'src'): void {
    this.checkRegArg(regno, t);
  }

  private saveAuxPtrType(idx: number, type: RegState['type']): void {
    const aux = this.env.aux[idx]!;
    const t: InsnAuxData['ptrType'] =
      type === 'PTR_TO_CTX' ? 'PTR_TO_CTX' : type === 'PTR_TO_BTF_ID' ? 'PTR_TO_BTF_ID' : 'OTHER';
    if (aux.ptrType === undefined) aux.ptrType = t;
    else if (aux.ptrType !== t && (aux.ptrType === 'PTR_TO_CTX' || t === 'PTR_TO_CTX')) {
      this.fail(EINVAL, 'same insn cannot be used with different pointers');
    }
  }

  // ---------------------------------------------------------------- ALU

  private checkAluOp(insn: Insn): void {
    const op = BPF_OP(insn.code);
    const cls = BPF_CLASS(insn.code);
    const alu64 = cls === BPF_ALU64;
    const regs = () => this.regs();
    if (op === BPF_END || op === BPF_NEG) {
      if (op === BPF_NEG) {
        if (BPF_SRC(insn.code) !== BPF_K || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) {
          this.fail(EINVAL, 'BPF_NEG uses reserved fields');
        }
      } else if (
        insn.src !== 0 ||
        insn.off !== 0 ||
        (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) ||
        (alu64 && BPF_SRC(insn.code) !== 0)
      ) {
        this.fail(EINVAL, 'BPF_END uses reserved fields');
      }
      this.checkRegArg(insn.dst, 'src');
      this.checkRegArg(insn.dst, 'dst_nomark');
      const dst = regs()[insn.dst]!;
      if (dst.type !== 'SCALAR_VALUE') {
        markRegUnknown(dst);
        return;
      }
      if (op === BPF_NEG) {
        adjustScalarMinMaxVals(dst, scalarKnown(0n), BPF_NEG, !alu64);
      } else {
        // BPF_END: truncation (to_le on a little-endian host) or a byte swap, tracked bit-exactly.
        const bits = insn.imm;
        const swap = alu64 || BPF_SRC(insn.code) !== 0;
        const t = tnumCast(dst.varOff, bits / 8);
        const v = swap ? { value: bswap(t.value, bits), mask: bswap(t.mask, bits) } : t;
        markRegUnknown(dst);
        dst.varOff = v;
        regBoundsSync(dst);
      }
      return;
    }
    if (op === BPF_MOV) {
      if (BPF_SRC(insn.code) === BPF_X) {
        if (!alu64) {
          if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm)
            this.fail(EINVAL, 'BPF_MOV uses reserved fields');
        } else if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16 && insn.off !== 32) || insn.imm) {
          this.fail(EINVAL, 'BPF_MOV uses reserved fields');
        }
        this.checkRegArg(insn.src, 'src');
      } else if (insn.src !== 0 || insn.off !== 0) {
        this.fail(EINVAL, 'BPF_MOV uses reserved fields');
      }
      this.checkRegArg(insn.dst, 'dst_nomark');
      const frameno = curFunc(this.cur).frameno;
      if (BPF_SRC(insn.code) === BPF_X) {
        const src = regs()[insn.src]!;
        if (alu64) {
          if (insn.off === 0) {
            if (src.type === 'SCALAR_VALUE' && !src.id && src.varOff.mask !== 0n) src.id = ++this.idGen;
            regs()[insn.dst] = copyReg(src);
          } else {
            if (src.type !== 'SCALAR_VALUE') {
              this.fail(EACCES, `R${insn.src} sign-extension part of pointer`);
            }
            const r = copyReg(src);
            const noSext = regWidth(src) < insn.off;
            if (noSext && src.type === 'SCALAR_VALUE' && !src.id && src.varOff.mask !== 0n)
              src.id = ++this.idGen;
            r.id = noSext ? src.id : 0;
            coerceRegToSizeSx(r, insn.off / 8);
            if (!noSext) r.id = 0;
            regs()[insn.dst] = r;
          }
        } else {
          if (src.type !== 'SCALAR_VALUE') {
            const r = this.newScalar();
            regs()[insn.dst] = r;
          } else if (insn.off === 0) {
            const isU32 = regWidth(src) <= 32;
            if (isU32 && !src.id && src.varOff.mask !== 0n) src.id = ++this.idGen;
            const r = copyReg(src);
            if (!isU32) r.id = 0;
            regs()[insn.dst] = r;
          } else {
            const r = copyReg(src);
            const noSext = regWidth(src) < insn.off;
            if (noSext && !src.id && src.varOff.mask !== 0n) src.id = ++this.idGen;
            r.id = noSext ? src.id : 0;
            coerceSubregToSizeSx(r, insn.off / 8);
            regs()[insn.dst] = r;
          }
          const d = regs()[insn.dst]!;
          zext32To64(d);
          regBoundsSync(d);
        }
        regs()[insn.dst]!.frameno = src.type === 'PTR_TO_STACK' ? src.frameno : frameno;
      } else {
        const r = this.newScalar();
        markRegKnown(r, alu64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
        regs()[insn.dst] = r;
      }
      return;
    }
    if (op > BPF_END) this.fail(EINVAL, `invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
    const isDivMod = op === 0x30 || op === 0x90;
    if (BPF_SRC(insn.code) === BPF_X) {
      if (insn.imm !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && !isDivMod)) {
        this.fail(EINVAL, 'BPF_ALU uses reserved fields');
      }
      this.checkRegArg(insn.src, 'src');
    } else if (insn.src !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && !isDivMod)) {
      this.fail(EINVAL, 'BPF_ALU uses reserved fields');
    }
    this.checkRegArg(insn.dst, 'src');
    if (isDivMod && BPF_SRC(insn.code) === BPF_K && insn.imm === 0) this.fail(EINVAL, 'div by zero');
    if ((op === 0x60 || op === 0x70 || op === 0xc0) && BPF_SRC(insn.code) === BPF_K) {
      const size = alu64 ? 64 : 32;
      if (insn.imm < 0 || insn.imm >= size) this.fail(EINVAL, `invalid shift ${insn.imm}`);
    }
    this.checkRegArg(insn.dst, 'dst_nomark');
    this.adjustRegMinMaxVals(insn);
  }

  private adjustRegMinMaxVals(insn: Insn): void {
    const regs = this.regs();
    const op = BPF_OP(insn.code);
    const alu32 = BPF_CLASS(insn.code) !== BPF_ALU64;
    const dst = regs[insn.dst]!;
    let src: RegState;
    const ptrDst = dst.type !== 'SCALAR_VALUE';
    if (BPF_SRC(insn.code) === BPF_X) {
      src = regs[insn.src]!;
      if (src.type !== 'SCALAR_VALUE') {
        if (dst.type !== 'SCALAR_VALUE') {
          if (op === 0x10) {
            markRegUnknown(dst);
            return;
          }
          this.fail(EACCES, `R${insn.dst} pointer ${ALU_OP_STR[op >> 4]} pointer prohibited`);
        }
        this.markChainPrecision(insn.dst);
        this.adjustPtrMinMaxVals(insn, src, dst, true);
        return;
      }
      if (ptrDst) {
        this.markChainPrecision(insn.src);
        this.adjustPtrMinMaxVals(insn, dst, src, false);
        return;
      }
      if (dst.precise) this.markChainPrecision(insn.src);
    } else {
      src = scalarKnown(BigInt(insn.imm));
      if (ptrDst) {
        this.adjustPtrMinMaxVals(insn, dst, src, false);
        return;
      }
    }
    const srcCopy = copyReg(src);
    adjustScalarMinMaxVals(dst, srcCopy, op, alu32);
    // BPF_ADD_CONST linking of rX += const to the scalar it was copied from.
    if ((op === 0x00 || op === 0x10) && dst.id && (alu32 ? regIsConst32(src) : regIsConst(src))) {
      const val = alu32 ? BigInt.asIntN(32, src.varOff.value) : BigInt.asIntN(64, src.varOff.value);
      let clear = false;
      if (!alu32 && (val < S32_MIN || val > S32_MAX)) clear = true;
      if (alu32) clear = true; // ALU32 linking is not modeled: drop the link (conservative)
      let off = Number(val);
      if (op === 0x10) {
        if (off === -0x80000000) clear = true;
        off = -off;
      }
      if (clear || dst.id & BPF_ADD_CONST) {
        dst.off = 0;
        dst.id = 0;
      } else {
        dst.id = (dst.id | BPF_ADD_CONST) >>> 0;
        dst.off = off;
      }
    } else {
      dst.id = 0;
    }
  }

  private adjustPtrMinMaxVals(insn: Insn, ptr: RegState, off: RegState, scalarPlusPtr: boolean): void {
    const regs = this.regs();
    const op = BPF_OP(insn.code);
    const dstno = insn.dst;
    const known = off.varOff.mask === 0n;
    const { smin: sminVal, smax: smaxVal, umin: uminVal, umax: umaxVal } = off;
    const dst = copyReg(regs[dstno]!);
    const name = regTypeStr(ptr, this.printCtx);
    if (BPF_CLASS(insn.code) !== BPF_ALU64) {
      if (op === 0x10) {
        markRegUnknown(regs[dstno]!);
        return;
      }
      this.fail(EACCES, `R${dstno} 32-bit pointer arithmetic prohibited`);
    }
    if (ptr.maybeNull)
      this.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited, null-check it first`);
    if ((known && (sminVal !== smaxVal || uminVal !== umaxVal)) || sminVal > smaxVal || uminVal > umaxVal) {
      markRegUnknown(regs[dstno]!);
      return;
    }
    switch (ptr.type) {
      case 'CONST_PTR_TO_MAP':
        if (known && sminVal === 0n && op === 0x00) break;
        this.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited`);
        break;
      case 'PTR_TO_PACKET_END':
      case 'PTR_TO_SOCKET':
      case 'PTR_TO_SOCK_COMMON':
        this.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited`);
        break;
      default:
        break;
    }
    Object.assign(dst, copyReg(ptr));
    dst.type = ptr.type;
    dst.id = ptr.id;
    this.checkRegSaneOffset(off, ptr);
    this.checkRegSaneOffset(ptr, ptr);
    markReg32Unbounded(dst);
    const ovS = (x: bigint) => x < S64_MIN || x > S64_MAX;
    const ovU = (x: bigint) => x < 0n || x > U64;
    switch (op) {
      case 0x00: {
        const newOff = BigInt(ptr.off) + sminVal;
        if (known && newOff === BigInt.asIntN(32, newOff)) {
          dst.smin = ptr.smin;
          dst.smax = ptr.smax;
          dst.umin = ptr.umin;
          dst.umax = ptr.umax;
          dst.varOff = ptr.varOff;
          dst.off = Number(newOff);
          dst.range = ptr.range;
          break;
        }
        const a = ptr.smin + sminVal;
        const b = ptr.smax + smaxVal;
        if (ovS(a) || ovS(b)) {
          dst.smin = S64_MIN;
          dst.smax = S64_MAX;
        } else {
          dst.smin = a;
          dst.smax = b;
        }
        const c = ptr.umin + uminVal;
        const d = ptr.umax + umaxVal;
        if (ovU(c) || ovU(d)) {
          dst.umin = 0n;
          dst.umax = U64;
        } else {
          dst.umin = c;
          dst.umax = d;
        }
        dst.varOff = tnumAdd(ptr.varOff, off.varOff);
        dst.off = ptr.off;
        dst.range = ptr.range;
        if (ptr.type === 'PTR_TO_PACKET' || ptr.type === 'PTR_TO_PACKET_META') {
          dst.id = ++this.idGen;
          dst.range = 0;
        }
        break;
      }
      case 0x10: {
        if (scalarPlusPtr) this.fail(EACCES, `R${dstno} tried to subtract pointer from scalar`);
        if (ptr.type === 'PTR_TO_STACK')
          this.fail(EACCES, `R${dstno} subtraction from stack pointer prohibited`);
        const newOff = BigInt(ptr.off) - sminVal;
        if (known && newOff === BigInt.asIntN(32, newOff)) {
          dst.smin = ptr.smin;
          dst.smax = ptr.smax;
          dst.umin = ptr.umin;
          dst.umax = ptr.umax;
          dst.varOff = ptr.varOff;
          dst.id = ptr.id;
          dst.off = Number(newOff);
          dst.range = ptr.range;
          break;
        }
        const a = ptr.smin - smaxVal;
        const b = ptr.smax - sminVal;
        if (ovS(a) || ovS(b)) {
          dst.smin = S64_MIN;
          dst.smax = S64_MAX;
        } else {
          dst.smin = a;
          dst.smax = b;
        }
        if (ptr.umin < umaxVal) {
          dst.umin = 0n;
          dst.umax = U64;
        } else {
          dst.umin = ptr.umin - umaxVal;
          dst.umax = ptr.umax - uminVal;
        }
        dst.varOff = tnumSub(ptr.varOff, off.varOff);
        dst.off = ptr.off;
        dst.range = ptr.range;
        if (ptr.type === 'PTR_TO_PACKET' || ptr.type === 'PTR_TO_PACKET_META') {
          dst.id = ++this.idGen;
          if (sminVal < 0n) dst.range = 0;
        }
        break;
      }
      case 0x50:
      case 0x40:
      case 0xa0:
        this.fail(EACCES, `R${dstno} bitwise operator ${ALU_OP_STR[op >> 4]} on pointer prohibited`);
        break;
      default:
        this.fail(EACCES, `R${dstno} pointer arithmetic with ${ALU_OP_STR[op >> 4]} operator prohibited`);
    }
    this.checkRegSaneOffset(dst, ptr);
    regBoundsSync(dst);
    regs[dstno] = dst;
  }

  private checkRegSaneOffset(reg: RegState, ptr: RegState): void {
    const name = regTypeStr({ ...ptr, maybeNull: false }, this.printCtx);
    const known = reg.varOff.mask === 0n;
    const val = BigInt.asIntN(64, reg.varOff.value);
    if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
      this.fail(EACCES, `math between ${name} pointer and ${val} is not allowed`);
    }
    if (BigInt(reg.off) >= BPF_MAX_VAR_OFF || BigInt(reg.off) <= -BPF_MAX_VAR_OFF) {
      this.fail(EACCES, `${name} pointer offset ${reg.off} is not allowed`);
    }
    if (reg.smin === S64_MIN) {
      this.fail(EACCES, `math between ${name} pointer and register with unbounded min value is not allowed`);
    }
    if (reg.smin >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
      this.fail(EACCES, `value ${reg.smin} makes ${name} pointer be out of bounds`);
    }
  }

  // ---------------------------------------------------------------- memory

  private checkMemAccess(
    idx: number,
    regno: number,
    insnOff: number,
    size: number,
    t: 'read' | 'write',
    valueRegno: number,
    isLdsx: boolean,
    stInsn?: Insn,
  ): void {
    const regs = this.regs();
    const reg = regs[regno]!;
    let off = insnOff;
    // Stack accesses are always checked for alignment (spill tracking relies on it).
    if (reg.type === 'PTR_TO_STACK') {
      const regOff = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
      if (!tnumIsAligned(regOff, size)) {
        const tn =
          reg.varOff.mask === 0n
            ? `${BigInt.asIntN(64, reg.varOff.value)}`
            : `(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)})`;
        this.fail(EACCES, `misaligned stack access off ${tn}+${reg.off}+${off} size ${size}`);
      }
    }
    off += reg.off;
    const name = () => regTypeStr(reg, this.printCtx);
    if (reg.maybeNull) this.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
    switch (reg.type) {
      case 'PTR_TO_MAP_VALUE': {
        const map = this.env.maps[reg.mapIndex]!;
        this.checkMemRegionAccess(regno, reg, off, size, map.valueSize, 'map_value');
        if (t === 'read' && valueRegno >= 0) regs[valueRegno] = this.newScalar();
        break;
      }
      case 'PTR_TO_MEM': {
        this.checkMemRegionAccess(regno, reg, off, size, reg.memSize, 'mem');
        if (t === 'read' && valueRegno >= 0) regs[valueRegno] = this.newScalar();
        break;
      }
      case 'PTR_TO_CTX': {
        if (reg.off < 0)
          this.fail(EACCES, `negative offset ${name()} ptr R${regno} off=${reg.off} disallowed`);
        if (reg.off)
          this.fail(EACCES, `dereference of modified ${name()} ptr R${regno} off=${reg.off} disallowed`);
        if (reg.varOff.mask !== 0n || reg.varOff.value) {
          this.fail(
            EACCES,
            `variable ${name()} access var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) disallowed`,
          );
        }
        const info = this.env.ops.isValidAccess(off, size, t, { isLdsx });
        if (!info) this.fail(EACCES, `invalid bpf_context access off=${off} size=${size}`);
        if (info.ctxFieldSize) this.env.aux[idx]!.ctxFieldSize = info.ctxFieldSize;
        if (t === 'write' && this.env.progType === 'sched_cls') {
          // nothing extra: tc ctx writes are converted by convert_ctx_access
        }
        if (t === 'read' && valueRegno >= 0) {
          if (info.regType === 'SCALAR_VALUE') {
            regs[valueRegno] = this.newScalar();
          } else {
            const base = info.regType.replace(/_OR_NULL$/, '') as RegState['type'];
            const r = this.markKnownZeroPtr(valueRegno, base);
            if (info.regType.endsWith('_OR_NULL') || info.maybeNull) {
              r.maybeNull = true;
              r.id = ++this.idGen;
            }
            if (base === 'PTR_TO_BTF_ID') {
              r.btfId = info.btfId ?? 0;
              if (info.trusted) r.flags = ['trusted'];
              const ref = this.ctxArgRefs.get(off);
              if (ref !== undefined) {
                if (!this.cur.refs.some((x) => x.id === ref))
                  this.fail(
                    EACCES,
                    `invalid bpf_context access off=${off}. Reference may already be released`,
                  );
                r.refObjId = ref;
              }
            }
          }
        }
        break;
      }
      case 'PTR_TO_STACK':
        this.checkStackAccessWithinBounds(regno, reg, off, size, t);
        if (t === 'read') this.checkStackRead(regno, reg, off, size, valueRegno);
        else this.checkStackWrite(regno, reg, off, size, valueRegno, stInsn);
        break;
      case 'PTR_TO_PACKET':
      case 'PTR_TO_PACKET_META': {
        if (t === 'write') {
          if (!this.env.ops.directPacketWrite) this.fail(EACCES, 'cannot write into packet');
          this.seenDirectWrite = true;
        }
        this.checkPacketAccess(regno, reg, off, size);
        if (t === 'read' && valueRegno >= 0) regs[valueRegno] = this.newScalar();
        break;
      }
      case 'PTR_TO_BTF_ID':
        if (reg.maybeNull) this.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
        this.checkPtrToBtfAccess(regno, reg, off, size, t, valueRegno);
        break;
      case 'CONST_PTR_TO_MAP':
        this.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
        break;
      default:
        this.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
    }
    const v = valueRegno >= 0 ? regs[valueRegno] : undefined;
    if (v && size < BPF_REG_SIZE && t === 'read' && v.type === 'SCALAR_VALUE') {
      if (!isLdsx) coerceRegToSize(v, size);
      else coerceRegToSizeSx(v, size);
    }
  }

  private checkMemRegionAccess(
    regno: number,
    reg: RegState,
    off: number,
    size: number,
    memSize: number,
    kind: string,
  ): void {
    const o = BigInt(off);
    if (
      reg.smin < 0n &&
      (reg.smin === S64_MIN || o + reg.smin !== BigInt.asIntN(32, o + reg.smin) || reg.smin + o < 0n)
    ) {
      this.fail(
        EACCES,
        `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
      );
    }
    if (!this.memOk(reg.smin + o, size, memSize)) {
      this.memErr(regno, reg, Number(reg.smin + o), size, memSize, kind);
      this.fail(EACCES, `R${regno} min value is outside of the allowed memory range`);
    }
    if (reg.umax >= BPF_MAX_VAR_OFF) {
      this.fail(EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access`);
    }
    if (!this.memOk(reg.umax + o, size, memSize)) {
      this.memErr(regno, reg, Number(reg.umax + o), size, memSize, kind);
      this.fail(EACCES, `R${regno} max value is outside of the allowed memory range`);
    }
  }

  private memOk(off: bigint, size: number, memSize: number): boolean {
    return off >= 0n && size > 0 && off + BigInt(size) <= BigInt(memSize);
  }

  private memErr(
    regno: number,
    reg: RegState,
    off: number,
    size: number,
    memSize: number,
    kind: string,
  ): void {
    if (kind === 'map_value')
      this.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}\n`);
    else if (kind === 'packet') {
      this.verbose(
        `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})\n`,
      );
    } else this.verbose(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}\n`);
  }

  private checkPacketAccess(regno: number, reg: RegState, off: number, size: number): void {
    if (reg.smin < 0n) {
      this.fail(
        EACCES,
        `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
      );
    }
    if (reg.range < 0 || !this.memOk(BigInt(off), size, reg.range)) {
      if (reg.range >= 0) this.memErr(regno, reg, off, size, reg.range, 'packet');
      this.fail(EACCES, `R${regno} offset is outside of the packet`);
    }
  }

  private checkStackAccessWithinBounds(
    regno: number,
    reg: RegState,
    off: number,
    size: number,
    t: 'read' | 'write' | 'helper',
  ): void {
    let minOff: bigint;
    let maxOff: bigint;
    const extra = t === 'read' ? ' read from' : t === 'write' ? ' write to' : ' indirect access to';
    if (reg.varOff.mask === 0n) {
      minOff = BigInt.asIntN(64, reg.varOff.value) + BigInt(off);
      maxOff = minOff + BigInt(size);
    } else {
      if (reg.smax >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
        this.fail(EACCES, `invalid unbounded variable-offset${extra} stack R${regno}`);
      }
      minOff = reg.smin + BigInt(off);
      maxOff = reg.smax + BigInt(off) + BigInt(size);
    }
    let errno = 0;
    void 0;
    if (minOff < -MAX_BPF_STACK || minOff > -1n) errno = EACCES;
    else if (maxOff > 0n) errno = EINVAL;
    else if (size < 0) errno = EINVAL;
    if (errno) {
      if (reg.varOff.mask === 0n) this.fail(errno, `invalid${extra} stack R${regno} off=${off} size=${size}`);
      this.fail(
        errno,
        `invalid variable-offset${extra} stack R${regno} var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) off=${off} size=${size}`,
      );
    }
    // grow_stack_state: the subprogram's stack depth is the deepest slot touched, in 8-byte units.
    const frame = this.stackFrame(reg);
    const depth = Math.ceil(Number(-minOff) / 8) * 8;
    const sp = this.env.subprogs[frame.subprogno];
    if (sp && sp.stackDepth < depth) sp.stackDepth = depth;
  }

  private stackFrame(reg: RegState): FuncState {
    return this.cur.frames[reg.frameno]!;
  }

  private checkStackWrite(
    _regno: number,
    reg: RegState,
    off: number,
    size: number,
    valueRegno: number,
    stInsn?: Insn,
  ): void {
    const state = this.stackFrame(reg);
    if (reg.varOff.mask === 0n) {
      off += Number(BigInt.asIntN(64, reg.varOff.value));
      const slot = -off - 1;
      const spi = Math.floor(slot / BPF_REG_SIZE);
      growStack(state, spi);
      this.scratch.slots.add(spi);
      // Only a whole aligned slot counts as written: a partial write leaves older bytes readable.
      if (off % BPF_REG_SIZE === 0 && size === BPF_REG_SIZE) this.stackLive?.markWrite(spi);
      const value = valueRegno >= 0 ? this.regs()[valueRegno]! : undefined;
      const st = state.stack[spi]!;
      if (value && off % BPF_REG_SIZE === 0 && value.type === 'SCALAR_VALUE') {
        const fits = regWidth(value) <= 8 * size;
        if (fits && !value.id && value.varOff.mask !== 0n) value.id = ++this.idGen;
        this.saveRegisterState(st, value, size);
        if (!fits) st.spilled.id = 0;
        this.recordStack(state.frameno, spi);
      } else if (!value && off % BPF_REG_SIZE === 0 && stInsn) {
        this.saveRegisterState(st, scalarKnown(BigInt(stInsn.imm)), size);
        this.recordStack(state.frameno, spi);
      } else if (value && value.type !== 'SCALAR_VALUE') {
        if (size !== BPF_REG_SIZE) this.fail(EACCES, 'invalid size of register spill');
        this.saveRegisterState(st, value, size);
        this.recordStack(state.frameno, spi);
      } else {
        let type = STACK_MISC;
        st.spilled = notInitReg();
        st.spilled.frameno = state.frameno;
        for (let i = 0; i < 8; i++) if (st.slotType[i] === STACK_SPILL) st.slotType[i] = STACK_MISC;
        const isZero =
          (value && value.type === 'SCALAR_VALUE' && value.varOff.mask === 0n && value.varOff.value === 0n) ||
          (!value && stInsn && stInsn.imm === 0);
        if (isZero) {
          if (value) this.markChainPrecision(valueRegno);
          type = STACK_ZERO;
        }
        for (let i = 0; i < size; i++) st.slotType[(((slot - i) % 8) + 8) % 8] = type;
      }
      return;
    }
    // Variable offset write: every byte it may touch becomes misc (or zero when writing zero).
    const value = valueRegno >= 0 ? this.regs()[valueRegno]! : undefined;
    const writeZero =
      (value && value.varOff.mask === 0n && value.varOff.value === 0n && value.type === 'SCALAR_VALUE') ||
      (!value && stInsn && stInsn.imm === 0);
    const minOff = Number(reg.smin) + off;
    const maxOff = Number(reg.smax) + off + size;
    for (let i = minOff; i < maxOff; i++) {
      const slot = -i - 1;
      const spi = Math.floor(slot / BPF_REG_SIZE);
      growStack(state, spi);
      const st = state.stack[spi]!;
      const j = slot % BPF_REG_SIZE;
      if (st.slotType[7] === STACK_SPILL || st.slotType[j] === STACK_SPILL) {
        for (let k = 0; k < 8; k++) if (st.slotType[k] === STACK_SPILL) st.slotType[k] = STACK_MISC;
        st.spilled = notInitReg();
      }
      if (!(writeZero && st.slotType[j] === STACK_ZERO)) {
        st.slotType[j] = STACK_MISC;
      }
      this.scratch.slots.add(spi);
    }
  }

  private saveRegisterState(
    st: { spilled: RegState; slotType: number[] },
    reg: RegState,
    size: number,
  ): void {
    st.spilled = copyReg(reg);
    if (size !== BPF_REG_SIZE && reg.type === 'SCALAR_VALUE') {
      // narrow spill keeps the full register state, as __mark_reg_known does for fake regs
    }
    let i = BPF_REG_SIZE;
    for (; i > BPF_REG_SIZE - size; i--) st.slotType[i - 1] = STACK_SPILL;
    for (; i; i--) {
      const t = st.slotType[i - 1]!;
      if (t === STACK_ZERO || t === STACK_INVALID) continue;
      st.slotType[i - 1] = STACK_MISC;
    }
  }

  private recordStack(frame: number, spi: number): void {
    const h = this.cur.hist;
    if (h) {
      h.stackSpi = spi;
      h.stackFrame = frame;
    }
  }

  private checkStackRead(_regno: number, reg: RegState, off: number, size: number, dstRegno: number): void {
    const state = this.stackFrame(reg);
    if (reg.varOff.mask !== 0n) {
      // check_stack_read_var_off: every byte must be initialized or uninit-allowed; result unknown.
      const minOff = Number(reg.smin) + off;
      const maxOff = Number(reg.smax) + off + size;
      let zeros = 0;
      for (let i = minOff; i < maxOff; i++) {
        const slot = -i - 1;
        const spi = Math.floor(slot / BPF_REG_SIZE);
        this.markStackRead(spi);
        const st = state.stack[spi];
        const t = st ? st.slotType[slot % BPF_REG_SIZE]! : STACK_INVALID;
        if (t === STACK_ZERO) zeros++;
      }
      if (dstRegno >= 0) {
        const r = this.newScalar();
        if (zeros === maxOff - minOff) markRegKnown(r, 0n);
        this.regs()[dstRegno] = r;
      }
      return;
    }
    off += Number(BigInt.asIntN(64, reg.varOff.value));
    const slot = -off - 1;
    const spi = Math.floor(slot / BPF_REG_SIZE);
    this.scratch.slots.add(spi);
    this.markStackRead(spi);
    growStack(state, spi);
    const st = state.stack[spi]!;
    const stype = st.slotType;
    const sreg = st.spilled;
    if (stype[7] === STACK_SPILL) {
      let spillSize = 1;
      for (let i = BPF_REG_SIZE - 1; i > 0 && stype[i - 1] === STACK_SPILL; i--) spillSize++;
      if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
        if (sreg.type !== 'SCALAR_VALUE') this.fail(EACCES, 'invalid size of register fill');
        if (dstRegno < 0) return;
        const narrowOk = off % BPF_REG_SIZE === 0 || false;
        if (size <= spillSize && narrowOk) {
          if (size === 4 && spillSize === 4 && regWidth(sreg) <= 32 && !sreg.id && sreg.varOff.mask !== 0n)
            sreg.id = ++this.idGen;
          const r = copyReg(sreg);
          r.frameno = curFunc(this.cur).frameno;
          if (!(size === 4 && spillSize === 4 && regWidth(sreg) <= 32) && !(size === spillSize && size === 8))
            r.id = 0;
          this.regs()[dstRegno] = r;
          this.recordStack(state.frameno, spi);
        } else {
          let spillCnt = 0;
          let zeroCnt = 0;
          for (let i = 0; i < size; i++) {
            const t = stype[(((slot - i) % 8) + 8) % 8]!;
            if (t === STACK_SPILL) spillCnt++;
            else if (t === STACK_ZERO) zeroCnt++;
          }
          const r = this.newScalar();
          if (spillCnt === size && sreg.varOff.mask === 0n && sreg.varOff.value === 0n) {
            markRegKnown(r, 0n);
            this.recordStack(state.frameno, spi);
          } else if (zeroCnt === size) markRegKnown(r, 0n);
          this.regs()[dstRegno] = r;
        }
      } else if (dstRegno >= 0) {
        const r = copyReg(sreg);
        this.regs()[dstRegno] = r;
        this.recordStack(state.frameno, spi);
      }
      return;
    }
    let zeros = 0;
    for (let i = 0; i < size; i++) {
      const t = stype[(((slot - i) % 8) + 8) % 8]!;
      if (t === STACK_ZERO) zeros++;
    }
    if (dstRegno >= 0) {
      const r = this.newScalar();
      if (zeros === size) markRegKnown(r, 0n);
      this.regs()[dstRegno] = r;
    }
  }

  private checkPtrToBtfAccess(
    regno: number,
    reg: RegState,
    off: number,
    size: number,
    t: 'read' | 'write',
    valueRegno: number,
  ): void {
    const tname = this.printCtx.btfName(reg.btfId);
    if (off < 0) this.fail(EACCES, `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
    if (reg.varOff.mask !== 0n || reg.varOff.value) {
      this.fail(
        EACCES,
        `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)})`,
      );
    }
    const btf = this.env.btf?.vmlinux.btf;
    if (!btf) this.fail(EACCES, `R${regno} invalid mem access 'ptr_'`);
    const ops = this.env.ops as {
      btfStructAccess?: (btfId: number, off: number, size: number) => string | null;
    };
    if (t === 'write') {
      if (ops.btfStructAccess) {
        const err = ops.btfStructAccess(reg.btfId, off, size);
        if (err) this.fail(EACCES, err);
      } else {
        const err = tcpCaBtfStructAccess(btf, reg.btfId, off, size);
        if (err) this.fail(EACCES, err);
      }
      return;
    }
    const res = btfStructWalk(btf, reg.btfId, off, size);
    if (typeof res === 'string') this.fail(EACCES, res);
    if (valueRegno >= 0) {
      if (res.ptrTo === undefined) this.regs()[valueRegno] = this.newScalar();
      else {
        const r = this.markKnownZeroPtr(valueRegno, 'PTR_TO_BTF_ID');
        r.btfId = res.ptrTo;
        if (reg.flags.includes('untrusted')) r.flags = ['untrusted'];
      }
    }
  }

  private checkAtomic(insn: Insn, idx: number): void {
    const imm = insn.imm;
    const rmw = [0x00, 0x01, 0x50, 0x51, 0x40, 0x41, 0xa0, 0xa1, BPF_XCHG, BPF_CMPXCHG];
    if (!rmw.includes(imm)) {
      this.fail(EINVAL, `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
    }
    if (BPF_SIZE(insn.code) !== BPF_W && BPF_SIZE(insn.code) !== BPF_DW)
      this.fail(EINVAL, 'invalid atomic operand size');
    this.checkRegArg(insn.src, 'src');
    this.checkRegArg(insn.dst, 'src');
    if (imm === BPF_CMPXCHG) this.checkRegArg(0, 'src');
    const dreg = this.regs()[insn.dst]!;
    if (
      ['PTR_TO_CTX', 'PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON'].includes(
        dreg.type,
      )
    ) {
      this.fail(
        EACCES,
        `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dreg, this.printCtx)} is not allowed`,
      );
    }
    let loadReg = -1;
    if (imm & BPF_FETCH) {
      loadReg = imm === BPF_CMPXCHG ? 0 : insn.src;
      this.checkRegArg(loadReg, 'dst');
    }
    const size = sizeBytes(BPF_SIZE(insn.code));
    this.checkMemAccess(idx, insn.dst, insn.off, size, 'read', -1, false);
    if (loadReg >= 0) this.checkMemAccess(idx, insn.dst, insn.off, size, 'read', loadReg, false);
    this.checkMemAccess(idx, insn.dst, insn.off, size, 'write', -1, false);
    // A 32-bit cmpxchg defines only w0: the zero extension is patched in when r0 is read whole.
    if (imm === BPF_CMPXCHG && size === 4) this.regs()[0]!.subregDef = idx;
  }

  // ---------------------------------------------------------------- ld_imm64 / ld_abs

  private checkLdImm(insn: Insn, idx: number): void {
    if (BPF_SIZE(insn.code) !== BPF_DW) this.fail(EINVAL, 'invalid BPF_LD_IMM insn');
    if (insn.off !== 0) this.fail(EINVAL, 'BPF_LD_IMM64 uses reserved fields');
    this.checkRegArg(insn.dst, 'dst');
    if (insn.src === 0) {
      const lo = BigInt(insn.imm >>> 0);
      const hi = BigInt(this.env.insns[idx + 1]!.imm >>> 0);
      const r = this.newScalar();
      markRegKnown(r, (hi << 32n) | lo);
      this.regs()[insn.dst] = r;
      return;
    }
    const aux = this.env.aux[idx]!;
    const mi = aux.mapIndex ?? 0;
    if (insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
      const r = this.markKnownZeroPtr(insn.dst, 'PTR_TO_MAP_VALUE');
      r.mapIndex = mi;
      r.off = this.env.insns[idx + 1]!.imm;
    } else {
      const r = this.markKnownZeroPtr(insn.dst, 'CONST_PTR_TO_MAP');
      r.mapIndex = mi;
    }
  }

  private checkLdAbs(insn: Insn): void {
    if (!this.env.ops.mayAccessSkb)
      this.fail(EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
    const mode = BPF_MODE(insn.code);
    if (
      insn.dst !== 0 ||
      insn.off !== 0 ||
      BPF_SIZE(insn.code) === BPF_DW ||
      (mode === BPF_ABS && insn.src !== 0)
    ) {
      this.fail(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
    }
    this.checkRegArg(6, 'src');
    if (this.cur.refs.length) this.fail(EINVAL, 'BPF_LD_[ABS|IND] cannot be mixed with socket references');
    if (this.regs()[6]!.type !== 'PTR_TO_CTX')
      this.fail(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (mode === BPF_IND) this.checkRegArg(insn.src, 'src');
    for (const r of CALLER_SAVED) {
      this.regs()[r] = notInitReg();
      this.markRegScratched(r);
    }
    this.regs()[0] = this.newScalar();
  }

  // ---------------------------------------------------------------- calls

  private checkHelperCall(insn: Insn, idx: number): void {
    const funcId = insn.imm;
    if (funcId < 0 || funcId >= BPF_FUNC_MAX_ID)
      this.fail(EINVAL, `invalid func ${funcIdName(funcId)}#${funcId}`);
    const fn = this.env.ops.getFuncProto(funcId);
    if (!fn) this.fail(EINVAL, `program of this type cannot use helper ${funcIdName(funcId)}#${funcId}`);
    const meta: CallMeta = { mapIndex: -1, rawMode: false, regno: 0, accessSize: 0, constSizeRegs: [] };
    for (let i = 0; i < 5; i++) this.checkFuncArg(i, fn, meta, idx);
    if (meta.mapIndex >= 0) {
      const aux = this.env.aux[idx]!;
      if (aux.mapIndex === undefined) aux.mapIndex = meta.mapIndex;
      else if (aux.mapIndex !== meta.mapIndex) aux.mapPtrPoisoned = true;
      if (fn.name === 'bpf_tail_call') {
        const r3 = this.regs()[3]!;
        const key = r3.varOff.mask === 0n ? Number(r3.varOff.value) : undefined;
        if (aux.mapKeyConst === undefined && !('mapKeyVaries' in aux)) aux.mapKeyConst = key;
        else if (aux.mapKeyConst !== key) {
          aux.mapKeyConst = undefined;
          (aux as { mapKeyVaries?: boolean }).mapKeyVaries = true;
        }
      }
    }
    if (fn.name === 'bpf_tail_call') {
      if (this.cur.refs.length) this.fail(EINVAL, 'tail_call would lead to reference leak');
      if (this.cur.curframe > 0) {
        // Tail calls from subprograms need program BTF (func_info) in the kernel.
      }
    }
    const regs = this.regs();
    for (const r of CALLER_SAVED) {
      regs[r] = notInitReg();
      regs[r]!.frameno = curFunc(this.cur).frameno;
      this.markRegScratched(r);
    }
    switch (fn.ret) {
      case 'RET_INTEGER':
        regs[0] = this.newScalar();
        break;
      case 'RET_VOID':
        break;
      case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
        const r = this.markKnownZeroPtr(0, 'PTR_TO_MAP_VALUE');
        r.mapIndex = meta.mapIndex;
        const map = this.env.maps[meta.mapIndex];
        // An array lookup with a constant in-bounds key cannot fail (v6.18).
        const elide =
          fn.name === 'bpf_map_lookup_elem' &&
          map?.type === 'array' &&
          meta.constMapKey !== undefined &&
          meta.constMapKey < BigInt(map.maxEntries);
        if (!elide) {
          r.maybeNull = true;
          r.id = ++this.idGen;
        }
        break;
      }
      case 'RET_PTR_TO_MEM_OR_NULL':
      case 'RET_PTR_TO_BTF_ID_OR_NULL':
        regs[0] = this.newScalar();
        break;
    }
    this.checkMapFuncCompatibility(meta.mapIndex, fn);
    if (fn.changesPktData) this.clearAllPktPointers();
  }

  private checkMapFuncCompatibility(mapIndex: number, fn: BpfFuncProto): void {
    if (mapIndex < 0) {
      if (fn.name === 'bpf_tail_call') this.fail(EINVAL, 'expected prog array map for tail call');
      return;
    }
    const map = this.env.maps[mapIndex]!;
    const tname = map.type === 'array' ? 2 : map.type === 'hash' ? 1 : 3;
    if (map.type === 'prog_array' && fn.name !== 'bpf_tail_call') {
      this.fail(EINVAL, `cannot pass map_type ${tname} into func ${fn.name}#${fn.id}`);
    }
    if (fn.name === 'bpf_tail_call' && map.type !== 'prog_array') {
      // The kernel's message has no newline: the statistics line follows on the same line.
      this.log.write('expected prog array map for tail call');
      throw new VerifierError(EINVAL, 'expected prog array map for tail call', true);
    }
  }

  private clearAllPktPointers(): void {
    for (const f of this.cur.frames) {
      for (let i = 0; i < f.regs.length; i++) {
        const r = f.regs[i]!;
        if (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END') {
          const n = notInitReg();
          n.type = 'SCALAR_VALUE';
          n.frameno = r.frameno;
          f.regs[i] = n;
        }
      }
      for (const s of f.stack) {
        const r = s.spilled;
        if (
          s.slotType[7] === STACK_SPILL &&
          (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END')
        ) {
          s.spilled = notInitReg();
          s.spilled.type = 'SCALAR_VALUE';
        }
      }
    }
  }

  private checkFuncArg(arg: number, fn: BpfFuncProto, meta: CallMeta, idx: number): void {
    const argType: BpfArgType = fn.args[arg] ?? 'ARG_DONTCARE';
    const flags = fn.argFlags?.[arg] ?? [];
    const regno = arg + 1;
    if (argType === 'ARG_DONTCARE') return;
    this.checkRegArg(regno, 'src');
    const reg = this.regs()[regno]!;
    if (argType === 'ARG_ANYTHING') return;
    const maybeNullArg = flags.includes('PTR_MAYBE_NULL') || argType.endsWith('_OR_NULL');
    const isNull = reg.type === 'SCALAR_VALUE' && reg.varOff.mask === 0n && reg.varOff.value === 0n;
    if (!(isNull && maybeNullArg)) this.checkRegType(regno, reg, argType, flags);
    switch (argType) {
      case 'ARG_CONST_MAP_PTR':
        meta.mapIndex = reg.mapIndex;
        break;
      case 'ARG_PTR_TO_MAP_KEY': {
        if (meta.mapIndex < 0) this.fail(EACCES, 'invalid map_ptr to access map->key');
        const keySize = this.env.maps[meta.mapIndex]!.keySize;
        this.checkHelperMemAccess(regno, keySize, 'read', false);
        meta.constMapKey = this.getConstantMapKey(reg, keySize);
        break;
      }
      case 'ARG_PTR_TO_MAP_VALUE': {
        if (meta.mapIndex < 0) this.fail(EACCES, 'invalid map_ptr to access map->value');
        this.checkHelperMemAccess(regno, this.env.maps[meta.mapIndex]!.valueSize, 'read', false);
        break;
      }
      case 'ARG_PTR_TO_MEM':
      case 'ARG_PTR_TO_MEM_RDONLY':
      case 'ARG_PTR_TO_UNINIT_MEM':
        meta.rawMode = argType === 'ARG_PTR_TO_UNINIT_MEM' || flags.includes('MEM_UNINIT');
        break;
      case 'ARG_CONST_SIZE':
      case 'ARG_CONST_SIZE_OR_ZERO': {
        const memArg = fn.args[arg - 1];
        const memFlags = fn.argFlags?.[arg - 1] ?? [];
        const write =
          memArg === 'ARG_PTR_TO_UNINIT_MEM' ||
          memFlags.includes('MEM_WRITE') ||
          memFlags.includes('MEM_UNINIT');
        this.checkMemSizeReg(regno, reg, argType === 'ARG_CONST_SIZE_OR_ZERO', write, meta);
        break;
      }
      default:
        break;
    }
    void idx;
  }

  private getConstantMapKey(key: RegState, keySize: number): bigint | undefined {
    if (key.type !== 'PTR_TO_STACK' || key.varOff.mask !== 0n) return undefined;
    const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
    const slot = -stackOff - 1;
    const spi = Math.floor(slot / BPF_REG_SIZE);
    const off = slot % BPF_REG_SIZE;
    const st = this.stackFrame(key).stack[spi];
    if (!st) return undefined;
    let zero = 0;
    for (let i = off; i >= 0 && st.slotType[i] === STACK_ZERO; i--) zero++;
    if (zero >= keySize) return 0n;
    if (st.slotType[7] !== STACK_SPILL || st.spilled.type !== 'SCALAR_VALUE') return undefined;
    let spill = 0;
    for (let i = off; i >= 0 && st.slotType[i] === STACK_SPILL; i--) spill++;
    if (spill !== keySize || st.spilled.varOff.mask !== 0n) return undefined;
    this.backtrack(this.cur.hist, new Set(), new Set([spi]), true);
    return st.spilled.varOff.value;
  }

  private checkRegType(regno: number, reg: RegState, argType: BpfArgType, flags: string[]): void {
    let types: RegState['type'][];
    let names: string[];
    switch (argType) {
      case 'ARG_CONST_MAP_PTR':
        types = ['CONST_PTR_TO_MAP'];
        names = ['map_ptr'];
        break;
      case 'ARG_PTR_TO_CTX':
      case 'ARG_PTR_TO_CTX_OR_NULL':
        types = ['PTR_TO_CTX'];
        names = ['ctx'];
        break;
      case 'ARG_CONST_SIZE':
      case 'ARG_CONST_SIZE_OR_ZERO':
      case 'ARG_PTR_TO_LONG':
      case 'ARG_PTR_TO_INT':
        types = argType.startsWith('ARG_CONST') ? ['SCALAR_VALUE'] : ['PTR_TO_STACK'];
        names = argType.startsWith('ARG_CONST') ? ['scalar'] : ['fp'];
        break;
      case 'ARG_PTR_TO_STACK':
      case 'ARG_PTR_TO_STACK_OR_NULL':
        types = ['PTR_TO_STACK'];
        names = ['fp'];
        break;
      default:
        types = [
          'PTR_TO_STACK',
          'PTR_TO_PACKET',
          'PTR_TO_PACKET_META',
          'PTR_TO_MAP_KEY',
          'PTR_TO_MAP_VALUE',
          'PTR_TO_MEM',
        ];
        names = [
          'fp',
          'pkt',
          'pkt_meta',
          'map_key',
          'map_value',
          'mem',
          'ringbuf_mem',
          'buf',
          'trusted_ptr_',
        ];
        break;
    }
    void flags;
    if (!types.includes(reg.type) || (reg.maybeNull && reg.type !== 'SCALAR_VALUE')) {
      this.fail(EACCES, `R${regno} type=${regTypeStr(reg, this.printCtx)} expected=${names.join(', ')}`);
    }
    if (
      (reg.type === 'PTR_TO_PACKET' || reg.type === 'PTR_TO_PACKET_META') &&
      !this.env.ops.directPacketWrite &&
      this.env.progType !== 'sched_cls' &&
      this.env.progType !== 'xdp'
    ) {
      this.fail(EACCES, 'helper access to the packet is not allowed');
    }
    if (reg.type === 'PTR_TO_CTX' && (reg.off || reg.varOff.mask !== 0n || reg.varOff.value)) {
      if (reg.off) this.fail(EACCES, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
      this.fail(
        EACCES,
        `variable ctx access var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) disallowed`,
      );
    }
  }

  private checkMemSizeReg(
    regno: number,
    reg: RegState,
    zeroSizeAllowed: boolean,
    write: boolean,
    meta: CallMeta,
  ): void {
    const memRegno = regno - 1;
    if (reg.varOff.mask !== 0n) {
      // the size is used as a bound: it must be precise for pruning to stay safe
    }
    if (reg.smin < 0n) {
      this.fail(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
    }
    if (reg.umin === 0n && !zeroSizeAllowed) {
      this.fail(EACCES, `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
    }
    if (reg.umax >= 1n << 29n) {
      this.fail(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
    }
    this.checkHelperMemAccess(memRegno, Number(reg.umax), write ? 'write' : 'read', zeroSizeAllowed);
    this.markChainPrecision(regno);
    void meta;
  }

  /** check_helper_mem_access: a helper reads/writes [reg, reg + size). */
  private checkHelperMemAccess(
    regno: number,
    size: number,
    t: 'read' | 'write',
    zeroSizeAllowed: boolean,
  ): void {
    const reg = this.regs()[regno]!;
    switch (reg.type) {
      case 'PTR_TO_PACKET':
      case 'PTR_TO_PACKET_META':
        this.checkPacketAccess(regno, reg, reg.off, size);
        return;
      case 'PTR_TO_MAP_VALUE': {
        const map = this.env.maps[reg.mapIndex]!;
        this.checkMemRegionAccess(regno, reg, reg.off, size, map.valueSize, 'map_value');
        return;
      }
      case 'PTR_TO_MEM':
        this.checkMemRegionAccess(regno, reg, reg.off, size, reg.memSize, 'mem');
        return;
      case 'PTR_TO_STACK':
        this.checkStackRange(regno, reg, size, t, zeroSizeAllowed);
        return;
      default:
        if (zeroSizeAllowed && size === 0 && reg.type === 'SCALAR_VALUE') return;
        this.fail(
          EACCES,
          `R${regno} type=${regTypeStr(reg, this.printCtx)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`,
        );
    }
  }

  /** check_stack_range_initialized. */
  private checkStackRange(
    regno: number,
    reg: RegState,
    size: number,
    t: 'read' | 'write',
    zeroSizeAllowed: boolean,
  ): void {
    const off = reg.off;
    if (size === 0 && zeroSizeAllowed) return;
    this.checkStackAccessWithinBounds(regno, reg, off, size, t);
    const state = this.stackFrame(reg);
    let minOff: number;
    let maxOff: number;
    if (reg.varOff.mask === 0n) {
      minOff = maxOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
    } else {
      minOff = Number(reg.smin) + off;
      maxOff = Number(reg.smax) + off;
    }
    for (let i = minOff; i < maxOff + size; i++) {
      const slot = -i - 1;
      const spi = Math.floor(slot / BPF_REG_SIZE);
      growStack(state, spi);
      const st = state.stack[spi]!;
      const j = slot % BPF_REG_SIZE;
      this.scratch.slots.add(spi);
      if (t === 'write') {
        // raw mode: the helper initializes the memory
        if (st.slotType[7] === STACK_SPILL) {
          for (let k = 0; k < 8; k++) st.slotType[k] = STACK_MISC;
          st.spilled = notInitReg();
        }
        st.slotType[j] = STACK_MISC;
        continue;
      }
      this.markStackRead(spi);
      const stype = st.slotType[j]!;
      if (stype === STACK_MISC || stype === STACK_ZERO) continue;
      if (st.slotType[7] === STACK_SPILL) {
        if (st.spilled.type === 'SCALAR_VALUE') continue;
        continue; // allow_ptr_leaks
      }
      // allow_uninit_stack (root) reads never-written slots
      if (stype === STACK_INVALID) continue;
    }
  }

  private checkKfuncCall(insn: Insn, idx: number): void {
    const kf = this.env.kfunc;
    if (!kf) this.fail(EACCES, 'calling kernel functions is not supported without BTF');
    let name = '';
    let proto: { ret: number; params: { name: string; type: number }[] } | undefined;
    try {
      const t = kf.btf.type(insn.imm);
      name = t.name;
      if (t.kind === 'FUNC') {
        const p = kf.btf.type(t.type);
        if (p.kind === 'FUNC_PROTO') proto = p;
      }
    } catch {
      // handled below
    }
    if (!proto) this.fail(EINVAL, `kernel btf_id ${insn.imm} is not a function`);
    if (!kf.allowed(name, insn.imm)) this.fail(EACCES, `calling kernel function ${name} is not allowed`);
    const kfFlags = kf.flags(name, insn.imm);
    const btf = kf.btf;
    // KF_RELEASE: the (first) pointer argument carrying a reference is the one released.
    let releaseRegno = 0;
    const args = proto.params;
    if (args.length > 5) this.fail(EINVAL, `Function ${name} has ${args.length} > 5 args`);
    const regs = this.regs();
    for (let i = 0; i < args.length; i++) {
      const regno = i + 1;
      this.markRegScratched(regno);
      const reg = regs[regno]!;
      const tid = skipMods(btf, args[i]!.type);
      const t = btf.type(tid);
      if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64') {
        if (reg.type !== 'SCALAR_VALUE') this.fail(EINVAL, `R${regno} is not a scalar`);
        continue;
      }
      if (t.kind !== 'PTR') this.fail(EINVAL, `Unrecognized arg#${i} type ${t.kind}`);
      if (reg.type === 'NOT_INIT') this.fail(EACCES, `R${regno} !read_ok`);
      if (reg.maybeNull) this.fail(EACCES, `Possibly NULL pointer passed to trusted arg${i}`);
      const refId = skipMods(btf, t.type);
      const ref = btf.type(refId);
      if (reg.type === 'PTR_TO_BTF_ID') {
        if (kfFlags & KF_RELEASE && !releaseRegno) {
          if (!reg.refObjId)
            this.fail(EINVAL, `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
          releaseRegno = regno;
        } else if (
          kfFlags & (KF_TRUSTED_ARGS | KF_RELEASE) &&
          !reg.refObjId &&
          !reg.flags.includes('trusted')
        )
          this.fail(EACCES, `R${regno} must be referenced or trusted`);
        if (ref.kind !== 'STRUCT')
          this.fail(
            EINVAL,
            `arg#${i} pointer type ${ref.kind} ${ref.name} must point to scalar, or struct with scalar`,
          );
        if (!btfStructIdsMatch(btf, reg.btfId, refId)) {
          this.fail(
            EINVAL,
            `kernel function ${name} args#${i} expected pointer to STRUCT ${ref.name} but R${regno} has a pointer to STRUCT ${this.printCtx.btfName(reg.btfId)}`,
          );
        }
        continue;
      }
      if (ref.kind === 'STRUCT' && !isScalarStruct(btf, refId)) {
        this.fail(
          EINVAL,
          `arg#${i} pointer type STRUCT ${ref.name} must point to scalar, or struct with scalar`,
        );
      }
      // memory argument: the pointee size must be accessible
      let sz = 0;
      try {
        sz = sizeOfType(btf, refId);
      } catch {
        sz = 0;
      }
      if (sz) this.checkHelperMemAccess(regno, sz, 'read', false);
    }
    if (kfFlags & KF_RELEASE) {
      if (!releaseRegno)
        this.fail(EINVAL, `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
      this.releaseReference(regs[releaseRegno]!.refObjId);
    }
    for (const r of CALLER_SAVED) {
      regs[r] = notInitReg();
      this.markRegScratched(r);
    }
    const rt = proto.ret ? btf.type(skipMods(btf, proto.ret)) : undefined;
    if (rt && (rt.kind === 'INT' || rt.kind === 'ENUM' || rt.kind === 'ENUM64')) {
      regs[0] = this.newScalar();
      const size = (rt as { size?: number }).size ?? 8;
      if (size < 8) coerceRegToSize(regs[0]!, size);
    } else if (rt && rt.kind === 'PTR') {
      const pointee = skipMods(btf, rt.type);
      const r = this.markKnownZeroPtr(0, 'PTR_TO_BTF_ID');
      r.btfId = pointee;
      if (kfFlags & KF_RET_NULL) {
        r.maybeNull = true;
        r.id = ++this.idGen;
      }
      if (kfFlags & KF_ACQUIRE) {
        // acquire_reference: the pointer owns a reference that must be released before exit.
        const id = ++this.idGen;
        this.cur.refs.push({ id, insnIdx: idx });
        r.refObjId = id;
        if (kfFlags & KF_RET_NULL) r.id = id;
      }
    }
  }

  private checkFuncCall(insn: Insn, idx: number): void {
    const st = this.cur;
    if (st.curframe + 1 >= MAX_CALL_FRAMES) {
      this.fail(E2BIG, `the call stack of ${st.curframe + 2} frames is too deep`);
    }
    const target = idx + insn.imm + 1;
    const subprogno = this.env.subprogs.findIndex((s) => s.start === target);
    if (subprogno < 0) this.fail(EFAULT, `verifier bug. No program starts at insn ${target}`);
    const caller = curFunc(st);
    const callee = newFuncState(st.curframe + 1, idx, subprogno);
    for (let i = 1; i <= 5; i++) callee.regs[i] = copyReg(caller.regs[i]!);
    const fp = notInitReg();
    fp.type = 'PTR_TO_STACK';
    markRegKnown(fp, 0n);
    fp.frameno = callee.frameno;
    callee.regs[10] = fp;
    st.frames.push(callee);
    st.curframe++;
    for (const r of CALLER_SAVED) {
      caller.regs[r] = notInitReg();
    }
    if (this.log.enabled) {
      this.verbose('caller:\n');
      this.verbose(printFuncState(caller, true, this.scratch, this.printCtx, []));
      this.verbose('callee:\n');
      this.verbose(printFuncState(callee, true, this.scratch, this.printCtx, st.refs));
    }
    this.scratch.all = true;
    this.insnIdx = target;
  }

  /** release_reference: drop the reference and invalidate every copy of the pointer. */
  private releaseReference(refObjId: number): void {
    const st = this.cur;
    st.refs = st.refs.filter((r) => r.id !== refObjId);
    forEachReg(st, (reg) => {
      if (reg.refObjId === refObjId) markRegUnknown(reg);
    });
  }

  private processBpfExit(): 'next' | 'exit' {
    const st = this.cur;
    if (st.curframe === 0 && st.refs.length) {
      this.fail(EINVAL, `Unreleased reference id=${st.refs[0]!.id} alloc_insn=${st.refs[0]!.insnIdx}`);
    }
    if (st.curframe > 0) {
      const callee = curFunc(st);
      this.checkRegArg(0, 'src');
      const r0 = callee.regs[0]!;
      if (r0.type === 'PTR_TO_STACK' && r0.frameno === callee.frameno) {
        this.fail(EINVAL, 'cannot return stack pointer to the caller');
      }
      st.frames.pop();
      st.curframe--;
      const caller = curFunc(st);
      caller.regs[0] = copyReg(r0);
      if (this.log.enabled) {
        this.verbose('returning from callee:\n');
        this.verbose(printFuncState(callee, true, this.scratch, this.printCtx, st.refs));
        this.verbose(`to caller at ${callee.callsite + 1}:\n`);
        this.verbose(printFuncState(caller, true, this.scratch, this.printCtx, st.refs));
      }
      this.insnIdx = callee.callsite + 1;
      this.doPrintState = true;
      this.scratch.all = true;
      return 'next';
    }
    if (!this.env.ops.r0Optional) {
      this.checkRegArg(0, 'src');
    }
    return 'exit';
  }

  // ---------------------------------------------------------------- branches

  private checkCondJmpOp(insn: Insn, idx: number): void {
    const op = BPF_OP(insn.code);
    const is32 = BPF_CLASS(insn.code) === BPF_JMP32;
    if (op === BPF_JA || op > 0xd0) this.fail(EINVAL, `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
    this.checkRegArg(insn.dst, 'src');
    const regs = this.regs();
    const dst = regs[insn.dst]!;
    let src: RegState;
    if (BPF_SRC(insn.code) === BPF_X) {
      if (insn.imm !== 0) this.fail(EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
      this.checkRegArg(insn.src, 'src');
      src = regs[insn.src]!;
    } else {
      if (insn.src !== 0) this.fail(EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
      src = scalarKnown(BigInt(insn.imm));
    }
    const pred = isBranchTaken(dst, src, op, is32);
    if (pred >= 0) {
      if (dst.type === 'SCALAR_VALUE') this.markChainPrecision(insn.dst);
      if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE') this.markChainPrecision(insn.src);
      const aux = this.env.aux[idx]!;
      if (pred === 1) aux.alwaysTaken = aux.alwaysTaken !== false && !aux.neverTaken ? true : aux.alwaysTaken;
      this.markBranchSeen(idx, pred === 1);
      if (this.log.enabled) this.printInsnState();
      this.insnIdx += pred === 1 ? insn.off + 1 : 1;
      return;
    }
    this.markBranchSeen(idx, true);
    this.markBranchSeen(idx, false);
    const other = this.pushStack(idx + insn.off + 1, idx);
    const oregs = other.frames[other.curframe]!.regs;
    const odst = oregs[insn.dst]!;
    if (BPF_SRC(insn.code) === BPF_X) {
      const osrc = oregs[insn.src]!;
      regSetMinMax(odst, osrc, dst, src, op, is32);
      if (src.type === 'SCALAR_VALUE' && src.id) {
        syncLinkedRegs(this.cur, src);
        syncLinkedRegs(other, osrc);
      }
    } else {
      const fake0 = copyReg(src);
      const fake1 = copyReg(src);
      regSetMinMax(odst, fake0, dst, fake1, op, is32);
    }
    if (dst.type === 'SCALAR_VALUE' && dst.id) {
      syncLinkedRegs(this.cur, dst);
      syncLinkedRegs(other, odst);
    }
    if (
      !is32 &&
      BPF_SRC(insn.code) === BPF_K &&
      insn.imm === 0 &&
      (op === 0x10 || op === 0x50) &&
      dst.maybeNull
    ) {
      markPtrOrNullRegs(this.cur, insn.dst, op === 0x50);
      markPtrOrNullRegs(other, insn.dst, op === 0x10);
    } else {
      tryMatchPktPointers(insn, dst, BPF_SRC(insn.code) === BPF_X ? src : undefined, this.cur, other);
    }
    if (this.log.enabled) this.printInsnState();
    this.insnIdx++;
  }

  private markBranchSeen(idx: number, taken: boolean): void {
    const aux = this.env.aux[idx] as InsnAuxData & { seenTaken?: boolean; seenFall?: boolean };
    if (taken) aux.seenTaken = true;
    else aux.seenFall = true;
    aux.alwaysTaken = !!aux.seenTaken && !aux.seenFall;
    aux.neverTaken = !!aux.seenFall && !aux.seenTaken;
  }

  // ---------------------------------------------------------------- pruning

  private isStateVisited(idx: number): boolean {
    const cur = this.cur;
    const forceNew = this.env.forceCkpt[idx] || this.histLen(cur) > 40;
    let addNewState = forceNew;
    if (this.jmpsProcessed - this.prevJmpsProcessed >= 2 && this.insnProcessed - this.prevInsnProcessed >= 8)
      addNewState = true;
    const list = this.explored.get(idx) ?? [];
    let statesCnt = 0;
    for (let k = 0; k < list.length; k++) {
      const sl = list[k]!;
      statesCnt++;
      let miss = true;
      if (sl.branches > 0) {
        if (this.statesMaybeLooping(sl, cur) && this.statesEqual(sl, cur, true, idx)) {
          this.verbose(`infinite loop detected at insn ${idx}\n`);
          this.verbose(`cur state:${this.stateString(cur)}`);
          this.verbose(`old state:${this.stateString(sl)}`);
          const line = `old state:${this.stateString(sl).trimEnd()}`;
          throw new VerifierError(EINVAL, line, true);
        }
        if (
          this.jmpsProcessed - this.prevJmpsProcessed < 20 &&
          this.insnProcessed - this.prevInsnProcessed < 100
        )
          addNewState = false;
      } else if (this.statesEqual(sl, cur, false, idx)) {
        sl.hitCnt++;
        this.propagatePrecision(sl, cur);
        miss = false;
        return true;
      }
      if (miss) {
        if (addNewState) sl.missCnt++;
        // Evict states that keep missing: they are unlikely to help pruning.
        const lim = this.env.forceCkpt[idx] && sl.branches > 0 ? 64 : 3;
        if (sl.missCnt > sl.hitCnt * lim + lim) {
          list.splice(k, 1);
          k--;
        }
      }
    }
    if (statesCnt > this.maxStatesPerInsn) this.maxStatesPerInsn = statesCnt;
    if (!addNewState) return false;
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    this.prevJmpsProcessed = this.jmpsProcessed;
    this.prevInsnProcessed = this.insnProcessed;
    const ck = copyState(cur);
    ck.branches = 1;
    ck.insnIdx = idx;
    list.push(ck);
    this.explored.set(idx, list);
    // The current state becomes the checkpoint's child; its scalars start imprecise again.
    cur.parent = ck;
    if (cur.hist) cur.hist.checkpoint = ck;
    for (const f of cur.frames) {
      for (const r of f.regs) if (r.type === 'SCALAR_VALUE') r.precise = false;
      for (const s of f.stack)
        if (s.slotType[7] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE') s.spilled.precise = false;
    }
    return false;
  }

  private histLen(st: VerifierState): number {
    let n = 0;
    for (let h = st.hist; h && !h.checkpoint && n <= 41; h = h.prev) n++;
    return n;
  }

  private statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
    if (old.curframe !== cur.curframe) return false;
    const fo = old.frames[old.curframe]!;
    const fc = cur.frames[cur.curframe]!;
    for (let i = 0; i < 11; i++) {
      const a = fo.regs[i]!;
      const b = fc.regs[i]!;
      if (!regsExact(a, b)) return false;
    }
    return true;
  }

  private statesEqual(old: VerifierState, cur: VerifierState, exact: boolean, idx: number): boolean {
    if (old.curframe !== cur.curframe) return false;
    if (old.refs.length !== cur.refs.length) return false;
    for (let i = 0; i <= old.curframe; i++) {
      const fo = old.frames[i]!;
      const fc = cur.frames[i]!;
      if (fo.callsite !== fc.callsite) return false;
      const live = i === old.curframe ? this.env.liveIn[idx]! : 0x3c0;
      for (let r = 0; r < 11; r++) {
        if (!exact && r !== 10 && !(live & (1 << r))) continue;
        if (!regsafe(fo.regs[r]!, fc.regs[r]!, exact)) return false;
      }
      if (!this.stacksafe(fo, fc, exact, idx)) return false;
    }
    return true;
  }

  private markStackRead(spi: number): void {
    this.stackRead.add(spi);
    this.stackLive?.markRead(spi);
  }

  private stackSlotAlive(spi: number, idx: number): boolean {
    return this.stackLive ? this.stackLive.alive(idx, spi) : this.stackRead.has(spi);
  }

  private stacksafe(old: FuncState, cur: FuncState, exact: boolean, idx: number): boolean {
    for (let spi = 0; spi < old.stack.length; spi++) {
      const os = old.stack[spi]!;
      const cs = cur.stack[spi];
      if (!exact && !this.stackSlotAlive(spi, idx)) continue;
      for (let j = 0; j < 8; j++) {
        const ot = os.slotType[j]!;
        if (exact) {
          const ct = cs ? cs.slotType[j]! : STACK_INVALID;
          if (ot !== ct) return false;
          continue;
        }
        if (ot === STACK_INVALID) continue;
        if (ot === STACK_MISC) continue; // allow_uninit_stack
        if (!cs) return false;
        const oScalar = scalarForStack(os);
        const cScalar = scalarForStack(cs);
        if (oScalar && cScalar) {
          if (!regsafe(oScalar, cScalar, exact)) return false;
          break;
        }
        const ct = cs.slotType[j]!;
        if (ot === STACK_MISC && ct === STACK_ZERO) continue;
        if (ot !== ct) return false;
        if (j !== 7) continue;
        if (ot === STACK_SPILL && !regsafe(os.spilled, cs.spilled, exact)) return false;
      }
      if (exact && os.slotType[7] === STACK_SPILL && cs && !regsExact(os.spilled, cs.spilled)) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- precision

  markChainPrecision(regno: number): void {
    const reg = this.regs()[regno]!;
    if (reg.type !== 'SCALAR_VALUE') return;
    // Precision goes to the parent checkpoints; the current state's copy stays as it is.
    const regsSet = new Set<number>([regno]);
    this.backtrack(this.cur.hist, regsSet, new Set(), true);
  }

  private propagatePrecision(old: VerifierState, cur: VerifierState): void {
    const regsSet = new Set<number>();
    const slots = new Set<number>();
    const fo = old.frames[old.curframe]!;
    const fc = cur.frames[cur.curframe]!;
    for (let i = 0; i < 11; i++) {
      const r = fo.regs[i]!;
      if (r.type === 'SCALAR_VALUE' && r.precise && fc.regs[i]!.type === 'SCALAR_VALUE') {
        regsSet.add(i);
      }
    }
    for (let spi = 0; spi < fo.stack.length; spi++) {
      const s = fo.stack[spi]!;
      if (s.slotType[7] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE' && s.spilled.precise) {
        const c = fc.stack[spi];
        if (c && c.slotType[7] === STACK_SPILL && c.spilled.type === 'SCALAR_VALUE') {
          slots.add(spi);
        }
      }
    }
    if (regsSet.size || slots.size) this.backtrack(cur.hist, regsSet, slots, true);
  }

  /** Walks the path history backwards (backtrack_insn), marking checkpoints precise. */
  private backtrack(
    start: HistNode | null,
    regsSet: Set<number>,
    slots: Set<number>,
    skipFirst: boolean,
  ): void {
    const insns = this.env.insns;
    let skip = skipFirst;
    for (let h = start; h; h = h.prev) {
      if (skip) {
        skip = false;
      } else if (!this.backtrackInsn(insns[h.idx]!, h, regsSet, slots)) {
        return;
      }
      if (!regsSet.size && !slots.size) return;
      const ck = h.checkpoint;
      if (ck) {
        const f = ck.frames[ck.curframe]!;
        for (const r of [...regsSet]) {
          const reg = f.regs[r]!;
          if (reg.type !== 'SCALAR_VALUE' || reg.precise) regsSet.delete(r);
          else reg.precise = true;
        }
        for (const spi of [...slots]) {
          const s = f.stack[spi];
          if (!s || s.slotType[7] !== STACK_SPILL || s.spilled.type !== 'SCALAR_VALUE' || s.spilled.precise)
            slots.delete(spi);
          else s.spilled.precise = true;
        }
        if (!regsSet.size && !slots.size) return;
      }
    }
  }

  private backtrackInsn(insn: Insn, h: HistNode, regs: Set<number>, slots: Set<number>): boolean {
    const cls = BPF_CLASS(insn.code);
    const op = BPF_OP(insn.code);
    const d = insn.dst;
    const s = insn.src;
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      if (!regs.has(d)) return true;
      if (op === BPF_MOV) {
        regs.delete(d);
        if (BPF_SRC(insn.code) === BPF_X && s !== 10) regs.add(s);
      } else if (BPF_SRC(insn.code) === BPF_X && s !== 10) {
        regs.add(s);
      }
    } else if (cls === BPF_LDX) {
      if (!regs.has(d)) return true;
      regs.delete(d);
      if (h.stackSpi !== undefined) slots.add(h.stackSpi);
    } else if (cls === BPF_STX || cls === BPF_ST) {
      if (BPF_MODE(insn.code) === BPF_ATOMIC) {
        if (h.stackSpi !== undefined && slots.has(h.stackSpi)) return false;
        return true;
      }
      if (h.stackSpi === undefined || !slots.has(h.stackSpi)) return true;
      slots.delete(h.stackSpi);
      if (cls === BPF_STX) regs.add(s);
    } else if (cls === BPF_JMP || cls === BPF_JMP32) {
      if (op === BPF_CALL) {
        if (insn.src === BPF_PSEUDO_CALL) return false;
        regs.delete(0);
        for (let r = 1; r <= 5; r++) regs.delete(r);
      } else if (op === BPF_EXIT) {
        return false;
      } else if (op !== BPF_JA && BPF_SRC(insn.code) === BPF_X) {
        if (regs.has(d) || regs.has(s)) {
          regs.add(d);
          regs.add(s);
        }
      }
    } else if (cls === BPF_LD) {
      if (!regs.has(d)) return true;
      regs.delete(d);
      if (BPF_MODE(insn.code) === BPF_ABS || BPF_MODE(insn.code) === BPF_IND) return false;
    }
    return true;
  }

  stats(): DoCheckStats {
    return {
      insnProcessed: this.insnProcessed,
      totalStates: this.totalStates,
      peakStates: this.peakStates,
      maxStatesPerInsn: this.maxStatesPerInsn,
      seenDirectWrite: this.seenDirectWrite,
    };
  }
}

// ------------------------------------------------------------------ helpers outside the class

function scalarForStack(s: { spilled: RegState; slotType: number[] }): RegState | undefined {
  if (s.slotType[0] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE') return s.spilled;
  if (s.slotType.every((t) => t === STACK_MISC || t === STACK_INVALID)) return unboundReg;
  return undefined;
}

const unboundReg: RegState = (() => {
  const r = notInitReg();
  r.type = 'SCALAR_VALUE';
  return r;
})();

function regsExact(a: RegState, b: RegState): boolean {
  return (
    a.type === b.type &&
    a.maybeNull === b.maybeNull &&
    a.off === b.off &&
    a.varOff.value === b.varOff.value &&
    a.varOff.mask === b.varOff.mask &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max &&
    a.id === b.id &&
    a.refObjId === b.refObjId &&
    a.range === b.range &&
    a.mapIndex === b.mapIndex &&
    a.btfId === b.btfId &&
    a.frameno === b.frameno
  );
}

function rangeWithin(old: RegState, cur: RegState): boolean {
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max
  );
}

function regsafe(old: RegState, cur: RegState, exact: boolean): boolean {
  if (exact) return regsExact(old, cur);
  if (old.type === 'NOT_INIT') return true;
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.flags.join() !== cur.flags.join())
    return false;
  switch (old.type) {
    case 'SCALAR_VALUE':
      if (!old.precise) return true;
      if ((old.id & BPF_ADD_CONST) !== (cur.id & BPF_ADD_CONST)) return false;
      if (old.id & BPF_ADD_CONST && old.off !== cur.off) return false;
      return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    case 'PTR_TO_MAP_VALUE':
    case 'PTR_TO_MAP_KEY':
    case 'PTR_TO_MEM':
      return (
        old.off === cur.off &&
        old.mapIndex === cur.mapIndex &&
        old.memSize === cur.memSize &&
        rangeWithin(old, cur) &&
        tnumIn(old.varOff, cur.varOff)
      );
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
      if (cur.range < old.range) return false;
      if (old.off !== cur.off) return false;
      return rangeWithin(old, cur) && tnumIn(old.varOff, cur.varOff);
    case 'PTR_TO_STACK':
      return regsExact({ ...old, id: 0 }, { ...cur, id: 0 }) && old.frameno === cur.frameno;
    default:
      return regsExact({ ...old, id: 0, precise: false }, { ...cur, id: 0, precise: false });
  }
}

/** coerce_reg_to_size: a b/h/w load or to-le swap zero-extends. */
export function coerceRegToSize(r: RegState, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markReg32Unbounded(r);
  regBoundsSync(r);
}

/** Reverses the byte order of the low `bits` bits. */
function bswap(x: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

function sextBounds(size: number): [bigint, bigint] {
  const bits = BigInt(size * 8);
  return [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

/** coerce_reg_to_size_sx (ldsx, movsx): sign-extend from size bytes. */
export function coerceRegToSizeSx(r: RegState, size: number): void {
  if (r.varOff.mask === 0n) {
    const v = BigInt.asIntN(size * 8, r.varOff.value);
    markRegKnown(r, v);
    return;
  }
  // A range whose bits above the sign-extended width agree, and whose low parts sign-extend to
  // values of one sign, keeps a precise range (e.g. [0, 14] stays [0, 14] under (s16)).
  const bits = BigInt(size * 8);
  const topMax = (BigInt.asUintN(64, r.smax) >> bits) << bits;
  const topMin = (BigInt.asUintN(64, r.smin) >> bits) << bits;
  if (topMax === topMin) {
    const a = BigInt.asIntN(size * 8, r.smax);
    const b = BigInt.asIntN(size * 8, r.smin);
    const hi64 = a > b ? a : b;
    const lo64 = a > b ? b : a;
    if (hi64 >= 0n === lo64 >= 0n) {
      r.smin = lo64;
      r.smax = hi64;
      r.s32min = lo64;
      r.s32max = hi64;
      r.umin = BigInt.asUintN(64, lo64);
      r.umax = BigInt.asUintN(64, hi64);
      r.u32min = BigInt.asUintN(32, lo64);
      r.u32max = BigInt.asUintN(32, hi64);
      r.varOff = tnumRange(r.umin, r.umax);
      return;
    }
  }
  const [lo, hi] = sextBounds(size);
  const id = r.id;
  markRegUnknownKeep(r);
  r.id = id;
  r.smin = lo;
  r.smax = hi;
  r.s32min = size < 4 ? lo : S32_MIN;
  r.s32max = size < 4 ? hi : S32_MAX;
  regBoundsSync(r);
}

/** coerce_subreg_to_size_sx (movsx32). */
function coerceSubregToSizeSx(r: RegState, size: number): void {
  if ((r.varOff.mask & U32) === 0n) {
    const v = BigInt.asIntN(size * 8, r.varOff.value);
    markRegKnown(r, BigInt.asUintN(32, v));
    return;
  }
  const [lo, hi] = sextBounds(size);
  markRegUnknownKeep(r);
  r.s32min = lo;
  r.s32max = hi;
  regBoundsSync(r);
}

function markRegUnknownKeep(r: RegState): void {
  const frameno = r.frameno;
  markRegUnknown(r);
  r.frameno = frameno;
}

const flipOpcode = (op: number): number =>
  ({ 32: 0xa0, 160: 0x20, 48: 0xb0, 176: 0x30, 96: 0xc0, 192: 0x60, 112: 0xd0, 208: 0x70 })[op] ?? op;
const revOpcode = (op: number): number =>
  ({
    16: 0x50,
    80: 0x10,
    32: 0xb0,
    176: 0x20,
    48: 0xa0,
    160: 0x30,
    96: 0xd0,
    208: 0x60,
    112: 0xc0,
    192: 0x70,
    64: 0x48,
    72: 0x40,
  })[op] ?? op;

const isPkt = (r: RegState): boolean =>
  r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END';
const isPtr = (r: RegState): boolean => r.type !== 'SCALAR_VALUE' && r.type !== 'NOT_INIT';

function regNotNull(r: RegState): boolean {
  if (r.maybeNull) return false;
  return (
    ['PTR_TO_SOCKET', 'PTR_TO_MAP_VALUE', 'PTR_TO_MAP_KEY', 'PTR_TO_SOCK_COMMON', 'PTR_TO_MEM'].includes(
      r.type,
    ) ||
    (r.type === 'PTR_TO_BTF_ID' && r.flags.includes('trusted'))
  );
}

const isRegConst = (r: RegState, is32: boolean): boolean =>
  r.type === 'SCALAR_VALUE' && (is32 ? (r.varOff.mask & U32) === 0n : r.varOff.mask === 0n);
const regConstValue = (r: RegState, is32: boolean): bigint => (is32 ? r.varOff.value & U32 : r.varOff.value);

export function isBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  if (isPkt(r1) && isPkt(r2) && !is32) {
    let pkt: RegState;
    let o = op;
    if (r2.type === 'PTR_TO_PACKET_END') pkt = r1;
    else if (r1.type === 'PTR_TO_PACKET_END') {
      pkt = r2;
      o = flipOpcode(op);
    } else return -1;
    if (pkt.range >= 0) return -1;
    switch (o) {
      case 0xb0:
      case 0x20:
        if (pkt.range === BEYOND_PKT_END) return o === 0x20 ? 1 : 0;
        break;
      case 0xa0:
      case 0x30:
        if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return o === 0x30 ? 1 : 0;
        break;
    }
    return -1;
  }
  if (isPtr(r1) || isPtr(r2)) {
    let a = r1;
    let b = r2;
    let o = op;
    if (!isRegConst(b, is32)) {
      o = flipOpcode(op);
      [a, b] = [b, a];
    }
    if (!isRegConst(b, is32)) return -1;
    if (!regNotNull(a)) return -1;
    if (regConstValue(b, is32) !== 0n) return -1;
    if (o === 0x10) return 0;
    if (o === 0x50) return 1;
    return -1;
  }
  return isScalarBranchTaken(r1, r2, op, is32);
}

function isScalarBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  const t1 = is32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = is32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin;
  const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin;
  const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin;
  const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin;
  const smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case 0x10:
    case 0x50: {
      const eq = op === 0x10;
      if (t1.mask === 0n && t2.mask === 0n) return (t1.value === t2.value) === eq ? 1 : 0;
      if (umin1 > umax2 || umax1 < umin2) return eq ? 0 : 1;
      if (smin1 > smax2 || smax1 < smin2) return eq ? 0 : 1;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return eq ? 0 : 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return eq ? 0 : 1;
      }
      const tn = tnumXor2(t1, t2);
      if (tn) return eq ? 0 : 1;
      break;
    }
    case 0x40: {
      let a = t1;
      let b = t2;
      let rb = r2;
      let ra = r1;
      if (!isRegConst(rb, is32)) {
        [a, b] = [b, a];
        [ra, rb] = [rb, ra];
      }
      if (!isRegConst(rb, is32)) return -1;
      void ra;
      if (~a.mask & a.value & b.value) return 1;
      if (!((a.mask | a.value) & b.value)) return 0;
      break;
    }
    case 0x20:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      break;
    case 0x60:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      break;
    case 0xa0:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      break;
    case 0xc0:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      break;
    case 0x30:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      break;
    case 0x70:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      break;
    case 0xb0:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      break;
    case 0xd0:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      break;
  }
  return -1;
}

/** Known bits that differ: the values can never be equal (tnum-based JEQ/JNE). */
function tnumXor2(a: Tnum, b: Tnum): boolean {
  const known = ~(a.mask | b.mask) & U64;
  return ((a.value ^ b.value) & known) !== 0n;
}

function regsRefineCondOp(r1In: RegState, r2In: RegState, opIn: number, is32: boolean): void {
  let r1 = r1In;
  let r2 = r2In;
  let op = opIn;
  if (op === 0x30 || op === 0x20 || op === 0x70 || op === 0x60) {
    op = flipOpcode(op);
    [r1, r2] = [r2, r1];
  }
  const u = (x: bigint, w: 32 | 64) => BigInt.asUintN(w, x);
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  switch (op) {
    case 0x10:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = withSubreg(r1.varOff, t);
        r2.varOff = withSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case 0x50: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (is32) {
        if (r1.u32min === u(val, 32)) r1.u32min++;
        if (r1.u32max === u(val, 32)) r1.u32max--;
        if (r1.s32min === BigInt.asIntN(32, val)) r1.s32min++;
        if (r1.s32max === BigInt.asIntN(32, val)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === BigInt.asIntN(64, val)) r1.smin++;
        if (r1.smax === BigInt.asIntN(64, val)) r1.smax--;
      }
      break;
    }
    case 0x40: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (is32) r1.varOff = withSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case 0x48: {
      if (!isRegConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      r1.smin = S64_MIN;
      r1.smax = S64_MAX;
      r1.umin = 0n;
      r1.umax = U64;
      markReg32Unbounded(r1);
      if (is32) r1.varOff = withSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & U32)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(~val & U64));
      break;
    }
    case 0xb0:
      if (is32) {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      } else {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      }
      break;
    case 0xa0:
      if (is32) {
        r1.u32max = min(r1.u32max, u(r2.u32max - 1n, 32));
        r2.u32min = max(u(r1.u32min + 1n, 32), r2.u32min);
      } else {
        r1.umax = min(r1.umax, u(r2.umax - 1n, 64));
        r2.umin = max(u(r1.umin + 1n, 64), r2.umin);
      }
      break;
    case 0xd0:
      if (is32) {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      } else {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      }
      break;
    case 0xc0:
      if (is32) {
        r1.s32max = min(r1.s32max, BigInt.asIntN(32, r2.s32max - 1n));
        r2.s32min = max(BigInt.asIntN(32, r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = min(r1.smax, BigInt.asIntN(64, r2.smax - 1n));
        r2.smin = max(BigInt.asIntN(64, r1.smin + 1n), r2.smin);
      }
      break;
  }
}

const withSubreg = (reg: Tnum, sub: Tnum): Tnum =>
  tnumOr({ value: reg.value & ~U32 & U64, mask: reg.mask & ~U32 & U64 }, tnumSubreg(sub));

export function regSetMinMax(
  t1: RegState,
  t2: RegState,
  f1: RegState,
  f2: RegState,
  op: number,
  is32: boolean,
): void {
  if (f1.type !== 'SCALAR_VALUE' || f2.type !== 'SCALAR_VALUE') return;
  regsRefineCondOp(t1, t2, op, is32);
  regBoundsSync(t1);
  regBoundsSync(t2);
  regsRefineCondOp(f1, f2, revOpcode(op), is32);
  regBoundsSync(f1);
  regBoundsSync(f2);
}

function forEachReg(st: VerifierState, fn: (r: RegState, set: (n: RegState) => void) => void): void {
  for (const f of st.frames) {
    for (let i = 0; i < f.regs.length; i++) fn(f.regs[i]!, (n) => (f.regs[i] = n));
    for (const s of f.stack) if (s.slotType[7] === STACK_SPILL) fn(s.spilled, (n) => (s.spilled = n));
  }
}

function syncLinkedRegs(st: VerifierState, known: RegState): void {
  const id = known.id & ~BPF_ADD_CONST;
  forEachReg(st, (reg, set) => {
    if (reg === known || reg.type !== 'SCALAR_VALUE') return;
    if ((reg.id & ~BPF_ADD_CONST) !== id) return;
    if ((!(reg.id & BPF_ADD_CONST) && !(known.id & BPF_ADD_CONST)) || reg.off === known.off) {
      const n = copyReg(known);
      n.frameno = reg.frameno;
      n.id = reg.id;
      n.off = reg.off;
      set(n);
    } else {
      const n = copyReg(known);
      n.id = reg.id;
      n.off = reg.off;
      n.frameno = reg.frameno;
      const delta = scalarKnown(BigInt(reg.off - known.off));
      const savedVar = tnumAdd(n.varOff, delta.varOff);
      adjustScalarMinMaxVals(n, delta, 0x00, false);
      n.varOff = savedVar;
      regBoundsSync(n);
      set(n);
    }
  });
}

function markPtrOrNullRegs(st: VerifierState, regno: number, isNull: boolean): void {
  const f = st.frames[st.curframe]!;
  const id = f.regs[regno]!.id;
  forEachReg(st, (reg) => {
    if (!reg.maybeNull || reg.id !== id) return;
    if (isNull) {
      reg.type = 'SCALAR_VALUE';
      reg.maybeNull = false;
      reg.id = 0;
      reg.refObjId = 0;
      reg.mapIndex = -1;
      reg.btfId = 0;
      reg.flags = [];
      return;
    }
    reg.maybeNull = false;
    reg.id = 0;
  });
  if (isNull) st.refs = st.refs.filter((r) => r.id !== id);
}

function findGoodPktPointers(st: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  let newRange = dst.off;
  if (rightOpen) newRange--;
  const type = dst.type;
  const id = dst.id;
  forEachReg(st, (reg) => {
    if (reg.type === type && reg.id === id) reg.range = Math.max(reg.range, newRange);
  });
}

function markPktEnd(st: VerifierState, regno: number, rangeOpen: boolean): void {
  const reg = st.frames[st.curframe]!.regs[regno]!;
  if (reg.type !== 'PTR_TO_PACKET') return;
  reg.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

function tryMatchPktPointers(
  insn: Insn,
  dstIn: RegState,
  srcIn: RegState | undefined,
  thisB: VerifierState,
  otherB: VerifierState,
): boolean {
  if (!srcIn || BPF_CLASS(insn.code) === BPF_JMP32) return false;
  const op = BPF_OP(insn.code);
  const thisRegs = thisB.frames[thisB.curframe]!.regs;
  const dst = thisRegs[insn.dst]!;
  const src = thisRegs[insn.src]!;
  void dstIn;
  const initPkt = (r: RegState) =>
    r.type === 'PTR_TO_PACKET' && r.off === 0 && r.varOff.mask === 0n && r.varOff.value === 0n;
  const fwd =
    (dst.type === 'PTR_TO_PACKET' && src.type === 'PTR_TO_PACKET_END') ||
    (dst.type === 'PTR_TO_PACKET_META' && initPkt(src));
  const rev =
    (dst.type === 'PTR_TO_PACKET_END' && src.type === 'PTR_TO_PACKET') ||
    (initPkt(dst) && src.type === 'PTR_TO_PACKET_META');
  const oDst = otherB.frames[otherB.curframe]!.regs[insn.dst]!;
  const oSrc = otherB.frames[otherB.curframe]!.regs[insn.src]!;
  switch (op) {
    case 0x20:
      if (fwd) {
        findGoodPktPointers(thisB, dst, false);
        markPktEnd(otherB, insn.dst, true);
      } else if (rev) {
        findGoodPktPointers(otherB, oSrc, true);
        markPktEnd(thisB, insn.src, false);
      } else return false;
      break;
    case 0xa0:
      if (fwd) {
        findGoodPktPointers(otherB, oDst, true);
        markPktEnd(thisB, insn.dst, false);
      } else if (rev) {
        findGoodPktPointers(thisB, src, false);
        markPktEnd(otherB, insn.src, true);
      } else return false;
      break;
    case 0x30:
      if (fwd) {
        findGoodPktPointers(thisB, dst, true);
        markPktEnd(otherB, insn.dst, false);
      } else if (rev) {
        findGoodPktPointers(otherB, oSrc, false);
        markPktEnd(thisB, insn.src, true);
      } else return false;
      break;
    case 0xb0:
      if (fwd) {
        findGoodPktPointers(otherB, oDst, false);
        markPktEnd(thisB, insn.dst, true);
      } else if (rev) {
        findGoodPktPointers(thisB, src, true);
        markPktEnd(otherB, insn.src, false);
      } else return false;
      break;
    default:
      return false;
  }
  return true;
}

// ------------------------------------------------------------------ BTF helpers

function skipMods(btf: Btf, id: number): number {
  for (let d = 0; d < 32; d++) {
    const k = btf.kindOf(id);
    if (k !== 8 && k !== 9 && k !== 10 && k !== 11 && k !== 18) return id;
    id = btf.sizeOrTypeOf(id);
  }
  return id;
}

function sizeOfType(btf: Btf, id: number): number {
  const t = btf.type(skipMods(btf, id));
  if ('size' in t && typeof t.size === 'number') return t.size;
  if (t.kind === 'PTR') return 8;
  if (t.kind === 'ARRAY') return t.nelems * sizeOfType(btf, t.type);
  return 0;
}

function isScalarStruct(btf: Btf, id: number, depth = 0): boolean {
  const t = btf.type(skipMods(btf, id));
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return false;
  for (const m of t.members) {
    const mt = btf.type(skipMods(btf, m.type));
    if (mt.kind === 'INT' || mt.kind === 'ENUM' || mt.kind === 'ENUM64') continue;
    if (mt.kind === 'ARRAY') {
      const et = btf.type(skipMods(btf, mt.type));
      if (et.kind === 'INT' || et.kind === 'ENUM') continue;
    }
    if ((mt.kind === 'STRUCT' || mt.kind === 'UNION') && depth < 4 && isScalarStruct(btf, m.type, depth + 1))
      continue;
    return false;
  }
  return true;
}

/** btf_struct_ids_match: the same struct, or the first member (at offset 0) chain reaches it. */
function btfStructIdsMatch(btf: Btf, have: number, want: number): boolean {
  let id = skipMods(btf, have);
  const target = skipMods(btf, want);
  for (let d = 0; d < 8; d++) {
    if (id === target) return true;
    const t = btf.type(id);
    if (t.kind !== 'STRUCT' || !t.members.length || t.members[0]!.bitOffset !== 0) return false;
    id = skipMods(btf, t.members[0]!.type);
  }
  return false;
}

/** btf_struct_walk for reads: scalar, or a pointer member loaded whole. */
function btfStructWalk(btf: Btf, structId: number, off: number, size: number): { ptrTo?: number } | string {
  let id = skipMods(btf, structId);
  let o = off;
  const top = btf.type(id);
  const tname = top.name;
  const tsize = 'size' in top ? (top.size as number) : 0;
  if (off + size > tsize) return `access beyond struct ${tname} at off ${off} size ${size}`;
  for (let d = 0; d < 16; d++) {
    const t = btf.type(id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return {};
    let found = false;
    for (const m of t.members) {
      const mOff = Math.floor(m.bitOffset / 8);
      const mt = btf.type(skipMods(btf, m.type));
      const msz = sizeOfType(btf, m.type);
      if (o < mOff || o >= mOff + Math.max(msz, 1)) continue;
      if (m.bitfieldSize) return {};
      if (mt.kind === 'PTR') {
        if (o === mOff && size === 8) {
          const pt = skipMods(btf, mt.type);
          const pk = btf.type(pt).kind;
          if (pk === 'STRUCT' || pk === 'UNION') return { ptrTo: pt };
          return {};
        }
        return {};
      }
      if (mt.kind === 'STRUCT' || mt.kind === 'UNION') {
        id = skipMods(btf, m.type);
        o -= mOff;
        found = true;
        break;
      }
      return {};
    }
    if (!found) return {};
  }
  return {};
}

/** bpf_tcp_ca_btf_struct_access: the tcp_sock fields a congestion control may write. */
function tcpCaBtfStructAccess(btf: Btf, btfId: number, off: number, size: number): string | null {
  const t = btf.type(skipMods(btf, btfId));
  if (t.name !== 'tcp_sock') return 'only read is supported';
  const find = (path: string[]): { off: number; size: number } | undefined => {
    let id = skipMods(btf, btfId);
    let base = 0;
    for (const p of path) {
      const loc = findMemberDeep(btf, id, p);
      if (!loc) return undefined;
      base += loc.off;
      id = loc.type;
    }
    return { off: base, size: sizeOfType(btf, id) };
  };
  const allowed: string[][] = [
    ['sk_pacing_rate'],
    ['sk_pacing_status'],
    ['icsk_ca_priv'],
    ['icsk_ack', 'pending'],
    ['snd_cwnd'],
    ['snd_cwnd_cnt'],
    ['snd_cwnd_stamp'],
    ['snd_ssthresh'],
    ['ecn_flags'],
    ['app_limited'],
  ];
  for (const p of allowed) {
    const m = find(p);
    if (!m) continue;
    const isRange = p[0] === 'icsk_ca_priv';
    if (off === m.off || (isRange && off >= m.off && off < m.off + m.size)) {
      const end = m.off + m.size;
      if (off + size > end) {
        return `write access at off ${off} with size ${size} beyond the member of tcp_sock ended at ${end}`;
      }
      return null;
    }
  }
  return `no write support to tcp_sock at off ${off}`;
}

function findMemberDeep(btf: Btf, structId: number, name: string): { off: number; type: number } | undefined {
  const t = btf.type(skipMods(btf, structId));
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
  for (const m of t.members) {
    if (m.name === name) return { off: Math.floor(m.bitOffset / 8), type: m.type };
  }
  for (const m of t.members) {
    const mt = btf.type(skipMods(btf, m.type));
    if (mt.kind === 'STRUCT' || mt.kind === 'UNION') {
      const r = findMemberDeep(btf, m.type, name);
      if (r) return { off: Math.floor(m.bitOffset / 8) + r.off, type: r.type };
    }
  }
  return undefined;
}

export { printRegState, tnumIsAligned as _unusedAligned };
