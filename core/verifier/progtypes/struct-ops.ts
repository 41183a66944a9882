// BPF_PROG_TYPE_STRUCT_OPS: the ctx is the u64 argument array of the ops member the
// program implements, typed by that member's function prototype in BTF
// (btf_ctx_access via bpf_tracing_btf_ctx_access, kernel/bpf/btf.c). What a subsystem adds
// on top comes from its rules (struct-ops-rules.ts).
import type { Btf, BtfFuncProto } from '../../btf/btf';
import { BTF_KIND_NAMES } from '../../btf/kinds';
import { funcProtoOf } from '../../btf/layout';
import type { BtfObject, BtfRegistry } from '../../btf/registry';
import type { BpfAccessType, CtxAccessInfo } from '../ops';

/** MAX_BPF_FUNC_ARGS. */
export const MAX_BPF_FUNC_ARGS = 12;

export interface StructOpsAttach {
  struct: string;
  member: string | null;
  memberIndex?: number;
}

/** The member a struct_ops program implements, resolved in BTF. */
export interface StructOpsMember {
  obj: BtfObject;
  structId: number;
  name: string;
  index: number;
  /** Byte offset of the member (prog->aux->attach_st_ops_member_off). */
  offset: number;
  /** The member's function prototype (prog->aux->attach_func_proto), or undefined for data members. */
  proto: BtfFuncProto | undefined;
}

export class StructOpsAttachError extends Error {}

/** Resolves `attach` to the member's BTF (check_struct_ops_btf_id's lookups). */
export function resolveStructOpsMember(btf: BtfRegistry, attach: StructOpsAttach): StructOpsMember {
  const ref = btf.findByName(attach.struct, 'STRUCT');
  if (!ref) throw new StructOpsAttachError(`struct ${attach.struct} is not in BTF`);
  const t = ref.obj.btf.type(ref.id);
  if (t.kind !== 'STRUCT') throw new StructOpsAttachError(`${attach.struct} is not a struct`);
  let index = attach.memberIndex ?? -1;
  if (attach.member !== null && index < 0) index = t.members.findIndex((m) => m.name === attach.member);
  const m = t.members[index];
  if (!m) throw new StructOpsAttachError(`attach to invalid member idx ${index} of struct ${attach.struct}`);
  let proto: BtfFuncProto | undefined;
  try {
    proto = funcProtoOf(ref.obj.btf, m.type);
  } catch {
    proto = undefined;
  }
  return { obj: ref.obj, structId: ref.id, name: m.name, index, offset: m.bitOffset / 8, proto };
}

// btf_type_is_modifier in kernel/bpf/btf.c counts typedefs as modifiers too.
const skipMods = (btf: Btf, id: number): number => {
  for (let d = 0; d < 32; d++) {
    const k = btf.kindOf(id);
    if (k !== 8 && k !== 9 && k !== 10 && k !== 11 && k !== 18) return id;
    id = btf.sizeOrTypeOf(id);
  }
  return id;
};

export type VerifierLog = (line: string) => void;

/**
 * bpf_tracing_btf_ctx_access + btf_ctx_access for a struct_ops member. Logs through
 * `log` exactly the lines the kernel prints (e.g. `func 'ssthresh' arg0 has btf_id …`).
 */
export function btfCtxAccess(
  member: StructOpsMember,
  off: number,
  size: number,
  type: BpfAccessType,
  log: VerifierLog = () => {},
  nullableArgs: readonly number[] = [],
): CtxAccessInfo | undefined {
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS) return undefined;
  if (type !== 'read') return undefined;
  if (off % size !== 0) return undefined;
  const tname = member.name;
  if (off % 8) {
    log(`func '${tname}' offset ${off} is not multiple of 8`);
    return undefined;
  }
  const btf = member.obj.btf;
  const arg = off / 8;
  const t = member.proto;
  const nrArgs = t ? t.params.length : 5;
  if (arg >= nrArgs) {
    log(`func '${tname}' doesn't have ${arg + 1}-th argument`);
    return undefined;
  }
  if (!t) return { regType: 'SCALAR_VALUE' };
  let id = skipMods(btf, t.params[arg]!.type);
  const k = btf.kindOf(id);
  if ((k === 1 && btf.sizeOrTypeOf(id) <= 8) || k === 6 || k === 19 || k === 4 || k === 5)
    return { regType: 'SCALAR_VALUE' };
  if (k !== 2) {
    log(
      `func '${tname}' arg${arg} '${btf.nameOf(id)}' has type ${BTF_KIND_NAMES[k]}. Only pointer access is allowed`,
    );
    return undefined;
  }
  if (size !== 8) {
    log(`func '${tname}' size ${size} must be 8`);
    return undefined;
  }
  // Struct_ops arguments are trusted (prog_args_trusted).
  let btfId = btf.sizeOrTypeOf(id);
  id = btfId;
  for (let d = 0; d < 32; d++) {
    const kk = btf.kindOf(id);
    if (kk !== 8 && kk !== 9 && kk !== 10 && kk !== 11 && kk !== 18) break;
    btfId = btf.sizeOrTypeOf(id);
    id = btfId;
  }
  const pk = id === 0 ? 0 : btf.kindOf(id);
  if (pk !== 4 && pk !== 5) {
    log(`func '${tname}' arg${arg} type ${BTF_KIND_NAMES[pk]} is not a struct`);
    return undefined;
  }
  log(`func '${tname}' arg${arg} has btf_id ${btfId} type ${BTF_KIND_NAMES[pk]} '${btf.nameOf(id)}'`);
  const info: CtxAccessInfo = { regType: 'PTR_TO_BTF_ID', btfId, trusted: true };
  if (nullableArgs.includes(arg)) info.maybeNull = true;
  return info;
}

/** Whether the member returns void (then r0 need not be set at exit). */
export const memberReturnsVoid = (member: StructOpsMember): boolean =>
  !member.proto || member.proto.ret === 0;
