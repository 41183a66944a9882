// struct bpf_verifier_ops per program type (sk_filter_verifier_ops,
// tc_cls_act_verifier_ops, xdp_verifier_ops, and a struct_ops type's own ops), built
// for one program: the ops carry per-program state the kernel keeps in struct bpf_prog
// (tstamp_type_access) and the struct_ops member being implemented.
import type { BtfRegistry } from '../../btf/registry';
import type { Insn } from '../../isa/insn';
import { type AddressSpace, x86_64AddressSpace } from '../../kernel/address-space';
import { type KernelProfile, REFERENCE_PROFILE } from '../../kernel/profiles';
import type { BpfAccessType, BpfFuncProto, BpfVerifierOps, CtxAccessInfo, CtxAccessOpts } from '../ops';
import { cgSkbIsValidAccess, cgSkbRetRange } from './cgroup-skb';
import {
  bpfBaseFuncProto,
  cgSkbFuncProto,
  type FuncProtoFn,
  kprobeFuncProto,
  rawTracepointFuncProto,
  skFilterFuncProto,
  syscallFuncProto,
  tcClsActFuncProto,
  tracepointFuncProto,
  xdpFuncProto,
} from './func-protos';
import { kernelLayout } from './layout';
import type { ProgTypeName } from './names';
import { convertWithNarrowing } from './narrow';
import {
  bpfConvertCtxAccess,
  bpfGenLdAbs,
  bpfUnclonePrologue,
  skFilterIsValidAccess,
  TC_ACT_SHOT,
  tcClsActConvertCtxAccess,
  tcClsActIsValidAccess,
} from './skb';
import {
  btfCtxAccess,
  memberReturnsVoid,
  resolveStructOpsMember,
  type StructOpsAttach,
  type StructOpsMember,
  type VerifierLog,
} from './struct-ops';
import {
  kprobeIsValidAccess,
  rawTracepointIsValidAccess,
  syscallIsValidAccess,
  tracepointIsValidAccess,
} from './tracing';
import { xdpConvertCtxAccess, xdpIsValidAccess } from './xdp';

export { PROG_TYPE_NAMES, type ProgTypeName } from './names';

/**
 * A struct_ops subsystem as the verifier sees it: its `struct bpf_struct_ops` (check_member)
 * and `struct bpf_verifier_ops` (is_valid_access, btf_struct_access, get_func_proto,
 * gen_prologue, gen_epilogue), its CFI stubs' argument annotations and its kfunc filters.
 * The verifier asks these and never names a subsystem. Pro/epilogue lists come without the
 * copy of insn 0; the ops append it.
 */
export interface BpfStructOps {
  /** check_member: 0, or the negative errno that refuses the member for this program. */
  checkMember?(member: StructOpsMember, prog: { sleepable: boolean }): number;
  /** is_valid_access; `base` is btf_ctx_access for the member. */
  isValidAccess?(
    member: StructOpsMember,
    off: number,
    size: number,
    type: BpfAccessType,
    base: () => CtxAccessInfo | undefined,
  ): CtxAccessInfo | undefined;
  /** btf_struct_access for writes: null = allowed, else the log line. */
  btfStructAccess?(btfId: number, off: number, size: number): string | null;
  genPrologue?(member: StructOpsMember, directWrite: boolean): Insn[];
  genEpilogue?(member: StructOpsMember, ctxStackOff: number): Insn[];
  /** get_func_proto(func_id, prog): the prog's member may change the answer. */
  getFuncProto?(funcId: number, member: StructOpsMember): BpfFuncProto | undefined;
  /** Argument indices whose CFI-stub names end in __nullable (PTR_MAYBE_NULL). */
  nullableArgs?(member: StructOpsMember): number[];
  /** Argument indices whose CFI-stub names end in __ref: referenced at entry. */
  refcountedArgs?(member: StructOpsMember): number[];
  /** The kfunc id set filter: may a program of `member` call `kfunc`? */
  kfuncAllowed?(member: StructOpsMember, kfunc: string): boolean;
}

/** The name model code used before the hooks grew into the whole struct_ops interface. */
export type StructOpsModelHooks = BpfStructOps;

