// do_check: the path-sensitive walk of kernel/bpf/verifier.c over one program — the driver loop,
// per-insn dispatch and the level-1 log. The checks it dispatches to mirror verifier.c's parts:
// alu.ts, mem-access.ts, calls.ts, cond-jmp.ts, state-pruning.ts, precision.ts.
import type { Btf } from '../btf/btf';
import type { BtfRegistry } from '../btf/registry';
import { formatInsn } from '../isa/disasm';
import type { Insn } from '../isa/insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_EXIT,
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
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  sizeBytes,
} from '../isa/opcodes';
import { checkAluOp } from './alu';
import { type FuncAux, prepareFuncArgs, type SubprogArg } from './btf-func';
import { checkFuncCall, checkHelperCall, checkKfuncCall, processBpfExit } from './calls';
import { checkCondJmpOp } from './cond-jmp';
import type { VerifierObserver } from './debug/observer';
import {
  type PrintCtx,
  printFuncState,
  printRegState,
  type Scratch,
  ScratchSet,
  type VerifierLog,
  vlogAlignment,
} from './log';
import { checkAtomic, checkLdAbs, checkLdImm, checkMemAccess } from './mem-access';
import type { BpfVerifierOps, InsnAuxData } from './ops';
import { PROGRESS_EVERY_INSNS, type VerifierProgressSink } from './progress';
import type { ProgTypeName } from './progtypes/names';
import { BPF_ADD_CONST, markRegKnown, markRegUnknown, notInitReg, type RegState } from './reg';
import { computeScc } from './scc';
import { SccVisits } from './scc-visit';
import { computePostorder, StackLiveness } from './stack-liveness';
import { CallchainStackLiveness } from './stack-liveness-callchain';
import { copyState, curFunc, InsnHistory, newFuncState, type VerifierState } from './state';
import { isStateVisited } from './state-pruning';
import { tnumIsAligned } from './tnum';
import { E2BIG, EACCES, EFAULT, EINVAL, VerifierError } from './verifier-error';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;

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
  /** It (or a function it calls) calls a helper that changes packet data. */
  changesPktData?: boolean;
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
  ops: BpfVerifierOps & {
    r0Optional?: boolean;
    /** check_return_code's range for the main program's R0; null/absent = any value. */
    retRange?: { min: number; max: number } | null;
    directPacketWrite?: boolean;
    mayAccessSkb?: boolean;
    btfStructAccess?(btfId: number, off: number, size: number): string | null;
  };
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
  /** BPF_F_SLEEPABLE: the program may call sleepable kfuncs. */
  sleepable?: boolean;
  /** A debugger watching the walk (core/verifier/debug); absent in normal loads. */
  observer?: VerifierObserver;
  /** Program BTF (func_info types) and each subprogram's func_info aux, when the load has them. */
  progBtf?: Btf;
  funcs?: FuncAux[];
  /** Told how far the walk is every `every` processed insns. */
  progress?: VerifierProgressSink;
}

interface StackElem {
  st: VerifierState;
  insnIdx: number;
  prevInsnIdx: number;
  logPos: number;
}

export interface DoCheckStats {
  insnProcessed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  seenDirectWrite: boolean;
}

/**
 * Runs do_check_main. Throws VerifierError (message = the log's reason line) on rejection.
 * Holds the walk's state (the kernel's bpf_verifier_env) and the register primitives; the checks
 * are functions in the files named above taking it as their first argument.
 */
