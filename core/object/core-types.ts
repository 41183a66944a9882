// CO-RE type relations with libbpf's semantics (relo_core.c): essential names
// (without ___flavour), field compatibility, type compatibility
// (bpf_core_types_are_compat, also used for kfunc prototypes) and TYPE_MATCHES.
import type { Btf } from '../btf/btf';
import { BtfError } from '../btf/error';
import {
  BTF_INT_SIGNED,
  BTF_KIND_ARRAY,
  BTF_KIND_ENUM,
  BTF_KIND_ENUM64,
  BTF_KIND_FLOAT,
  BTF_KIND_FUNC_PROTO,
  BTF_KIND_FWD,
  BTF_KIND_INT,
  BTF_KIND_PTR,
  BTF_KIND_STRUCT,
  BTF_KIND_UNION,
} from '../btf/kinds';
import { resolveType, sizeOf } from '../btf/layout';

export const SPEC_MAX_LEN = 64;

export const isAnyEnum = (k: number) => k === BTF_KIND_ENUM || k === BTF_KIND_ENUM64;
export const isComposite = (k: number) => k === BTF_KIND_STRUCT || k === BTF_KIND_UNION;
export const kindCompat = (a: number, b: number) => a === b || (isAnyEnum(a) && isAnyEnum(b));

/** Failure inside the calculation; the caller adds which relocation it was. */
export class CoreFail extends Error {}

/** Name without a ___flavor suffix (bpf_core_essential_name_len). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

export function size(btf: Btf, id: number): number {
  try {
    return sizeOf(btf, id);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreFail(`type [${id}] has no size`);
    throw e;
  }
}

export const skip = (btf: Btf, id: number): number => resolveType(btf, id);

/** bpf_core_fields_are_compat */
export function fieldsAreCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const lk = lb.kindOf(lid);
    const tk = tb.kindOf(tid);
    if (isComposite(lk) && isComposite(tk)) return true;
    if (!kindCompat(lk, tk)) return false;
    switch (lk) {
      case BTF_KIND_PTR:
      case BTF_KIND_FLOAT:
        return true;
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        const ln = essentialName(lb.nameOf(lid));
        const tn = essentialName(tb.nameOf(tid));
        return ln === '' || tn === '' || ln === tn;
      }
      case BTF_KIND_INT:
        return intBitsOffset(lb, lid) === 0 && intBitsOffset(tb, tid) === 0;
      case BTF_KIND_ARRAY:
        lid = lb.typeOfKind(lid, 'ARRAY').type;
        tid = tb.typeOfKind(tid, 'ARRAY').type;
        continue;
      default:
        return false;
    }
  }
  throw new CoreFail('type chain too deep');
}

export const intBitsOffset = (btf: Btf, id: number) => btf.typeOfKind(id, 'INT').bitsOffset;
export const intEncoding = (btf: Btf, id: number) => btf.typeOfKind(id, 'INT').encoding;

