// The contract between the verifier proper (do_check, load checks, log) and
// what each program type supplies, as struct bpf_verifier_ops does in the
// kernel. Keep changes additive: two parts of the code base build on it.
import type { Insn } from '../isa/insn';

export type BpfAccessType = 'read' | 'write';

/** enum bpf_arg_type, the subset the modeled helpers use (names as in include/linux/bpf.h). */
export type BpfArgType =
  | 'ARG_DONTCARE'
  | 'ARG_ANYTHING'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_PTR_TO_MEM_RDONLY'
  | 'ARG_PTR_TO_UNINIT_MEM'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_LONG'
  | 'ARG_PTR_TO_INT'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK_OR_NULL'
  | 'ARG_PTR_TO_CTX_OR_NULL';

export type BpfReturnType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_MEM_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  /** RET_PTR_TO_BTF_ID_TRUSTED: a trusted pointer to the proto's ret_btf_id struct. */
  | 'RET_PTR_TO_BTF_ID_TRUSTED';

/** struct bpf_func_proto: one helper as the verifier sees it. */
export interface BpfFuncProto {
  id: number; // enum bpf_func_id
  name: string; // bpf_<name> as the log prints it, e.g. "bpf_map_lookup_elem"
  /** Kernel symbol the call resolves to (xlated imm = symbol − __bpf_call_base). */
  symbol: string;
  gplOnly: boolean;
  ret: BpfReturnType;
  args: BpfArgType[]; // up to 5, trailing ARG_DONTCARE omitted
  /** Arg flags like MEM_RDONLY / MEM_UNINIT / PTR_MAYBE_NULL when they matter. */
  argFlags?: string[][];
  /** ARG_PTR_TO_BTF_ID arguments' struct (.arg*_btf_id), by argument index. */
  argBtfStruct?: (string | undefined)[];
  /** RET_PTR_TO_BTF_ID_TRUSTED: the struct (.ret_btf_id). */
  retBtfStruct?: string;
  /** Helper writes packet data, so direct packet pointers are invalidated after it. */
  changesPktData?: boolean;
  /** The helper may sleep: only sleepable programs may call it (fn->might_sleep). */
  mightSleep?: boolean;
}

/** What is_valid_access tells the verifier about a ctx access that is allowed. */
export interface CtxAccessInfo {
  /** Type of the register after a ctx load (e.g. PTR_TO_PACKET for skb->data). */
  regType:
    | 'SCALAR_VALUE'
    | 'PTR_TO_PACKET'
    | 'PTR_TO_PACKET_META'
    | 'PTR_TO_PACKET_END'
    | 'PTR_TO_BTF_ID'
    | 'PTR_TO_SOCK_COMMON'
    | 'PTR_TO_SOCKET_OR_NULL'
    | 'PTR_TO_SOCK_COMMON_OR_NULL';
  /** Narrow loads: the field's full size, recorded in insn aux as ctx_field_size. */
  ctxFieldSize?: number;
  /** For PTR_TO_BTF_ID results (struct_ops args): BTF id of the pointee and trust flags. */
  btfId?: number;
  trusted?: boolean;
  maybeNull?: boolean;
}

export interface CtxAccessOpts {
  isLdsx?: boolean;
}

export interface BpfVerifierOps {
  getFuncProto(funcId: number): BpfFuncProto | undefined;
  /**
   * undefined = access denied (the verifier logs `invalid bpf_context access off=… size=…`).
   * `opts.isLdsx`: the access is a sign-extending load (bpf_insn_access_aux.is_ldsx).
   */
  isValidAccess(
    off: number,
    size: number,
    type: BpfAccessType,
    opts?: CtxAccessOpts,
  ): CtxAccessInfo | undefined;
  /** Rewrites one ctx load/store (convert_ctx_access); returns the replacement insns. */
  convertCtxAccess?(type: BpfAccessType, insn: Insn, ctxFieldSize: number): Insn[];
  /**
   * gen_prologue. When `insn0` (the program's current first insn) is passed, a non-empty
   * result ends with a copy of it, as the kernel's hooks write `prog->insnsi[0]` last.
   */
  genPrologue?(directWrite: boolean, insn0?: Insn): Insn[];
  /** v6.12+: insns appended at every main-program exit. */
  genEpilogue?(ctxStackOff: number): Insn[];
  /** gen_ld_abs: the replacement of a legacy BPF_LD | BPF_ABS/BPF_IND (ctx is in r6). */
  genLdAbs?(insn: Insn): Insn[];
}

/** struct bpf_insn_aux_data, the part fixups read. */
export interface InsnAuxData {
  seen: boolean;
  /** A bpf_loop call (loop_inline_state): inlinable while every visit had flags 0 and one callback. */
  loopInline?: { fit: boolean; subprogno: number };
  /** For ctx loads/stores: which pointer type the memory operand had (PTR_TO_CTX → convert). */
  ptrType?: 'PTR_TO_CTX' | 'PTR_TO_BTF_ID' | 'PTR_TO_SOCKET' | 'PTR_TO_SOCK_COMMON' | 'OTHER';
  /**
   * The modifier flags that came with PTR_TO_BTF_ID (RegState.flags): convert_ctx_accesses
   * turns only plain and untrusted BTF pointer loads into BPF_PROBE_MEM, never trusted or
   * RCU ones. Paths that disagree merge to untrusted (save_aux_ptr_type).
   */
  ptrFlags?: readonly string[];
  ctxFieldSize?: number;
  /** For map ld_imm64 and helper calls on maps: the map index into `maps`. */
  mapIndex?: number;
  /** Jump whose direction is known at verification time (opt_hard_wire_dead_code_branches). */
  alwaysTaken?: boolean;
  neverTaken?: boolean;
  /** Calls emitted by trusted generated code: imm already final (bpf-next 2026). */
  finalizedCall?: boolean;
  /** Tail calls: the key as a known constant (bpf_map_key_immediate), or undefined when it varies. */
  mapKeyConst?: number;
  /** Helper calls on maps: different maps reached this call (bpf_map_ptr_poisoned). */
  mapPtrPoisoned?: boolean;
  /** zext_dst: the insn's 32-bit result is later read as 64 bits (mark_insn_zext). */
  zextDst?: boolean;
  /** Set by the fixups on insns they generated: which rewrite produced the insn. */
  origin?: FixupOrigin;
}

/** Provenance of an insn the fixups generated (for listings and the design comparison). */
export type FixupOrigin =
  | 'prologue'
  | 'epilogue'
  | 'ctx-save'
  | 'epilogue-jump'
  | 'ctx-access'
  | 'ld-abs'
  | 'div-guard'
  | 'map-inline'
  | 'helper-inline'
  | 'may-goto'
  | 'zext';
