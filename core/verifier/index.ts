// bpf_check(): the verifier driver. Load checks, do_check, stack depth, then the fixup passes
// (core/verifier/fixups) and the xlated dump, with the log in the kernel's format.
import type { Btf } from '../btf/btf';
import type { BtfRegistry } from '../btf/registry';
import type { Insn } from '../isa/insn';
import { BPF_CALL, BPF_CMPXCHG, BPF_JMP, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL } from '../isa/opcodes';
import { type AddressSpace, x86_64AddressSpace } from '../kernel/address-space';
import type { KernelProfile } from '../kernel/profiles';
import { REFERENCE_STRUCT_OPS } from '../kernel/struct-ops-rules';
import {
  BTF_FUNC_GLOBAL,
  type BtfFuncInfo,
  checkBtfFunc,
  type FuncAux,
  type ProgBtf,
  prepareFuncArgs,
  returnsScalar,
} from './btf-func';
import type { VerifierObserver } from './debug/observer';
import {
  type DoCheckStats,
  E2BIG,
  EINVAL,
  type KfuncEnv,
  type MapDef,
  type SubprogInfo,
  Verifier,
  VerifierError,
} from './do-check';
import { bpfInsnPrepareDump, type FixupOutput, runFixups } from './fixups/index';
import type { KfuncResolver } from './fixups/kfunc';
import { patchInsnData } from './fixups/patch';
import { vmlinuxKfuncEnv } from './kfunc-sets';
import {
  checkAbnormalReturn,
  checkCfg,
  checkSubprogs,
  computeLiveRegisters,
  resolvePseudoLdimm64,
} from './load-checks';
import { VerifierLog } from './log';
import type { BpfAccessType, CtxAccessInfo, InsnAuxData } from './ops';
import type { VerifierProgressSink } from './progress';
import { BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS } from './progtypes/cgroup-skb';
import {
  type BpfStructOps,
  type ProgTypeName,
  resolveStructOpsMember,
  type StructOpsMember,
  verifierOpsFor,
} from './progtypes/index';
import { structOpsFromRules } from './progtypes/struct-ops-rules';

export type { BtfFuncInfo, ProgBtf } from './btf-func';
export type { MapDef, SubprogInfo } from './do-check';
export { VerifierError } from './do-check';
export {
  PROGRESS_EVERY_INSNS,
  type VerifierProgress,
  type VerifierProgressSink,
} from './progress';

export interface LoadAttr {
  insns: Insn[];
  progType: ProgTypeName;
  attach?: { struct: string; member: string | null; memberIndex?: number } | null;
  maps?: MapDef[];
  logLevel?: 0 | 1 | 2;
  profile?: string;
  /**
   * The struct_ops subsystem of the attach target (check_member, verifier_ops, stub
   * annotations, kfunc filters). Default: the one the kernel registers for that struct.
   */
  structOps?: BpfStructOps;
  /** BPF_F_SLEEPABLE. */
  sleepable?: boolean;
  /** The load passes BTF func_info (an object's .BTF.ext); raw loads do not. */
  btfFuncInfo?: boolean;
  /** Program BTF and func_info (an object's .BTF and .BTF.ext as libbpf sends them); implies btfFuncInfo. */
  progBtf?: ProgBtf;
  /** BPF_PROG_LOAD's expected_attach_type (cgroup_skb: 0 ingress, 1 egress); default 0. */
  expectedAttachType?: number;
  /** Kfuncs of a model (module BTF via fd_array); without it only the built-in sets apply. */
  kfuncs?: LoadKfuncs;
  /** A model's own is_valid_access / btf_struct_access rules, layered on the program type's. */
  ctxAccess?: CtxAccessRules;
  /** A debugger watching do_check (core/verifier/debug). */
  observer?: VerifierObserver;
}

export interface CtxAccessRules {
  /** `base` is the program type's own answer (btf_ctx_access for struct_ops). */
  isValidAccess?(
    off: number,
    size: number,
    type: BpfAccessType,
    base: () => CtxAccessInfo | undefined,
  ): CtxAccessInfo | undefined;
  /** Writes through PTR_TO_BTF_ID: null = allowed, else the log line. */
  btfStructAccess?(btfId: number, off: number, size: number): string | null;
  /** Args the program receives referenced (CFI stub `__ref`): released before exit. */
  refcountedArgs?: readonly number[];
}