/** __bpf_core_types_are_compat */
export function typesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number, level: number): boolean {
  if (!kindCompat(lb.kindOf(lid), tb.kindOf(tid))) return false;
  for (let depth = 32; depth > 0; depth--) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const lk = lb.kindOf(lid);
    if (!kindCompat(lk, tb.kindOf(tid))) return false;
    switch (lk) {
      case 0:
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_ENUM:
      case BTF_KIND_FWD:
      case BTF_KIND_ENUM64:
        return true;
      case BTF_KIND_INT:
        return intBitsOffset(lb, lid) === 0 && intBitsOffset(tb, tid) === 0;
      case BTF_KIND_PTR:
        lid = lb.sizeOrTypeOf(lid);
        tid = tb.sizeOrTypeOf(tid);
        continue;
      case BTF_KIND_ARRAY:
        lid = lb.typeOfKind(lid, 'ARRAY').type;
        tid = tb.typeOfKind(tid, 'ARRAY').type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        const lp = lb.typeOfKind(lid, 'FUNC_PROTO');
        const tp = tb.typeOfKind(tid, 'FUNC_PROTO');
        if (lp.params.length !== tp.params.length) return false;
        for (let i = 0; i < lp.params.length; i++) {
          if (level <= 0) throw new CoreFail('function prototype nesting too deep');
          const a = skip(lb, lp.params[i]!.type);
          const b = skip(tb, tp.params[i]!.type);
          if (!typesAreCompat(lb, a, tb, b, level - 1)) return false;
        }
        lid = skip(lb, lp.ret);
        tid = skip(tb, tp.ret);
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreFail('type chain too deep');
}

/** Names equal modulo ___flavor; an anonymous target only matches an anonymous local. */
function namesMatch(lb: Btf, lname: string, tname: string): boolean {
  void lb;
  if (tname === '') return lname === '';
  return essentialName(tname) === essentialName(lname);
}

/** __bpf_core_types_match (TYPE_MATCHES) */
export function typesMatch(
  lb: Btf,
  lid: number,
  tb: Btf,
  tid: number,
  behindPtr: boolean,
  level: number,
): boolean {
  if (level <= 0) throw new CoreFail('type nesting too deep');
  for (let depth = 32; depth > 0; depth--) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    if (!namesMatch(lb, lb.nameOf(lid), tb.nameOf(tid))) return false;
    const lk = lb.kindOf(lid);
    const tk = tb.kindOf(tid);
    switch (lk) {
      case 0:
        return tk === 0;
      case BTF_KIND_FWD: {
        const lf = lb.kflagOf(lid);
        if (behindPtr) {
          if (lk === tk) return lf === tb.kflagOf(tid);
          return (tk === BTF_KIND_STRUCT && !lf) || (tk === BTF_KIND_UNION && lf);
        }
        return lk === tk && lf === tb.kflagOf(tid);
      }
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64: {
        if (!isAnyEnum(tk)) return false;
        const l = lb.typeOfKind(lid, 'ENUM', 'ENUM64');
        const t = tb.typeOfKind(tid, 'ENUM', 'ENUM64');
        if (l.size !== t.size || l.values.length > t.values.length) return false;
        return l.values.every((lv) => t.values.some((tv) => namesMatch(lb, lv.name, tv.name)));
      }
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION: {
        if (behindPtr) {
          if (lk === tk) return true;
          if (tk !== BTF_KIND_FWD) return false;
          return (lk === BTF_KIND_UNION) === tb.kflagOf(tid);
        }
        if (lk !== tk) return false;
        const l = lb.typeOfKind(lid, 'STRUCT', 'UNION');
        const t = tb.typeOfKind(tid, 'STRUCT', 'UNION');
        if (l.members.length > t.members.length) return false;
        return l.members.every((lm) =>
          t.members.some(
            (tm) =>
              namesMatch(lb, lm.name, tm.name) && typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1),
          ),
        );
      }
      case BTF_KIND_INT: {
        if (lk !== tk) return false;
        const ls = intEncoding(lb, lid) & BTF_INT_SIGNED;
        const ts = intEncoding(tb, tid) & BTF_INT_SIGNED;
        return lb.sizeOrTypeOf(lid) === tb.sizeOrTypeOf(tid) && ls === ts;
      }
      case BTF_KIND_PTR:
        if (lk !== tk) return false;
        behindPtr = true;
        lid = lb.sizeOrTypeOf(lid);
        tid = tb.sizeOrTypeOf(tid);
        continue;
      case BTF_KIND_ARRAY: {
        if (lk !== tk) return false;
        const la = lb.typeOfKind(lid, 'ARRAY');
        const ta = tb.typeOfKind(tid, 'ARRAY');
        if (la.nelems !== ta.nelems) return false;
        lid = la.type;
        tid = ta.type;
        continue;
      }
      case BTF_KIND_FUNC_PROTO: {
        if (lk !== tk) return false;
        const lp = lb.typeOfKind(lid, 'FUNC_PROTO');
        const tp = tb.typeOfKind(tid, 'FUNC_PROTO');
        if (lp.params.length !== tp.params.length) return false;
        for (let i = 0; i < lp.params.length; i++) {
          if (!typesMatch(lb, lp.params[i]!.type, tb, tp.params[i]!.type, behindPtr, level - 1)) return false;
        }
        lid = lp.ret;
        tid = tp.ret;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreFail('type chain too deep');
}

/** libbpf's bpf_core_types_are_compat, used for kfunc and typed ksym externs. */
export function coreTypesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  try {
    return typesAreCompat(lb, lid, tb, tid, 32);
  } catch (e) {
    if (e instanceof CoreFail || e instanceof BtfError) return false;
    throw e;
  }
}
