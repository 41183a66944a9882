// CO-RE: resolving a .BTF.ext core relocation against the target kernel's BTF
// and patching the instruction, with libbpf's semantics (relo_core.c: access
// spec parsing, candidate matching by essential name, field/type/enum value
// calculation, ambiguity checks, instruction poisoning when nothing matches).
import type { Btf } from '../btf/btf';
import { BtfError } from '../btf/error';
import { resolveType, sizeOf } from '../btf/layout';
import type { Insn } from '../isa/insn';
import type { CoreReloKind, CoreReloRecord } from './btf-ext';
import { ObjectError } from './error';

const INT = 1;
const PTR = 2;
const ARRAY = 3;
const STRUCT = 4;
const UNION = 5;
const ENUM = 6;
const FWD = 7;
const FUNC_PROTO = 13;
const FLOAT = 16;
const ENUM64 = 19;
const BTF_INT_SIGNED = 1;
const SPEC_MAX_LEN = 64;
/** The invalid helper id libbpf writes into an instruction it could not relocate ("bad relo"). */
export const CORE_POISON_IMM = 0xbad2310;

const isAnyEnum = (k: number) => k === ENUM || k === ENUM64;
const isComposite = (k: number) => k === STRUCT || k === UNION;
const kindCompat = (a: number, b: number) => a === b || (isAnyEnum(a) && isAnyEnum(b));

const FIELD_KINDS: CoreReloKind[] = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
];
const TYPE_KINDS: CoreReloKind[] = [
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'type_matches',
];
const isFieldBased = (k: CoreReloKind) => FIELD_KINDS.includes(k);
const isTypeBased = (k: CoreReloKind) => TYPE_KINDS.includes(k);
const isEnumvalBased = (k: CoreReloKind) => k === 'enumval_exists' || k === 'enumval_value';

/** Failure inside the calculation; the caller adds which relocation it was. */
class CoreFail extends Error {}

interface Accessor {
  typeId: number;
  idx: number;
  name: string | null;
}

interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: CoreReloKind;
  raw: number[];
  acc: Accessor[];
  bitOffset: number;
}

/** Name without a ___flavor suffix (bpf_core_essential_name_len). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

function size(btf: Btf, id: number): number {
  try {
    return sizeOf(btf, id);
  } catch (e) {
    if (e instanceof BtfError) throw new CoreFail(`type [${id}] has no size`);
    throw e;
  }
}

const skip = (btf: Btf, id: number): number => resolveType(btf, id);

function memberBits(btf: Btf, typeId: number, idx: number): { bitOffset: number; bitfieldSize: number } {
  const t = btf.typeOfKind(typeId, 'STRUCT', 'UNION');
  const m = t.members[idx]!;
  return { bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize };
}

function isFlexArr(btf: Btf, acc: Accessor | undefined, nelems: number): boolean {
  if (!acc?.name || nelems > 0) return false;
  return acc.idx === btf.vlenOf(acc.typeId) - 1;
}

/** bpf_core_parse_spec */
function parseSpec(btf: Btf, r: CoreReloRecord): Spec {
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
    } else if (k === ARRAY) {
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

/** bpf_core_fields_are_compat */
function fieldsAreCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const lk = lb.kindOf(lid);
    const tk = tb.kindOf(tid);
    if (isComposite(lk) && isComposite(tk)) return true;
    if (!kindCompat(lk, tk)) return false;
    switch (lk) {
      case PTR:
      case FLOAT:
        return true;
      case FWD:
      case ENUM:
      case ENUM64: {
        const ln = essentialName(lb.nameOf(lid));
        const tn = essentialName(tb.nameOf(tid));
        return ln === '' || tn === '' || ln === tn;
      }
      case INT:
        return intBitsOffset(lb, lid) === 0 && intBitsOffset(tb, tid) === 0;
      case ARRAY:
        lid = lb.typeOfKind(lid, 'ARRAY').type;
        tid = tb.typeOfKind(tid, 'ARRAY').type;
        continue;
      default:
        return false;
    }
  }
  throw new CoreFail('type chain too deep');
}