/**
 * The kfuncs a load may call. `btf` resolves every id the program uses (a module's split
 * BTF covers vmlinux ids too); `btfFor(off)` is the BTF object insn.off names (0 = vmlinux,
 * else an fd_array index), so a call naming the wrong object is refused as the kernel does.
 */
export interface LoadKfuncs {
  btf: Btf;
  btfFor(off: number): Btf | undefined;
  /** btf_kfunc_id_set_contains for the program's hook. */
  allowed(name: string): boolean;
  flags(name: string): number;
  /** fixup_kfunc_call's (btf id, off) → symbol. */
  resolver: KfuncResolver;
}

export interface XlatedCall {
  insn: number;
  kind: 'helper' | 'kfunc' | 'subprog' | 'tail_call';
  symbol: string | null;
}

export interface VerifyResult {
  verdict: 'accept' | 'reject';
  errno: number;
  /** The kernel's reason line: the last log line before the statistics line. */
  error: string | null;
  log: string;
  processedInsns: number | null;
  xlated: Insn[] | null;
  xlatedCalls: XlatedCall[];
  subprogs: { start: number; stackDepth: number }[];
  stats: DoCheckStats;
  /** The fixed-up program with its kfunc descriptors (accepted loads), for the JIT and interpreter. */
  fixups?: FixupOutput;
  /**
   * adjust_btf_func: the load's func_info with each record at its function's start in the
   * patched program (a prologue moves them), as bpf_prog_info reports it. Loads with program BTF.
   */
  funcInfo?: BtfFuncInfo[];
}

export interface VerifyEnv {
  btf: BtfRegistry;
  addressSpace?: AddressSpace;
  /** Kernel build the load runs against (default: the reference profile). */
  profile?: KernelProfile;
  /** Told how far do_check is while it runs (core/verifier/progress.ts); a report that throws ends the call with that error. */
  progress?: VerifierProgressSink;
}

/** The reason line of a verifier log: the last line before the statistics line. */
export function reasonLine(log: string): string | null {
  const lines = log.split('\n');
  let stats = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes('processed ') && lines[i]!.includes(' insns (limit ')) {
      stats = i;
      break;
    }
  }
  if (stats < 0) return lines.filter((l) => l.trim()).pop() ?? null;
  const statLine = lines[stats]!;
  const k = statLine.indexOf('processed ');
  if (k > 0) return statLine.slice(0, k).replace(/\s+/g, ' ').trim();
  for (let i = stats - 1; i >= 0; i--) if (lines[i]!.trim()) return lines[i]!.replace(/\s+/g, ' ').trim();
  return null;
}

const statsLine = (s: DoCheckStats): string =>
  `processed ${s.insnProcessed} insns (limit 1000000) max_states_per_insn ${s.maxStatesPerInsn} total_states ${s.totalStates} peak_states ${s.peakStates} mark_read 0\n`;

function emptyProgramResult(): VerifyResult {
  const stats = {
    insnProcessed: 0,
    totalStates: 0,
    peakStates: 0,
    maxStatesPerInsn: 0,
    seenDirectWrite: false,
  };
  return {
    verdict: 'reject',
    errno: E2BIG,
    error: 'bpf_prog_load: the program has no instructions (insn_cnt 0)',
    log: '',
    processedInsns: 0,
    xlated: null,
    xlatedCalls: [],
    subprogs: [],
    stats,
  };
}

