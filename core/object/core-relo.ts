// CO-RE: resolving a .BTF.ext core relocation against the target kernel's BTF
// and patching the instruction, with libbpf's semantics (relo_core.c: candidates
// by essential name, field/type/enum value calculation, ambiguity checks,
// instruction poisoning when nothing matches).
import type { Btf } from '../btf/btf';
import { BtfError } from '../btf/error';
import { BTF_INT_SIGNED, BTF_KIND_INT, BTF_KIND_PTR } from '../btf/kinds';
import type { Insn } from '../isa/insn';
import type { CoreReloRecord } from './btf-ext';
import { isFieldBased, isTypeBased, memberBits, parseSpec, type Spec, specMatch } from './core-spec';
import { CoreFail, essentialName, intEncoding, isAnyEnum, kindCompat, size, skip } from './core-types';
import { ObjectError } from './error';

/** The invalid helper id libbpf writes into an instruction it could not relocate ("bad relo"). */
export const CORE_POISON_IMM = 0xbad2310;

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
        (k === BTF_KIND_INT && (intEncoding(btf, fieldTypeId) & BTF_INT_SIGNED) !== 0);
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
        k === BTF_KIND_INT && intEncoding(b, id) !== BTF_INT_SIGNED;
      if (
        !(lk === BTF_KIND_PTR && tk === BTF_KIND_PTR) &&
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