export class Verifier {
  readonly env: DoCheckEnv;
  cur!: VerifierState;
  insnIdx = 0;
  prevInsnIdx = -1;
  stack: StackElem[] = [];
  explored = new Map<number, VerifierState[]>();
  /** Every path's insn history (states hold indices into it). */
  readonly hist = new InsnHistory();
  idGen = 0;
  /** ctx offset of a refcounted struct_ops arg → the reference acquired at entry. */
  readonly ctxArgRefs = new Map<number, number>();
  insnProcessed = 0;
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  /** explored_states_size + free_list_size: checkpoints kept, evicted ones not yet freed (peak_states). */
  curStates = 0;
  /** num_backedges: SCC backedge states kept (callback loops), counted in peak_states too. */
  numBackedges = 0;
  maxStatesPerInsn = 0;
  seenDirectWrite = false;
  scratch: Scratch = { regs: new ScratchSet(), slots: new ScratchSet(), all: true };
  prevLogPos = 0;
  prevInsnPrintPos = 0;
  doPrintState = false;
  printCtx: PrintCtx;
  /** Stack slots read anywhere so far (frame-insensitive): stack liveness for programs with subprograms. */
  stackRead = new Set<number>();
  /** Per-instruction stack liveness (kernel/bpf/liveness.c) for single-function programs. */
  stackLive: StackLiveness | null = null;
  /** liveness.c's per-call-chain instances, kept for log level 2 in programs with calls. */
  stackLiveCc: CallchainStackLiveness | null = null;
  /** Loop visits, kept for the SCC lines of log level 2 only. */
  sccVisits: SccVisits | null = null;