/** bpf_check for one load. Never throws for a bad program: the verdict says it. */
export function bpfCheck(attr: LoadAttr, env: VerifyEnv): VerifyResult {
  const insns = attr.insns;
  // bpf_prog_load refuses insn_cnt 0 with E2BIG before bpf_check runs, so there is no log.
  if (insns.length === 0) return emptyProgramResult();
  // bpf_prog_load_check_attach refuses a bad attach type before the verifier runs: no log.
  if (!expectedAttachTypeOk(attr))
    return { ...emptyProgramResult(), errno: EINVAL, error: null, processedInsns: null };
  const maps = attr.maps ?? [];
  const level = attr.logLevel ?? 1;
  const log = new VerifierLog(level);
  const aux: InsnAuxData[] = insns.map(() => ({ seen: false }));
  const as = env.addressSpace ?? x86_64AddressSpace();
  const vmBtf = env.btf.vmlinux.btf;
  let stats: DoCheckStats = {
    insnProcessed: 0,
    totalStates: 0,
    peakStates: 0,
    maxStatesPerInsn: 0,
    seenDirectWrite: false,
  };
  let subprogs: SubprogInfo[] = [{ start: 0, stackDepth: 0, hasTailCall: false, hasLdAbs: false }];
  let stOps: BpfStructOps | undefined;
  let member: StructOpsMember | undefined;
  const reject = (errno: number): VerifyResult => {
    {
      const t = log.tail(16);
      if (t && !t.endsWith('\n') && !t.endsWith('tail call')) log.write('\n');
    }
    log.write(statsLine(stats));
    return {
      verdict: 'reject',
      errno,
      error: reasonLine(log.text),
      log: log.text,
      processedInsns: stats.insnProcessed,
      xlated: null,
      xlatedCalls: [],
      subprogs: subprogs.map((s) => ({ start: s.start, stackDepth: s.stackDepth })),
      stats,
    };
  };
  // check_subprogs at log level 2 lists where each function starts.
  const listFuncs = level >= 2 ? (line: string) => log.write(`${line}\n`) : undefined;
  try {
    if (attr.kfuncs) {
      // add_kfunc_call with an fd_array: resolve each call in the BTF object its off names.
      checkKfuncBtfObjects(insns, attr.kfuncs);
      const k = attr.kfuncs;
      subprogs = checkSubprogs(
        insns.map((x) =>
          x.src === BPF_PSEUDO_KFUNC_CALL && x.code === (BPF_JMP | BPF_CALL) ? { ...x, off: 0 } : x,
        ),
        k.btf,
        listFuncs,
      );
    } else subprogs = checkSubprogs(insns, vmBtf, listFuncs);
    // check_btf_info: with func_info each subprogram is a BTF FUNC; without, no abnormal returns.
    const funcs = attr.progBtf
      ? checkBtfFunc(
          attr.progBtf,
          subprogs.map((s) => s.start),
        )
      : undefined;
    if (funcs) checkIntReturns(attr.progBtf!.btf, funcs, subprogs);
    else if (!attr.btfFuncInfo) checkAbnormalReturn(subprogs);
    checkAttachSleepable(attr.progType, !!attr.sleepable);
    // check_struct_ops_btf_id
    if (attr.progType === 'struct_ops') {
      const a = attr.attach;
      if (!a) throw new VerifierError(EINVAL, 'struct_ops program without attach target');
      const st = env.btf.findByName(a.struct, 'STRUCT');
      const t = st ? st.obj.btf.type(st.id) : undefined;
      if (t?.kind !== 'STRUCT') throw new VerifierError(524, `struct ${a.struct} is not supported`);
      const idx = a.memberIndex ?? t.members.findIndex((m) => m.name === a.member);
      const m = t.members[idx];
      if (!m) throw new VerifierError(EINVAL, `attach to invalid member idx ${idx} of struct ${a.struct}`);
      let isFn = false;
      try {
        const pt = st!.obj.btf.type(m.type);
        isFn = pt.kind === 'PTR' && st!.obj.btf.type(pt.type).kind === 'FUNC_PROTO';
      } catch {
        isFn = false;
      }
      if (!isFn)
        throw new VerifierError(
          EINVAL,
          `attach to invalid member ${m.name}(@idx ${idx}) of struct ${a.struct}`,
        );
      stOps = attr.structOps ?? registeredStructOps(a.struct, vmBtf);
      member = resolveStructOpsMember(env.btf, { ...a, memberIndex: idx });
      const err = stOps?.checkMember?.(member, { sleepable: !!attr.sleepable }) ?? 0;
      if (err) throw new VerifierError(-err, `attach to unsupported member ${m.name} of struct ${a.struct}`);
    }
    resolvePseudoLdimm64(insns, maps, aux, vmBtf);
    const cfg = checkCfg(insns);
    const ops = verifierOpsFor(attr.progType, {
      btf: env.btf,
      attach: attr.attach ?? null,
      log: (l) => log.write(`${l}\n`),
      ...(stOps ? { structOps: stOps } : {}),
      ...(env.profile ? { profile: env.profile } : {}),
      ...(env.addressSpace ? { addressSpace: as } : {}),
      ...(attr.expectedAttachType !== undefined ? { expectedAttachType: attr.expectedAttachType } : {}),
    });
    const ca = attr.ctxAccess;
    if (ca?.isValidAccess) {
      const own = ca.isValidAccess;
      const base = ops.isValidAccess;
      ops.isValidAccess = (off, size, type, opts) => own(off, size, type, () => base(off, size, type, opts));
    }
    if (ca?.btfStructAccess) Object.assign(ops, { btfStructAccess: ca.btfStructAccess });
    const kfBtf = attr.kfuncs?.btf ?? vmBtf;
    const kfuncArgs = (id: number): number => {
      try {
        const f = kfBtf.type(id);
        if (f.kind !== 'FUNC') return 5;
        const p = kfBtf.type(f.type);
        return p.kind === 'FUNC_PROTO' ? p.params.length : 5;
      } catch {
        return 5;
      }
    };
    // get_call_summary: a helper the program type may not call counts as reading r1-r5.
    const helperArgs = (id: number): number => ops.getFuncProto(id)?.args.length ?? 5;
    const liveIn = computeLiveRegisters(insns, helperArgs, kfuncArgs);
    markChangesPktData(insns, subprogs, (id) => !!ops.getFuncProto(id)?.changesPktData);
    const refcounted = [
      ...(attr.ctxAccess?.refcountedArgs ?? []),
      ...(member ? (stOps?.refcountedArgs?.(member) ?? []) : []),
    ];
    const v = new Verifier({
      insns,
      ops,
      progType: attr.progType,
      maps,
      subprogs,
      aux,
      log,
      btf: attr.kfuncs ? typesView(env.btf, attr.kfuncs.btf) : env.btf,
      kfunc: filteredKfuncs(
        attr.kfuncs
          ? { btf: attr.kfuncs.btf, allowed: attr.kfuncs.allowed, flags: attr.kfuncs.flags }
          : vmlinuxKfuncEnv(env.btf, attr.progType),
        stOps,
        member,
      ),
      liveIn,
      ...(refcounted.length ? { refcountedCtxArgs: refcounted } : {}),
      ...(attr.sleepable ? { sleepable: true } : {}),
      ...(attr.observer ? { observer: attr.observer } : {}),
      ...(env.progress ? { progress: env.progress } : {}),
      pruneP: cfg.pruneP,
      jmpP: cfg.jmpP,
      forceCkpt: cfg.forceCkpt,
      ...(funcs ? { funcs, progBtf: attr.progBtf!.btf } : {}),
    });
    let safeLine = false;
    try {
      v.run();
      if (funcs) safeLine = doCheckSubprogs(v, funcs, attr.progBtf!.btf, attr.progType, log);
    } finally {
      stats = v.stats();
    }
    // A level-1 log keeps nothing of a walk that ended well: what later checks print stands alone.
    if (level === 1 && !safeLine) log.text = '';
    // check_max_stack_depth: frames on a call chain share the 512-byte stack.
    checkMaxStackDepth(insns, subprogs);
    const fx = runFixups({
      insns,
      aux,
      subprogs: subprogs.map((s) => ({ start: s.start, stackDepth: s.stackDepth })),
      ops,
      progType: attr.progType,
      seenDirectWrite: stats.seenDirectWrite,
      maps,
      btf: env.btf,
      addressSpace: as,
      ...(env.profile ? { profile: env.profile } : {}),
      ...(attr.kfuncs ? { kfuncResolver: attr.kfuncs.resolver } : {}),
    });
    zextCmpxchg(fx);
    const starts = fx.subprogs.map((s) => s.start);
    const xlated = bpfInsnPrepareDump(fx.insns, starts);
    const xlatedCalls: XlatedCall[] = [];
    for (let i = 0; i < xlated.length; i++) {
      const x = xlated[i]!;
      if (x.code === 0x18) {
        i++;
        continue;
      }
      if (x.code !== (BPF_JMP | BPF_CALL)) continue;
      const orig = fx.insns[i]!;
      if (orig.code !== (BPF_JMP | BPF_CALL)) xlatedCalls.push({ insn: i, kind: 'tail_call', symbol: null });
      else if (x.src === BPF_PSEUDO_CALL)
        xlatedCalls.push({ insn: i, kind: 'subprog', symbol: `func#${x.imm}` });
      else {
        const sym = as.symbolForImm(x.imm);
        const kind =
          x.src === BPF_PSEUDO_KFUNC_CALL || fx.kfuncDescs.some((d) => d.imm === x.imm) ? 'kfunc' : 'helper';
        xlatedCalls.push({ insn: i, kind, symbol: sym ? sym.name : null });
      }
    }
    if (level === 1 && !safeLine) log.text = '';
    log.write(statsLine(stats));
    return {
      verdict: 'accept',
      errno: 0,
      error: null,
      log: log.text,
      processedInsns: stats.insnProcessed,
      xlated,
      xlatedCalls,
      subprogs: fx.subprogs.map((s) => ({ start: s.start, stackDepth: s.stackDepth })),
      stats,
      fixups: fx,
      ...(attr.progBtf
        ? {
            funcInfo: attr.progBtf.funcInfo.map((r, i) => ({
              insnOff: fx.subprogs[i]!.start,
              typeId: r.typeId,
            })),
          }
        : {}),
    };
  } catch (e) {
    if (e instanceof VerifierError) {
      if (!e.logged) log.write(`${e.message}\n`);
      return reject(e.errno);
    }
    const err = e as { errno?: number; message?: string };
    if (err && typeof err.errno === 'number') {
      log.write(`${err.message}\n`);
      return reject(err.errno);
    }
    if (err && err.constructor?.name === 'StructOpsAttachError') {
      log.write(`${err.message}\n`);
      return reject(EINVAL);
    }
    throw e;
  }
}