export interface ProgTypeContext {
  btf: BtfRegistry;
  attach?: StructOpsAttach | null;
  profile?: KernelProfile;
  addressSpace?: AddressSpace;
  /** The struct_ops subsystem implementing the attach target (none: plain btf_ctx_access). */
  structOps?: BpfStructOps;
  /** Where btf_ctx_access writes its log lines (the verifier log). */
  log?: VerifierLog;
  /** MIN_NAPI_ID of the build (NR_CPUS + 1); the reference kernel has NR_CPUS 256. */
  minNapiId?: number;
  /** BPF_PROG_LOAD's expected_attach_type (cgroup_skb: ingress 0, egress 1). */
  expectedAttachType?: number;
}

/** The ops plus what do_check needs from the program type. */
export interface ProgTypeOps extends BpfVerifierOps {
  progType: ProgTypeName;
  /** check_return_code's range for R0 at exit; null = any value. */
  retRange: { min: number; max: number } | null;
  /** R0 need not be initialized at exit (struct_ops members returning void). */
  r0Optional: boolean;
  /** Legacy BPF_LD_ABS/IND are allowed (may_access_skb). */
  mayAccessSkb: boolean;
  /** Direct packet access: read and write (may_access_direct_pkt_data). */
  directPacketRead: boolean;
  directPacketWrite: boolean;
  /** struct_ops: the implemented member. */
  member?: StructOpsMember;
  /** struct_ops programs must be GPL-compatible. */
  gplRequired: boolean;
  /** btf_struct_access for writes through PTR_TO_BTF_ID: null = allowed, else the log line. */
  btfStructAccess?(btfId: number, off: number, size: number): string | null;
}

/** Builds the verifier ops for one program of `progType`. */
export function verifierOpsFor(progType: ProgTypeName, ctx: ProgTypeContext): ProgTypeOps {
  const layout = kernelLayout(ctx.btf);
  const profile = ctx.profile ?? REFERENCE_PROFILE;
  const as = ctx.addressSpace ?? x86_64AddressSpace();
  const minNapiId = ctx.minNapiId ?? 257;
  switch (progType) {
    case 'socket_filter': {
      const convert = (type: BpfAccessType, si: Insn) =>
        bpfConvertCtxAccess({ layout, tstampTypeAccess: () => false, minNapiId }, type, si);
      return {
        progType,
        retRange: null,
        r0Optional: false,
        mayAccessSkb: true,
        directPacketRead: false,
        directPacketWrite: false,
        gplRequired: false,
        getFuncProto: skFilterFuncProto,
        isValidAccess: (off, size, type, opts?: CtxAccessOpts) =>
          skFilterIsValidAccess(layout, off, size, type, opts),
        convertCtxAccess: (type, insn, fs) => convertWithNarrowing(type, insn, fs, convert),
        genPrologue: () => [], // bpf_noop_prologue
        genLdAbs: (insn) => bpfGenLdAbs(insn, as),
      };
    }
    case 'sched_cls': {
      let tstampTypeAccess = false;
      const convert = (type: BpfAccessType, si: Insn) =>
        tcClsActConvertCtxAccess({ layout, tstampTypeAccess: () => tstampTypeAccess, minNapiId }, type, si);
      return {
        progType,
        retRange: null,
        r0Optional: false,
        mayAccessSkb: true,
        directPacketRead: true,
        directPacketWrite: true,
        gplRequired: false,
        getFuncProto: tcClsActFuncProto,
        isValidAccess: (off, size, type, opts?: CtxAccessOpts) =>
          tcClsActIsValidAccess(layout, off, size, type, opts, () => {
            tstampTypeAccess = true;
          }),
        convertCtxAccess: (type, insn, fs) => convertWithNarrowing(type, insn, fs, convert),
        genPrologue: (directWrite, insn0) =>
          bpfUnclonePrologue(layout, directWrite, insn0, TC_ACT_SHOT, profile, as),
        genLdAbs: (insn) => bpfGenLdAbs(insn, as),
      };
    }
    case 'xdp': {
      const convert = (type: BpfAccessType, si: Insn) => xdpConvertCtxAccess(layout, type, si);
      return {
        progType,
        retRange: null,
        r0Optional: false,
        mayAccessSkb: false,
        directPacketRead: true,
        directPacketWrite: true,
        gplRequired: false,
        getFuncProto: xdpFuncProto,
        isValidAccess: (off, size, type, opts?: CtxAccessOpts) =>
          xdpIsValidAccess(layout, off, size, type, opts),
        convertCtxAccess: (type, insn, fs) => convertWithNarrowing(type, insn, fs, convert),
        genPrologue: () => [], // bpf_noop_prologue
      };
    }
    case 'struct_ops':
      return structOpsOps(ctx);
    case 'cgroup_skb': {
      const convert = (type: BpfAccessType, si: Insn) =>
        bpfConvertCtxAccess({ layout, tstampTypeAccess: () => false, minNapiId }, type, si);
      return {
        ...readOnlyCtxOps(progType, cgSkbFuncProto),
        retRange: cgSkbRetRange(ctx.expectedAttachType ?? 0),
        directPacketRead: true,
        isValidAccess: (off, size, type, opts?: CtxAccessOpts) =>
          cgSkbIsValidAccess(layout, off, size, type, opts),
        convertCtxAccess: (type, insn, fs) => convertWithNarrowing(type, insn, fs, convert),
      };
    }
    case 'kprobe':
      return {
        ...readOnlyCtxOps(progType, kprobeFuncProto),
        isValidAccess: (off, size, type) => kprobeIsValidAccess(layout, off, size, type),
      };
    case 'tracepoint':
      return { ...readOnlyCtxOps(progType, tracepointFuncProto), isValidAccess: tracepointIsValidAccess };
    case 'raw_tracepoint':
      return {
        ...readOnlyCtxOps(progType, rawTracepointFuncProto),
        isValidAccess: rawTracepointIsValidAccess,
      };
    case 'syscall':
      return { ...readOnlyCtxOps(progType, syscallFuncProto), isValidAccess: syscallIsValidAccess };
  }
}