const intBitsOffset = (btf: Btf, id: number) => btf.typeOfKind(id, 'INT').bitsOffset;
const intEncoding = (btf: Btf, id: number) => btf.typeOfKind(id, 'INT').encoding;

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
function specMatch(local: Spec, tb: Btf, tid: number): Spec | undefined {
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
        if (tb.kindOf(id) !== ARRAY) return undefined;
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

/** __bpf_core_types_are_compat */
function typesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number, level: number): boolean {
  if (!kindCompat(lb.kindOf(lid), tb.kindOf(tid))) return false;
  for (let depth = 32; depth > 0; depth--) {
    lid = skip(lb, lid);
    tid = skip(tb, tid);
    const lk = lb.kindOf(lid);
    if (!kindCompat(lk, tb.kindOf(tid))) return false;
    switch (lk) {
      case 0:
      case STRUCT:
      case UNION:
      case ENUM:
      case FWD:
      case ENUM64:
        return true;
      case INT:
        return intBitsOffset(lb, lid) === 0 && intBitsOffset(tb, tid) === 0;
      case PTR:
        lid = lb.sizeOrTypeOf(lid);
        tid = tb.sizeOrTypeOf(tid);
        continue;
      case ARRAY:
        lid = lb.typeOfKind(lid, 'ARRAY').type;
        tid = tb.typeOfKind(tid, 'ARRAY').type;
        continue;
      case FUNC_PROTO: {
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
      case FWD: {
        const lf = lb.kflagOf(lid);
        if (behindPtr) {
          if (lk === tk) return lf === tb.kflagOf(tid);
          return (tk === STRUCT && !lf) || (tk === UNION && lf);
        }
        return lk === tk && lf === tb.kflagOf(tid);
      }
      case ENUM:
      case ENUM64: {
        if (!isAnyEnum(tk)) return false;
        const l = lb.typeOfKind(lid, 'ENUM', 'ENUM64');
        const t = tb.typeOfKind(tid, 'ENUM', 'ENUM64');
        if (l.size !== t.size || l.values.length > t.values.length) return false;
        return l.values.every((lv) => t.values.some((tv) => namesMatch(lb, lv.name, tv.name)));
      }
      case STRUCT:
      case UNION: {
        if (behindPtr) {
          if (lk === tk) return true;
          if (tk !== FWD) return false;
          return (lk === UNION) === tb.kflagOf(tid);
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
      case INT: {
        if (lk !== tk) return false;
        const ls = intEncoding(lb, lid) & BTF_INT_SIGNED;
        const ts = intEncoding(tb, tid) & BTF_INT_SIGNED;
        return lb.sizeOrTypeOf(lid) === tb.sizeOrTypeOf(tid) && ls === ts;
      }
      case PTR:
        if (lk !== tk) return false;
        behindPtr = true;
        lid = lb.sizeOrTypeOf(lid);
        tid = tb.sizeOrTypeOf(tid);
        continue;
      case ARRAY: {
        if (lk !== tk) return false;
        const la = lb.typeOfKind(lid, 'ARRAY');
        const ta = tb.typeOfKind(tid, 'ARRAY');
        if (la.nelems !== ta.nelems) return false;
        lid = la.type;
        tid = ta.type;
        continue;
      }
      case FUNC_PROTO: {
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

interface Res {
  orig: bigint;
  next: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
  origTypeId: number;
  newTypeId: number;
}

const U64 = (n: number | bigint) => BigInt.asUintN(64, BigInt(n));

/** bpf_core_calc_field_relo: value, field size and field type id; 'poison' when the field is missing. */
function calcField(
  r: CoreReloRecord,
  spec: Spec | undefined,
  littleEndian: boolean,
  wantValidate: boolean,
): { val: bigint; sz: number; typeId: number; validate: boolean } | 'poison' {
  if (r.kind === 'field_exists') return { val: spec ? 1n : 0n, sz: 0, typeId: 0, validate: true };
  if (!spec) return 'poison';
  const acc = spec.acc[spec.acc.length - 1]!;
  const btf = spec.btf;
  if (!acc.name) {
    if (r.kind === 'field_byte_offset') {
      const sz = size(btf, acc.typeId);
      return { val: U64(spec.bitOffset / 8), sz, typeId: acc.typeId, validate: true };
    }
    if (r.kind === 'field_byte_size')
      return { val: U64(size(btf, acc.typeId)), sz: 0, typeId: 0, validate: true };
    throw new CoreFail(`${r.kind} cannot apply to an array element`);
  }
  const m = btf.typeOfKind(acc.typeId, 'STRUCT', 'UNION').members[acc.idx]!;
  const fieldTypeId = skip(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = memberBits(btf, acc.typeId, acc.idx).bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = btf.sizeOrTypeOf(fieldTypeId);
    if (byteSz <= 0) throw new CoreFail('bitfield of a type without size');
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreFail("bitfield can't be read with a 64-bit load");
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = size(btf, fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  let validate = wantValidate && !bitfield;
  switch (r.kind) {
    case 'field_byte_offset':
      return bitfield
        ? { val: U64(byteOff), sz: 0, typeId: 0, validate }
        : { val: U64(byteOff), sz: byteSz, typeId: fieldTypeId, validate };
    case 'field_byte_size':
      return { val: U64(byteSz), sz: 0, typeId: 0, validate };
    case 'field_signed': {
      const k = btf.kindOf(fieldTypeId);
      const signed =
        (isAnyEnum(k) && btf.kflagOf(fieldTypeId)) ||
        (k === INT && (intEncoding(btf, fieldTypeId) & BTF_INT_SIGNED) !== 0);
      validate = true;
      return { val: signed ? 1n : 0n, sz: 0, typeId: 0, validate };
    }
    case 'field_lshift_u64': {
      const v = littleEndian
        ? 64 - (bitOff + bitSz - byteOff * 8)
        : (8 - byteSz) * 8 + (bitOff - byteOff * 8);
      return { val: U64(v), sz: 0, typeId: 0, validate };
    }
    case 'field_rshift_u64':
      return { val: U64(64 - bitSz), sz: 0, typeId: 0, validate: true };
    default:
      throw new CoreFail(`unsupported kind ${r.kind}`);
  }
}

function calcRelo(r: CoreReloRecord, local: Spec, targ: Spec | undefined, littleEndian: boolean): Res {
  const res: Res = {
    orig: 0n,
    next: 0n,
    poison: false,
    validate: true,
    failMemszAdjust: false,
    origSz: 0,
    newSz: 0,
    origTypeId: 0,
    newTypeId: 0,
  };
  if (isFieldBased(r.kind)) {
    const o = calcField(r, local, littleEndian, true);
    if (o === 'poison') throw new CoreFail('local field missing');
    const n = calcField(r, targ, littleEndian, false);
    res.orig = o.val;
    res.origSz = o.sz;
    res.origTypeId = o.typeId;
    res.validate = o.validate;
    if (n === 'poison') {
      res.poison = true;
      return res;
    }
    res.next = n.val;
    res.newSz = n.sz;
    res.newTypeId = n.typeId;
    if (res.origSz !== res.newSz) {
      const lk = local.btf.kindOf(res.origTypeId);
      const tk = targ!.btf.kindOf(res.newTypeId);
      const unsignedInt = (b: Btf, id: number, k: number) =>
        k === INT && intEncoding(b, id) !== BTF_INT_SIGNED;
      if (
        !(lk === PTR && tk === PTR) &&
        !(unsignedInt(local.btf, res.origTypeId, lk) && unsignedInt(targ!.btf, res.newTypeId, tk))
      )
        res.failMemszAdjust = true;
    }
    return res;
  }
  if (isTypeBased(r.kind)) {
    const typeVal = (s: Spec | undefined): bigint => {
      if (!s) return 0n;
      switch (r.kind) {
        case 'type_id_target':
          return U64(s.rootTypeId);
        case 'type_exists':
        case 'type_matches':
          return 1n;
        case 'type_size':
          return U64(size(s.btf, s.rootTypeId));
        default:
          throw new CoreFail(`unsupported kind ${r.kind}`);
      }
    };
    res.orig = typeVal(local);
    res.next = typeVal(targ);
    res.validate = r.kind !== 'type_id_target';
    return res;
  }
  // enum value based
  const enumVal = (s: Spec | undefined): bigint | 'poison' => {
    if (r.kind === 'enumval_exists') return s ? 1n : 0n;
    if (!s) return 'poison';
    const t = s.btf.typeOfKind(s.acc[0]!.typeId, 'ENUM', 'ENUM64');
    const v = t.values[s.acc[0]!.idx]!.value;
    // libbpf 1.1 reads a 32-bit enumerator as __s32: it sign-extends to 64 bits.
    return typeof v === 'bigint' ? U64(v) : U64(v | 0);
  };
  const o = enumVal(local);
  if (o === 'poison') throw new CoreFail('local enum value missing');
  res.orig = o;
  const n = enumVal(targ);
  if (n === 'poison') res.poison = true;
  else res.next = n;
  return res;
}

export interface CoreTarget {
  btf: Btf;
  /** Candidate ids per local type id (bpf_core_find_cands), filled on demand. */
  cands: Map<number, number[]>;
}

/** Ids of the target types whose names carry a ___flavour suffix (rare in vmlinux), found once per BTF. */
const flavoured = new WeakMap<Btf, number[]>();

function flavouredIds(btf: Btf): number[] {
  let ids = flavoured.get(btf);
  if (!ids) {
    ids = [];
    for (let id = 1; id < btf.typeCount; id++) {
      const n = btf.nameOf(id);
      if (n.includes('___') && essentialName(n) !== n) ids.push(id);
    }
    flavoured.set(btf, ids);
  }
  return ids;
}

/** bpf_core_find_cands: target types of a compatible kind whose essential name is the local one's, by id. */
function findCands(local: Btf, localId: number, target: CoreTarget): number[] {
  const hit = target.cands.get(localId);
  if (hit) return hit;
  const name = local.nameOf(localId);
  if (name === '') throw new CoreFail(`candidate search for anonymous type [${localId}]`);
  const want = essentialName(name);
  const lk = local.kindOf(localId);
  const tb = target.btf;
  const ids = new Set(tb.findAllByName(want));
  for (const id of flavouredIds(tb)) if (essentialName(tb.nameOf(id)) === want) ids.add(id);
  const out = [...ids].filter((id) => kindCompat(tb.kindOf(id), lk)).sort((a, b) => a - b);
  target.cands.set(localId, out);
  return out;
}

/** bpf_core_calc_relo_insn: the relocation's result over all matching candidates. */
function resolveRelo(local: Btf, r: CoreReloRecord, target: CoreTarget, littleEndian: boolean): Res {
  if (!local.hasType(r.typeId) || r.typeId === 0) throw new CoreFail(`type id ${r.typeId} out of range`);
  const localSpec = parseSpec(local, r);
  if (r.kind === 'type_id_local') {
    const id = U64(r.typeId);
    return {
      orig: id,
      next: id,
      poison: false,
      validate: false,
      failMemszAdjust: false,
      origSz: 0,
      newSz: 0,
      origTypeId: 0,
      newTypeId: 0,
    };
  }
  if (local.nameOf(r.typeId) === '') throw new CoreFail(`${r.kind} relocation of an anonymous type`);
  let best: { res: Res; spec: Spec } | undefined;
  for (const cand of findCands(local, r.typeId, target)) {
    const spec = specMatch(localSpec, target.btf, cand);
    if (!spec) continue;
    const res = calcRelo(r, localSpec, spec, littleEndian);
    if (!best) best = { res, spec };
    else if (spec.bitOffset !== best.spec.bitOffset)
      throw new CoreFail(`field offset ambiguity: ${spec.bitOffset} != ${best.spec.bitOffset}`);
    else if (res.poison !== best.res.poison || res.next !== best.res.next)
      throw new CoreFail(`relocation decision ambiguity: ${res.next} != ${best.res.next}`);
  }
  return best ? best.res : calcRelo(r, localSpec, undefined, littleEndian);
}

function poisonInsn(insn: Insn): void {
  insn.code = 0x85;
  insn.dst = 0;
  insn.src = 0;
  insn.off = 0;
  insn.imm = CORE_POISON_IMM;
}

const SIZE_BYTES: Record<number, number> = { 24: 8, 0: 4, 8: 2, 16: 1 };
const BYTES_SIZE: Record<number, number> = { 8: 0x18, 4: 0x00, 2: 0x08, 1: 0x10 };

/** bpf_core_patch_insn */
function patchInsn(insns: Insn[], idx: number, res: Res): void {
  const insn = insns[idx]!;
  const cls = insn.code & 7;
  const isLdImm64 = insn.code === 0x18;
  const poison = () => {
    if (isLdImm64 && insns[idx + 1]) poisonInsn(insns[idx + 1]!);
    poisonInsn(insn);
  };
  if (res.poison) {
    poison();
    return;
  }
  switch (cls) {
    case 4: // ALU
    case 7: {
      // ALU64
      if (insn.code & 0x08) throw new CoreFail(`insn #${idx} is an ALU op with a register source`);
      if (res.validate && U64(insn.imm) !== res.orig)
        throw new CoreFail(`insn #${idx} (ALU/ALU64) has imm ${insn.imm}, expected ${res.orig}`);
      insn.imm = Number(BigInt.asIntN(32, res.next));
      return;
    }
    case 1: // LDX
    case 2: // ST
    case 3: {
      // STX
      if (res.validate && U64(insn.off) !== res.orig)
        throw new CoreFail(`insn #${idx} (LDX/ST/STX) has off ${insn.off}, expected ${res.orig}`);
      if (res.next > 0x7fffn) throw new CoreFail(`insn #${idx} (LDX/ST/STX) offset ${res.next} too big`);
      if (res.failMemszAdjust) {
        poison();
        return;
      }
      insn.off = Number(res.next);
      if (res.newSz !== res.origSz) {
        const have = SIZE_BYTES[insn.code & 0x18];
        if (have !== res.origSz)
          throw new CoreFail(`insn #${idx} (LDX/ST/STX) accesses ${have} bytes, expected ${res.origSz}`);
        const sz = BYTES_SIZE[res.newSz];
        if (sz === undefined)
          throw new CoreFail(`insn #${idx} (LDX/ST/STX) cannot access ${res.newSz} bytes`);
        insn.code = (insn.code & 0xe0) | sz | cls;
      }
      return;
    }
    case 0: {
      const hi = insns[idx + 1];
      if (
        !isLdImm64 ||
        !hi ||
        insn.src !== 0 ||
        insn.off !== 0 ||
        hi.code !== 0 ||
        hi.dst !== 0 ||
        hi.src !== 0 ||
        hi.off !== 0
      )
        throw new CoreFail(`insn #${idx} (LDIMM64) has unexpected form`);
      const imm = U64(insn.imm >>> 0) | (U64(hi.imm >>> 0) << 32n);
      if (res.validate && imm !== res.orig)
        throw new CoreFail(`insn #${idx} (LDIMM64) has value ${imm}, expected ${res.orig}`);
      insn.imm = Number(BigInt.asIntN(32, res.next));
      hi.imm = Number(BigInt.asIntN(32, res.next >> 32n));
      return;
    }
    default:
      throw new CoreFail(`insn #${idx} (code 0x${insn.code.toString(16)}) cannot be relocated`);
  }
}

/**
 * Applies one CO-RE relocation to insns[idx] (idx in the program's own
 * instructions). ObjectError names the program, relocation and why.
 */
export function applyCoreRelo(
  progName: string,
  reloIdx: number,
  local: Btf,
  r: CoreReloRecord,
  target: CoreTarget,
  insns: Insn[],
  idx: number,
  littleEndian: boolean,
): void {
  try {
    const res = resolveRelo(local, r, target, littleEndian);
    patchInsn(insns, idx, res);
  } catch (e) {
    if (e instanceof CoreFail || e instanceof BtfError) {
      const what = e instanceof BtfError ? e.reason : e.message;
      throw new ObjectError(
        `program '${progName}': CO-RE relocation #${reloIdx} (${r.kind} [${r.typeId}] ${r.accessStr}) at insn #${idx}: ${what}`,
      );
    }
    throw e;
  }
}