/**
 * do_check_subprogs: every global function a verified path called, each on its own, until
 * no new one is called. At level 1 each success resets the log, as the kernel does, so the
 * last one's "safe" line is what remains. Returns whether such a line was written.
 */
function doCheckSubprogs(
  v: Verifier,
  funcs: FuncAux[],
  btf: Btf,
  progType: ProgTypeName,
  log: VerifierLog,
): boolean {
  if (log.level === 1) log.text = '';
  let wrote = false;
  for (let again = true; again; ) {
    again = false;
    for (let i = 1; i < funcs.length; i++) {
      const fa = funcs[i]!;
      if (fa.linkage !== BTF_FUNC_GLOBAL || !fa.called || fa.verified) continue;
      const args = prepareFuncArgs(btf, fa, progType, (l) => log.write(`${l}\n`), v.env.btf?.vmlinux.btf)!;
      v.runSubprog(i, args);
      if (log.level === 1) log.text = '';
      log.write(`Func#${i} ('${fa.name}') is safe for any args that match its prototype\n`);
      wrote = true;
      fa.verified = true;
      again = true;
    }
  }
  return wrote && log.enabled;
}

/** check_btf_func: LD_ABS and tail calls may end a subprogram only if it returns int. */
function checkIntReturns(btf: Btf, funcs: readonly FuncAux[], subprogs: readonly SubprogInfo[]): void {
  for (let i = 1; i < subprogs.length; i++) {
    if (returnsScalar(btf, funcs[i]!.typeId)) continue;
    if (subprogs[i]!.hasLdAbs)
      throw new VerifierError(EINVAL, "LD_ABS is only allowed in functions that return 'int'.");
    if (subprogs[i]!.hasTailCall)
      throw new VerifierError(EINVAL, "BPF_CALL is only allowed in functions that return 'int'.");
  }
}

