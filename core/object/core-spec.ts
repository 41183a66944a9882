// CO-RE access specs (relo_core.c bpf_core_parse_spec / bpf_core_spec_match):
// the local access string turned into accessors and a bit offset, and the same
// path looked up by member names in a target candidate.
import type { Btf } from '../btf/btf';
import { BTF_KIND_ARRAY } from '../btf/kinds';
import type { CoreReloKind, CoreReloRecord } from './btf-ext';
import {
  CoreFail,
  essentialName,
  fieldsAreCompat,
  isAnyEnum,
  isComposite,
  SPEC_MAX_LEN,
  size,
  skip,
  typesAreCompat,
  typesMatch,
} from './core-types';

// bpf_core_relo_kind groups its kinds by name: field_*, type_*, enumval_*.
export const isFieldBased = (k: CoreReloKind) => k.startsWith('field_');
export const isTypeBased = (k: CoreReloKind) => k.startsWith('type_');
export const isEnumvalBased = (k: CoreReloKind) => k.startsWith('enumval_');

export interface Accessor {
  typeId: number;
  idx: number;
  name: string | null;
}

export interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: CoreReloKind;
  raw: number[];
  acc: Accessor[];
  bitOffset: number;
}

export function memberBits(
  btf: Btf,
  typeId: number,
  idx: number,
): { bitOffset: number; bitfieldSize: number } {
  const t = btf.typeOfKind(typeId, 'STRUCT', 'UNION');
  const m = t.members[idx]!;
  return { bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize };
}

function isFlexArr(btf: Btf, acc: Accessor | undefined, nelems: number): boolean {
  if (!acc?.name || nelems > 0) return false;
  return acc.idx === btf.vlenOf(acc.typeId) - 1;
}

/** bpf_core_parse_spec */
export function parseSpec(btf: Btf, r: CoreReloRecord): Spec {
  const spec: Spec = { btf, rootTypeId: r.typeId, kind: r.kind, raw: [], acc: [], bitOffset: 0 };
  const s = r.accessStr;
  if (s === '' || s[0] === ':') throw new CoreFail(`bad access string '${s}'`);
  if (isTypeBased(r.kind)) {
    if (s !== '0') throw new CoreFail(`type relocation with access string '${s}'`);
    return spec;
  }
  for (const part of s.split(':')) {
    if (!/^-?\d+$/.test(part)) throw new CoreFail(`bad access string '${s}'`);
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreFail(`access string '${s}' too long`);
    spec.raw.push(Number(part));
  }
  let id = skip(btf, r.typeId);
  let access = spec.raw[0]!;
  spec.acc.push({ typeId: id, idx: access, name: null });
  if (isEnumvalBased(r.kind)) {
    const k = btf.kindOf(id);
    if (!isAnyEnum(k) || spec.raw.length > 1 || access < 0 || access >= btf.vlenOf(id))
      throw new CoreFail(`enum value access '${s}' on type [${r.typeId}]`);
    const t = btf.typeOfKind(id, 'ENUM', 'ENUM64');
    spec.acc[0]!.name = t.values[access]!.name;
    return spec;
  }
  if (!isFieldBased(r.kind)) throw new CoreFail(`unsupported kind ${r.kind}`);
  spec.bitOffset = access * size(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    id = skip(btf, id);
    access = spec.raw[i]!;
    const k = btf.kindOf(id);
    if (isComposite(k)) {
      if (access < 0 || access >= btf.vlenOf(id))
        throw new CoreFail(`member ${access} of [${id}] out of range`);
      const t = btf.typeOfKind(id, 'STRUCT', 'UNION');
      const m = t.members[access]!;
      spec.bitOffset += m.bitOffset;
      if (m.nameOff) spec.acc.push({ typeId: id, idx: access, name: m.name });
      id = m.type;
    } else if (k === BTF_KIND_ARRAY) {
      const a = btf.typeOfKind(id, 'ARRAY');
      id = skip(btf, a.type);
      const flex = isFlexArr(btf, spec.acc[spec.acc.length - 1], a.nelems);
      if (!flex && (access < 0 || access >= a.nelems))
        throw new CoreFail(`index ${access} past the end of array [${a.id}]`);
      spec.acc.push({ typeId: id, idx: access, name: null });
      spec.bitOffset += access * size(btf, id) * 8;
    } else {
      throw new CoreFail(`access '${s}' at index ${i} reaches type [${id}] of kind ${btf.kindNameOf(id)}`);
    }
  }
  return spec;
}

/** bpf_core_match_member: finds the local accessor's named member in target type tid (through anonymous members). */
function matchMember(local: Spec, lacc: Accessor, tb: Btf, tid: number, targ: Spec): number | undefined {
  tid = skip(tb, tid);
  if (!isComposite(tb.kindOf(tid))) return undefined;
  const lm = local.btf.typeOfKind(lacc.typeId, 'STRUCT', 'UNION').members[lacc.idx]!;
  const t = tb.typeOfKind(tid, 'STRUCT', 'UNION');
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (targ.raw.length === SPEC_MAX_LEN) throw new CoreFail('struct nesting too deep');
    targ.bitOffset += m.bitOffset;
    targ.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, lacc, tb, m.type, targ);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (!fieldsAreCompat(local.btf, lm.type, tb, m.type)) return undefined;
      targ.acc.push({ typeId: tid, idx: i, name: m.name });
      return m.type;
    }
    targ.bitOffset -= m.bitOffset;
    targ.raw.pop();
  }
  return undefined;
}

/** bpf_core_spec_match: the target spec when candidate tid matches, else undefined. */
export function specMatch(local: Spec, tb: Btf, tid: number): Spec | undefined {
  const targ: Spec = { btf: tb, rootTypeId: tid, kind: local.kind, raw: [], acc: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    const ok =
      local.kind === 'type_matches'
        ? typesMatch(local.btf, local.rootTypeId, tb, tid, false, 32)
        : typesAreCompat(local.btf, local.rootTypeId, tb, tid, 32);
    return ok ? targ : undefined;
  }
  if (isEnumvalBased(local.kind)) {
    tid = skip(tb, tid);
    if (!isAnyEnum(tb.kindOf(tid))) return undefined;
    const want = essentialName(local.acc[0]!.name!);
    const t = tb.typeOfKind(tid, 'ENUM', 'ENUM64');
    for (let i = 0; i < t.values.length; i++) {
      if (essentialName(t.values[i]!.name) === want) {
        targ.acc.push({ typeId: tid, idx: i, name: t.values[i]!.name });
        targ.raw.push(i);
        return targ;
      }
    }
    return undefined;
  }
  let id = tid;
  for (let i = 0; i < local.acc.length; i++) {
    const lacc = local.acc[i]!;
    id = skip(tb, id);
    if (lacc.name) {
      const next = matchMember(local, lacc, tb, id, targ);
      if (next === undefined) return undefined;
      id = next;
    } else {
      if (i > 0) {
        if (tb.kindOf(id) !== BTF_KIND_ARRAY) return undefined;
        const a = tb.typeOfKind(id, 'ARRAY');
        const flex = isFlexArr(tb, targ.acc[targ.acc.length - 1], a.nelems);
        if (!flex && lacc.idx >= a.nelems) return undefined;
        id = skip(tb, a.type);
      }
      if (targ.raw.length === SPEC_MAX_LEN) throw new CoreFail('struct nesting too deep');
      targ.acc.push({ typeId: id, idx: lacc.idx, name: null });
      targ.raw.push(lacc.idx);
      targ.bitOffset += lacc.idx * size(tb, id) * 8;
    }
  }
  return targ;
}