/** The ops of a type with no packet access, no return range and no ctx rewrites. */
function readOnlyCtxOps(progType: ProgTypeName, getFuncProto: FuncProtoFn): ProgTypeOps {
  return {
    progType,
    retRange: null,
    r0Optional: false,
    mayAccessSkb: false,
    directPacketRead: false,
    directPacketWrite: false,
    gplRequired: false,
    getFuncProto,
    isValidAccess: () => undefined,
  };
}

function structOpsOps(ctx: ProgTypeContext): ProgTypeOps {
  if (!ctx.attach) throw new Error('struct_ops programs need an attach target (struct and member)');
  const member = resolveStructOpsMember(ctx.btf, ctx.attach);
  const hooks = ctx.structOps;
  const log = ctx.log;
  const nullable = hooks?.nullableArgs?.(member) ?? [];
  const base = (off: number, size: number, type: BpfAccessType) =>
    btfCtxAccess(member, off, size, type, log, nullable);
  const own = hooks?.isValidAccess;
  const isValidAccess = (off: number, size: number, type: BpfAccessType): CtxAccessInfo | undefined =>
    own ? own(member, off, size, type, () => base(off, size, type)) : base(off, size, type);
  const ops: ProgTypeOps = {
    progType: 'struct_ops',
    retRange: null,
    r0Optional: memberReturnsVoid(member),
    mayAccessSkb: false,
    directPacketRead: false,
    directPacketWrite: false,
    gplRequired: true,
    member,
    getFuncProto: hooks?.getFuncProto ? (id) => hooks.getFuncProto!(id, member) : bpfBaseFuncProto,
    isValidAccess,
  };
  if (hooks?.btfStructAccess) ops.btfStructAccess = hooks.btfStructAccess;
  if (hooks?.genPrologue) {
    const gen = hooks.genPrologue;
    ops.genPrologue = (directWrite, insn0) => {
      const body = gen(member, directWrite);
      return body.length && insn0 ? [...body, insn0] : body;
    };
  }
  if (hooks?.genEpilogue) {
    const gen = hooks.genEpilogue;
    ops.genEpilogue = (ctxStackOff) => gen(member, ctxStackOff);
  }
  return ops;
}

export { KernelLayout, kernelLayout } from './layout';
export type { StructOpsAttach, StructOpsMember } from './struct-ops';
export { resolveStructOpsMember } from './struct-ops';