/** The subprograms that change packet data themselves or through a function they call. */
function markChangesPktData(
  insns: readonly Insn[],
  subprogs: SubprogInfo[],
  changes: (helperId: number) => boolean,
): void {
  const at = (insn: number) => {
    let k = 0;
    while (k + 1 < subprogs.length && subprogs[k + 1]!.start <= insn) k++;
    return k;
  };
  const calls: [number, number][] = [];
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i]!;
    if (x.code !== (BPF_JMP | BPF_CALL)) continue;
    if (x.src === 0 && changes(x.imm)) subprogs[at(i)]!.changesPktData = true;
    if (x.src === BPF_PSEUDO_CALL) calls.push([at(i), at(i + x.imm + 1)]);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, to] of calls)
      if (subprogs[to]!.changesPktData && !subprogs[from]!.changesPktData) {
        subprogs[from]!.changesPktData = true;
        changed = true;
      }
  }
}

/** bpf_prog_load_check_attach: the attach types a program type may be loaded for. */
function expectedAttachTypeOk(attr: LoadAttr): boolean {
  const t = attr.expectedAttachType ?? 0;
  if (attr.progType === 'cgroup_skb') return t === BPF_CGROUP_INET_INGRESS || t === BPF_CGROUP_INET_EGRESS;
  return true;
}

