// struct btf_func_model and btf_distill_func_proto (kernel/bpf/btf.c): the
// argument/return sizes the JIT needs for every kfunc descriptor and
// trampoline, and the reasons a prototype is rejected.
import type { Btf } from './btf';

export const MAX_BPF_FUNC_ARGS = 12;
export const MAX_BPF_FUNC_REG_ARGS = 5;
/** Struct passed by value (arg_flags / ret_flags). */
export const BTF_FMODEL_STRUCT_ARG = 1 << 0;
/** Signed integer (arg_flags / ret_flags). */
export const BTF_FMODEL_SIGNED_ARG = 1 << 1;

/** struct btf_func_model. */
export interface BtfFuncModel {
  retSize: number;
  retFlags: number;
  nrArgs: number;
  argSize: number[];
  argFlags: number[];
}

export type DistillResult = { ok: true; model: BtfFuncModel } | { ok: false; errno: number; log: string };

const EINVAL = 22;

// The kernel's btf_type_is_modifier includes typedefs.
const isModifier = (k: number) => k === 8 || k === 9 || k === 10 || k === 11 || k === 18;

/** __get_type_size: size in bytes, or -EINVAL, and the type after modifiers/typedefs (0 for void). */
function getTypeSize(btf: Btf, id: number): { size: number; t: number } {
  if (id === 0) return { size: 0, t: 0 };
  let t = id;
  for (let d = 0; d < 64 && isModifier(btf.kindOf(t)); d++) t = btf.sizeOrTypeOf(t);
  const k = btf.kindOf(t);
  if (k === 2) return { size: 8, t }; // kernel pointer size
  if (k === 1 || k === 6 || k === 19 || k === 4 || k === 5) return { size: btf.sizeOrTypeOf(t), t };
  return { size: -EINVAL, t };
}

/** btf_type_str: the kind name the log prints ("UNKNOWN" for void). */
function btfTypeStr(btf: Btf, t: number): string {
  const k = btf.kindNameOf(t);
  return k === 'VOID' ? 'UNKNOWN' : k;
}

function fmodelFlags(btf: Btf, t: number): number {
  const k = btf.kindOf(t);
  let f = 0;
  if (k === 4 || k === 5) f |= BTF_FMODEL_STRUCT_ARG;
  if (k === 1 && (btf.word(t, 3) >>> 24) & 1) f |= BTF_FMODEL_SIGNED_ARG;
  return f;
}

/**
 * btf_distill_func_proto. `funcProto` is a FUNC_PROTO id, or undefined for
 * "no BTF prototype" (then five 8-byte args and an 8-byte return, as the
 * kernel assumes). `tname` is the function name used in log messages.
 */
export function btfDistillFuncProto(btf: Btf, funcProto: number | undefined, tname: string): DistillResult {
  if (funcProto === undefined) {
    return {
      ok: true,
      model: {
        retSize: 8,
        retFlags: 0,
        nrArgs: MAX_BPF_FUNC_REG_ARGS,
        argSize: new Array(MAX_BPF_FUNC_REG_ARGS).fill(8),
        argFlags: new Array(MAX_BPF_FUNC_REG_ARGS).fill(0),
      },
    };
  }
  const proto = btf.typeOfKind(funcProto, 'FUNC_PROTO');
  const fail = (log: string): DistillResult => ({ ok: false, errno: EINVAL, log: `${log}\n` });
  const nargs = proto.params.length;
  if (nargs > MAX_BPF_FUNC_ARGS) return fail(`The function ${tname} has ${nargs} arguments. Too many.`);
  const ret = getTypeSize(btf, proto.ret);
  const rk = btf.kindOf(ret.t);
  if (ret.size < 0 || rk === 4 || rk === 5)
    return fail(`The function ${tname} return type ${btfTypeStr(btf, ret.t)} is unsupported.`);
  const model: BtfFuncModel = {
    retSize: ret.size,
    retFlags: fmodelFlags(btf, ret.t),
    nrArgs: 0,
    argSize: [],
    argFlags: [],
  };
  for (let i = 0; i < nargs; i++) {
    const p = proto.params[i]!;
    if (i === nargs - 1 && p.type === 0)
      return fail(`The function ${tname} with variable args is unsupported.`);
    const a = getTypeSize(btf, p.type);
    // Structs by value only up to 16 bytes.
    if (a.size < 0 || a.size > 16)
      return fail(`The function ${tname} arg${i} type ${btfTypeStr(btf, a.t)} is unsupported.`);
    if (a.size === 0) return fail(`The function ${tname} has malformed void argument.`);
    model.argSize.push(a.size);
    model.argFlags.push(fmodelFlags(btf, a.t));
  }
  model.nrArgs = nargs;
  return { ok: true, model };
}

/** The model of a FUNC by id (its proto, its name in messages). */
export function btfDistillFunc(btf: Btf, funcId: number): DistillResult {
  const f = btf.typeOfKind(funcId, 'FUNC');
  return btfDistillFuncProto(btf, f.type, f.name);
}