  constructor(env: DoCheckEnv) {
    this.env = env;
    if (env.log.level >= 2) this.sccVisits = new SccVisits(this);
    if (env.log.level >= 2 && env.subprogs.length > 1) {
      const starts = env.subprogs.map((sp) => sp.start).sort((a, b) => a - b);
      this.stackLiveCc = new CallchainStackLiveness(
        env.insns,
        starts,
        computePostorder(env.insns, starts),
        env.pruneP,
        (s) => env.log.write(s),
      );
    }
    if (env.subprogs.length <= 1) {
      const log2 =
        env.log.level >= 2 ? { write: (s: string) => env.log.write(s), pruneP: env.pruneP } : undefined;
      this.stackLive = new StackLiveness(env.insns, computePostorder(env.insns, [0])[0], log2);
    }
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

  get log(): VerifierLog {
    return this.env.log;
  }

  verbose(s: string): void {
    this.log.write(s);
  }

  fail(errno: number, msg: string): never {
    this.verbose(`${msg}\n`);
    throw new VerifierError(errno, msg, true);
  }

  regs(): RegState[] {
    return curFunc(this.cur).regs;
  }

  run(): void {
    if (this.log.level >= 2) this.printLiveRegs();
    // do_check_common for the main program: with func_info its BTF is checked as a global
    // function's would be, but a mismatch only makes that BTF unreliable (its reason is logged).
    const main = this.env.funcs?.[0];
    if (main && this.env.progBtf) {
      try {
        prepareFuncArgs(
          this.env.progBtf,
          main,
          this.env.progType as ProgTypeName,
          (l) => this.verbose(`${l}\n`),
          this.env.btf?.vmlinux.btf,
        );
      } catch (e) {
        if (!(e instanceof VerifierError)) throw e;
        main.unreliable = true;
      }
    }
    const st: VerifierState = {
      frames: [newFuncState(0, -1, 0)],
      curframe: 0,
      refs: [],
      parent: null,
      branches: 1,
      insnIdx: 0,
      hist: -1,
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

  /**
   * do_check_common for a global function: its own walk from a fresh frame whose argument
   * registers are what its BTF promises (btf_prepare_func_args), nothing about any caller.
   */
  runSubprog(subprog: number, args: readonly SubprogArg[]): void {
    // Explored states stay (the kernel's counts show them kept): other functions' insns differ.
    this.stack = [];
    this.prevInsnIdx = -1;
    this.doPrintState = false;
    const fa = this.env.funcs![subprog]!;
    if (this.log.enabled) this.verbose(`Validating ${fa.name}() func#${subprog}...\n`);
    const frame = newFuncState(0, -1, subprog);
    const st: VerifierState = {
      frames: [frame],
      curframe: 0,
      refs: [],
      parent: null,
      branches: 1,
      insnIdx: this.env.subprogs[subprog]!.start,
      hist: -1,
      hitCnt: 0,
      missCnt: 0,
    };
    const regs = frame.regs;
    for (const [i, a] of args.entries()) {
      const r = notInitReg();
      if (a.kind === 'ctx') {
        r.type = 'PTR_TO_CTX';
        markRegKnown(r, 0n);
      } else if (a.kind === 'scalar' || a.kind === 'arena') {
        r.type = 'SCALAR_VALUE';
      } else if (a.kind === 'btf_id') {
        r.type = 'PTR_TO_BTF_ID';
        markRegKnown(r, 0n);
        r.btfId = a.btfId;
        r.flags = [a.flag];
        r.maybeNull = a.nullable;
        r.id = ++this.idGen;
      } else {
        r.type = 'PTR_TO_MEM';
        markRegKnown(r, 0n);
        r.memSize = a.size;
        if (a.nullable) {
          r.maybeNull = true;
          r.id = ++this.idGen;
        }
      }
      regs[i + 1] = r;
    }
    regs[10] = { ...notInitReg(), type: 'PTR_TO_STACK' };
    markRegKnown(regs[10], 0n);
    this.cur = st;
    this.insnIdx = st.insnIdx;
    this.scratch.all = true;
    this.doCheck();
  }

  doCheck(): void {
    const insns = this.env.insns;
    const limit = (globalThis as { __KLIMIT?: number }).__KLIMIT ?? BPF_COMPLEXITY_LIMIT_INSNS;
    const progress = this.env.progress;
    const progressEvery = Math.max(1, Math.floor(progress?.every ?? PROGRESS_EVERY_INSNS));
    let progressLeft = progressEvery;
    for (;;) {
      const idx = this.insnIdx;
      if (idx < 0 || idx >= insns.length)
        this.fail(EFAULT, `invalid insn idx ${idx} insn_cnt ${insns.length}`);
      const insn = insns[idx]!;
      if (++this.insnProcessed > limit) {
        this.fail(E2BIG, `BPF program is too large. Processed ${this.insnProcessed} insn`);
      }
      if (progress && --progressLeft === 0) {
        progressLeft = progressEvery;
        progress.report({
          processed: this.insnProcessed,
          limit,
          states: this.totalStates,
          peakStates: this.peakStates,
          insn: idx,
        });
      }
      this.cur.insnIdx = idx;
      this.cur.hist = this.hist.push(idx, this.cur.hist);
      if (this.env.pruneP[idx]) {
        const r = isStateVisited(this, idx);
        if (r) {
          if (this.log.enabled) {
            if (this.doPrintState) this.verbose(`\nfrom ${this.prevInsnIdx} to ${idx}: safe\n`);
            else this.verbose(`${idx}: safe\n`);
          }
          if (this.processExit()) return;
          continue;
        }
      }
      if (this.doPrintState && this.log.level >= 2) {
        // Level 2 shows the whole state a popped branch resumes with.
        this.verbose(`\nfrom ${this.prevInsnIdx} to ${idx}:${this.stateString(this.cur)}`);
        this.doPrintState = false;
      }
      if (this.log.enabled) {
        if (this.scratched()) this.printInsnState();
        this.prevLogPos = this.log.pos;
        this.verbose(`${idx}: ${this.fmtInsn(idx)}\n`);
        this.prevInsnPrintPos = this.log.pos - this.prevLogPos + this.mapAddrWidthDelta(idx);
        this.prevLogPos = this.log.pos;
      }
      this.env.aux[idx]!.seen = true;
      this.prevInsnIdx = idx;
      this.stackLive?.resetWrites(idx);
      this.stackLiveCc?.resetWrites(this.cur, idx);
      this.env.observer?.beforeInsn(this, idx);
      const res = this.doCheckInsn(insn, idx);
      this.env.observer?.afterInsn(this, idx);
      this.stackLive?.commitWrites();
      this.stackLiveCc?.commitWrites();
      if (res === 'exit') {
        if (this.processExit()) return;
      }
    }
  }

  /** Ends the current path; returns true when no branch is left. */
  processExit(): boolean {
    this.scratch.all = true;
    this.updateBranchCounts(this.cur);
    // bpf_update_live_stack: reads and writes seen so far become per-insn liveness before the next pop.
    this.stackLive?.update();
    this.stackLiveCc?.update(this.cur);
    const e = this.stack.pop();
    if (!e) return true;
    if (this.log.level < 2) this.log.reset(e.logPos);
    this.cur = e.st;
    this.insnIdx = e.insnIdx;
    this.prevInsnIdx = e.prevInsnIdx;
    this.doPrintState = true;
    return false;
  }

  updateBranchCounts(st: VerifierState): void {
    let p: VerifierState | null = st.parent;
    while (p) {
      const br = --p.branches;
      if (br > 0) break;
      this.sccVisits?.exit(p);
      // maybe_free_verifier_state: an evicted checkpoint goes once nothing descends from it.
      if (p.inFreeList) this.curStates--;
      p = p.parent;
    }
  }

  pushStack(insnIdx: number, prevInsnIdx: number): VerifierState {
    const st = copyState(this.cur);
    if (st.parent) st.parent.branches++;
    this.stack.push({ st, insnIdx, prevInsnIdx, logPos: this.log.pos });
    if (this.stack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
      this.fail(EFAULT, `The sequence of ${this.stack.length} jumps is too complex.`);
    }
    return st;
  }

  /**
   * The kernel printed a map (or map value) ld_imm64 with an 18-character address where the log
   * has <map:N> / <map_value:N+OFF>; its padding of the state column follows the address.
   */
  private mapAddrWidthDelta(idx: number): number {
    const insn = this.env.insns[idx]!;
    if (insn.code !== 0x18 || insn.src === 0 || insn.src === BPF_PSEUDO_FUNC) return 0;
    const text = this.fmtInsn(idx);
    return 18 - text.slice(text.indexOf('= ') + 2).length;
  }

  // An insn prints the same on every visit: a loop walked a million times formats it once.
  private insnText: string[] = [];

  /**
   * compute_live_registers at log level 2: each insn with the registers live before it (digit or
   * '.'), after the number of the loop (SCC) it is in, if any.
   */
  private printLiveRegs(): void {
    const { insns, liveIn } = this.env;
    const scc = computeScc(insns);
    let out = 'Live regs before insn:\n';
    for (let i = 0; i < insns.length; i++) {
      let regs = '';
      for (let r = 0; r < 10; r++) regs += liveIn[i]! & (1 << r) ? String(r) : '.';
      const loop = scc[i] ? `${String(scc[i]).padStart(3)} ` : '    ';
      out += `${loop}${String(i).padStart(3)}: ${regs} ${this.fmtInsn(i)}\n`;
      if (insns[i]!.code === 0x18) i++;
    }
    this.log.write(out);
  }

  fmtInsn(idx: number): string {
    this.insnText[idx] ??= this.formatInsnText(idx);
    return this.insnText[idx];
  }

  private formatInsnText(idx: number): string {
    const insns = this.env.insns;
    const insn = insns[idx]!;
    if (insn.code === 0x18 && insn.src === BPF_PSEUDO_FUNC) {
      const imm = (BigInt(insns[idx + 1]!.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      return `(18) r${insn.dst} = 0x${imm.toString(16)}`;
    }
    if (insn.code === 0x18 && insn.src !== 0 && insn.src !== 3) {
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

  scratched(): boolean {
    return this.scratch.all || this.scratch.regs.size > 0 || this.scratch.slots.size > 0;
  }

  clearScratch(): void {
    this.scratch.all = false;
    this.scratch.regs.clear();
    this.scratch.slots.clear();
  }

  printInsnState(): void {
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
  stateString(st: VerifierState): string {
    return printFuncState(st.frames[st.curframe]!, true, this.scratch, this.printCtx, st.refs);
  }

  /** print_verifier_state(st, frameno, print_all) */
  frameStateString(st: VerifierState, frameno: number): string {
    return printFuncState(st.frames[frameno]!, true, this.scratch, this.printCtx, st.refs);
  }

  markRegScratched(r: number): void {
    this.scratch.regs.add(r);
  }

  checkRegArg(regno: number, t: 'src' | 'dst' | 'dst_nomark'): void {
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
      // subreg_def: a 32-bit def is what a later 64-bit read would need zero-extended.
      reg.subregDef = this.writesReg64() ? -1 : this.insnIdx;
    }
  }

  /** is_reg64 for the current insn's destination: does it write all 64 bits? */
  writesReg64(): boolean {
    const insn = this.env.insns[this.insnIdx]!;
    const cls = BPF_CLASS(insn.code);
    if (cls === BPF_ALU) return false;
    if (cls === BPF_LDX) return BPF_SIZE(insn.code) === BPF_DW || BPF_MODE(insn.code) === BPF_MEMSX;
    if (cls === BPF_LD) return BPF_MODE(insn.code) === BPF_IMM;
    if (cls === BPF_STX && BPF_MODE(insn.code) === BPF_ATOMIC) return BPF_SIZE(insn.code) === BPF_DW;
    return true;
  }

  /** is_reg64: does the current insn read all 64 bits of regno? */
  readsReg64(regno: number): boolean {
    const insn = this.env.insns[this.insnIdx]!;
    const cls = BPF_CLASS(insn.code);
    if (cls === BPF_ALU || cls === BPF_JMP32) return false;
    if ((cls === BPF_STX || cls === BPF_ST) && BPF_MODE(insn.code) === BPF_MEM && regno === insn.src) {
      return BPF_SIZE(insn.code) === BPF_DW;
    }
    return true;
  }

  /**
   * assign_scalar_id_before_mov: a copied scalar shares an id with its copy (for sync_linked_regs);
   * one already linked by rX += const loses that link first (links do not chain).
   */
  assignScalarIdBeforeMov(r: RegState): void {
    if (r.type !== 'SCALAR_VALUE') return;
    if (r.id & BPF_ADD_CONST) {
      r.id = 0;
      r.off = 0;
    }
    if (!r.id && r.varOff.mask !== 0n) r.id = ++this.idGen;
  }

  newScalar(): RegState {
    const r = notInitReg();
    r.type = 'SCALAR_VALUE';
    r.frameno = curFunc(this.cur).frameno;
    return r;
  }

  markKnownZeroPtr(regno: number, type: RegState['type']): RegState {
    const r = notInitReg();
    r.type = type;
    markRegKnown(r, 0n);
    r.frameno = curFunc(this.cur).frameno;
    this.regs()[regno] = r;
    return r;
  }

  doCheckInsn(insn: Insn, idx: number): 'next' | 'exit' {
    const cls = BPF_CLASS(insn.code);
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      checkAluOp(this, insn);
    } else if (cls === BPF_LDX) {
      this.checkReg(insn.src, 'src');
      this.checkRegArg(insn.dst, 'dst_nomark');
      // The type before the access (a load into the same register replaces it).
      const { type: srcType, flags: srcFlags } = this.regs()[insn.src]!;
      checkMemAccess(
        this,
        idx,
        insn.src,
        insn.off,
        sizeBytes(BPF_SIZE(insn.code)),
        'read',
        insn.dst,
        BPF_MODE(insn.code) === BPF_MEMSX,
      );
      this.saveAuxPtrType(idx, srcType, srcFlags, true);
    } else if (cls === BPF_STX) {
      if (BPF_MODE(insn.code) === BPF_ATOMIC) {
        checkAtomic(this, insn, idx);
      } else {
        if (BPF_MODE(insn.code) !== BPF_MEM || insn.imm !== 0)
          this.fail(EINVAL, 'BPF_STX uses reserved fields');
        this.checkRegArg(insn.src, 'src');
        this.checkRegArg(insn.dst, 'src');
        const { type: dstType, flags: dstFlags } = this.regs()[insn.dst]!;
        checkMemAccess(
          this,
          idx,
          insn.dst,
          insn.off,
          sizeBytes(BPF_SIZE(insn.code)),
          'write',
          insn.src,
          false,
        );
        this.saveAuxPtrType(idx, dstType, dstFlags, false);
      }
    } else if (cls === BPF_ST) {
      if (BPF_MODE(insn.code) !== BPF_MEM || insn.src !== 0) this.fail(EINVAL, 'BPF_ST uses reserved fields');
      this.checkRegArg(insn.dst, 'src');
      const { type: dstType, flags: dstFlags } = this.regs()[insn.dst]!;
      checkMemAccess(this, idx, insn.dst, insn.off, sizeBytes(BPF_SIZE(insn.code)), 'write', -1, false, insn);
      this.saveAuxPtrType(idx, dstType, dstFlags, false);
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
          checkFuncCall(this, insn, idx);
          return 'next';
        }
        if (insn.src === BPF_PSEUDO_KFUNC_CALL) checkKfuncCall(this, insn, idx);
        else checkHelperCall(this, insn, idx);
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
        return processBpfExit(this);
      } else {
        checkCondJmpOp(this, insn, idx);
        return 'next';
      }
    } else if (cls === BPF_LD) {
      const mode = BPF_MODE(insn.code);
      if (mode === BPF_ABS || mode === BPF_IND) {
        checkLdAbs(this, insn);
      } else if (mode === BPF_IMM) {
        checkLdImm(this, insn, idx);
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

  checkReg(regno: number, t: 'src'): void {
    this.checkRegArg(regno, t);
  }

  /**
   * save_aux_ptr_type: the pointer type a load/store's memory operand had, the same on every
   * path. BTF pointers of different trust on a load merge to untrusted (so the fixups emit
   * BPF_PROBE_MEM); ctx-like types must match exactly.
   */
  saveAuxPtrType(
    idx: number,
    type: RegState['type'],
    regFlags: readonly string[],
    allowTrustMismatch: boolean,
  ): void {
    const aux = this.env.aux[idx]!;
    const t: InsnAuxData['ptrType'] =
      type === 'PTR_TO_CTX' ? 'PTR_TO_CTX' : type === 'PTR_TO_BTF_ID' ? 'PTR_TO_BTF_ID' : 'OTHER';
    const flags = t === 'PTR_TO_BTF_ID' ? regFlags : undefined;
    if (aux.ptrType === undefined) {
      aux.ptrType = t;
      if (flags) aux.ptrFlags = flags;
      return;
    }
    if (aux.ptrType !== t && (aux.ptrType === 'PTR_TO_CTX' || t === 'PTR_TO_CTX')) {
      this.fail(EINVAL, 'same insn cannot be used with different pointers');
    }
    if (t === 'PTR_TO_BTF_ID' && aux.ptrType === 'PTR_TO_BTF_ID' && !sameFlags(aux.ptrFlags, flags)) {
      if (!allowTrustMismatch) this.fail(EINVAL, 'same insn cannot be used with different pointers');
      const untrusted = aux.ptrFlags?.includes('untrusted') || flags?.includes('untrusted');
      aux.ptrFlags = untrusted ? ['untrusted'] : [];
    }
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

const sameFlags = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((f) => y.includes(f));
};

export { E2BIG, EACCES, EFAULT, EINVAL, ENOTSUPP, EPERM, VerifierError } from './verifier-error';
export { printRegState, tnumIsAligned as _unusedAligned };