/** check_attach_btf_id's sleepable rules: syscall programs must sleep, most other types may not. */
function checkAttachSleepable(progType: ProgTypeName, sleepable: boolean): void {
  if (progType === 'syscall') {
    if (!sleepable) throw new VerifierError(EINVAL, 'Syscall programs can only be sleepable');
    return;
  }
  // can_be_sleepable: of the modelled types only kprobe (for uprobes) and struct_ops.
  if (sleepable && progType !== 'kprobe' && progType !== 'struct_ops')
    throw new VerifierError(
      EINVAL,
      'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable',
    );
}

/** bpf_struct_ops_find: the subsystem the reference kernel registers for a struct_ops type. */
function registeredStructOps(struct: string, vmlinux: Btf): BpfStructOps | undefined {
  const rules = REFERENCE_STRUCT_OPS.find((r) => r.name === struct);
  return rules ? structOpsFromRules(rules, vmlinux) : undefined;
}

/** btf_kfunc_id_set_contains with the subsystem's filter for the attached member applied. */
function filteredKfuncs(
  k: KfuncEnv,
  stOps: BpfStructOps | undefined,
  member: StructOpsMember | undefined,
): KfuncEnv {
  const allows = stOps?.kfuncAllowed;
  if (!allows || !member) return k;
  return { ...k, allowed: (name, id) => k.allowed(name, id) && allows(member, name) };
}

/**
 * do_check walks PTR_TO_BTF_ID types in vmlinux BTF (reg->btf is not tracked); a model's
 * split BTF resolves vmlinux ids unchanged plus the model's own, so it stands in there.
 */
function typesView(reg: BtfRegistry, types: Btf): BtfRegistry {
  if (types === reg.vmlinux.btf) return reg;
  const vm = { ...reg.vmlinux, btf: types };
  return new Proxy(reg, {
    get: (t, p, r) => (p === 'vmlinux' ? vm : Reflect.get(t, p, r)),
  });
}

/** add_kfunc_call's BTF object lookup: insn.off picks vmlinux (0) or an fd_array module BTF. */
function checkKfuncBtfObjects(insns: readonly Insn[], kf: LoadKfuncs): void {
  for (const x of insns) {
    if (x.code !== (BPF_JMP | BPF_CALL) || x.src !== BPF_PSEUDO_KFUNC_CALL) continue;
    if (x.off < 0)
      throw new VerifierError(EINVAL, 'negative offset disallowed for kernel module function call');
    const b = kf.btfFor(x.off);
    if (!b) throw new VerifierError(EINVAL, 'invalid module BTF fd specified');
    let fn = false;
    try {
      fn = b.hasType(x.imm) && b.kindNameOf(x.imm) === 'FUNC';
    } catch {
      fn = false;
    }
    if (!fn) throw new VerifierError(EINVAL, `kernel btf_id ${x.imm} is not a function`);
  }
}

/** opt_subreg_zext_lo32_rnd_hi32 as x86 needs it: only a 32-bit cmpxchg whose r0 is read whole. */
function zextCmpxchg(fx: {
  insns: Insn[];
  aux: InsnAuxData[];
  subprogs: { start: number; stackDepth: number }[];
}): void {
  for (let i = 0; i < fx.insns.length; i++) {
    const x = fx.insns[i]!;
    const aux = fx.aux[i] as InsnAuxData & { zextDst?: boolean };
    if (x.code !== 0xc3 || x.imm !== BPF_CMPXCHG || !aux?.zextDst) continue;
    const zext: Insn = { code: 0xbc, dst: 0, src: 0, off: 0, imm: 1 };
    patchInsnData(fx, i, [x, zext]);
    i++;
  }
}

function checkMaxStackDepth(insns: readonly Insn[], subprogs: SubprogInfo[]): void {
  const idxOf = (start: number) => subprogs.findIndex((s) => s.start === start);
  const round = (d: number) => Math.ceil(Math.max(d, 1) / 32) * 32;
  const visit = (sp: number, depth: number, frames: number): void => {
    const total = depth + round(subprogs[sp]!.stackDepth);
    if (total > 512)
      throw new VerifierError(13, `combined stack size of ${frames} calls is ${total}. Too large`);
    const end = subprogs[sp + 1]?.start ?? insns.length;
    for (let i = subprogs[sp]!.start; i < end; i++) {
      const x = insns[i]!;
      if (x.code === (BPF_JMP | BPF_CALL) && x.src === BPF_PSEUDO_CALL) {
        const t = idxOf(i + x.imm + 1);
        if (t >= 0 && frames < 9) visit(t, total, frames + 1);
      }
    }
  };
  visit(0, 0, 1);
}
