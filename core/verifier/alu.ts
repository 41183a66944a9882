// check_alu_op and the bounds it tracks: adjust_reg_min_max_vals, adjust_ptr_min_max_vals,
// coerce_reg_to_size(_sx).
import type { Insn } from '../isa/insn';
import {
  BPF_ALU64,
  BPF_CLASS,
  BPF_END,
  BPF_K,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_SRC,
  BPF_X,
} from '../isa/opcodes';
import type { Verifier } from './do-check';
import { regTypeStr } from './log';
import { markChainPrecision } from './precision';
import {
  adjustScalarMinMaxVals,
  BPF_ADD_CONST,
  BPF_ADD_CONST32,
  BPF_ADD_CONST64,
  copyReg,
  markReg32Unbounded,
  markReg64Unbounded,
  markRegKnown,
  markRegUnknown,
  type RegState,
  regBoundsSync,
  regIsConst,
  regIsConst32,
  regWidth,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  scalarKnown,
  zext32To64,
} from './reg';
import { curFunc } from './state';
import { tnumAdd, tnumCast, tnumConst, tnumRange, tnumSub, tnumSubreg, tnumUnknown, U32, U64 } from './tnum';
import { EACCES, EINVAL } from './verifier-error';

export const BPF_MAX_VAR_OFF = 1n << 29n;

const ALU_OP_STR = [
  '+=',
  '-=',
  '*=',
  '/=',
  '|=',
  '&=',
  '<<=',
  '>>=',
  'neg',
  '%=',
  '^=',
  '=',
  's>>=',
  'endian',
];

export function checkAluOp(v: Verifier, insn: Insn): void {
  const op = BPF_OP(insn.code);
  const cls = BPF_CLASS(insn.code);
  const alu64 = cls === BPF_ALU64;
  const regs = () => v.regs();
  if (op === BPF_END || op === BPF_NEG) {
    if (op === BPF_NEG) {
      if (BPF_SRC(insn.code) !== BPF_K || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) {
        v.fail(EINVAL, 'BPF_NEG uses reserved fields');
      }
    } else if (
      insn.src !== 0 ||
      insn.off !== 0 ||
      (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) ||
      (alu64 && BPF_SRC(insn.code) !== 0)
    ) {
      v.fail(EINVAL, 'BPF_END uses reserved fields');
    }
    v.checkRegArg(insn.dst, 'src');
    v.checkRegArg(insn.dst, 'dst_nomark');
    const dst = regs()[insn.dst]!;
    if (dst.type !== 'SCALAR_VALUE') {
      markRegUnknown(dst);
      return;
    }
    if (op === BPF_NEG) {
      adjustScalarMinMaxVals(dst, scalarKnown(0n), BPF_NEG, !alu64);
      // The kernel computes 0 - dst into a register it first marks known 0: no id survives.
      dst.id = 0;
      dst.off = 0;
    } else {
      scalarByteSwap(dst, insn.imm, alu64 || BPF_SRC(insn.code) !== 0);
    }
    return;
  }
  if (op === BPF_MOV) {
    if (BPF_SRC(insn.code) === BPF_X) {
      if (!alu64) {
        if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm)
          v.fail(EINVAL, 'BPF_MOV uses reserved fields');
      } else if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16 && insn.off !== 32) || insn.imm) {
        v.fail(EINVAL, 'BPF_MOV uses reserved fields');
      }
      v.checkRegArg(insn.src, 'src');
    } else if (insn.src !== 0 || insn.off !== 0) {
      v.fail(EINVAL, 'BPF_MOV uses reserved fields');
    }
    v.checkRegArg(insn.dst, 'dst_nomark');
    const frameno = curFunc(v.cur).frameno;
    if (BPF_SRC(insn.code) === BPF_X) {
      const src = regs()[insn.src]!;
      if (alu64) {
        if (insn.off === 0) {
          v.assignScalarIdBeforeMov(src);
          regs()[insn.dst] = copyReg(src);
        } else if (src.type !== 'SCALAR_VALUE') {
          // is_pointer_value is false for a root load (allow_ptr_leaks): the result is unknown.
          regs()[insn.dst] = v.newScalar();
        } else {
          const r = copyReg(src);
          const noSext = regWidth(src) < insn.off;
          if (noSext) v.assignScalarIdBeforeMov(src);
          r.id = noSext ? src.id : 0;
          coerceRegToSizeSx(r, insn.off / 8);
          if (!noSext) r.id = 0;
          regs()[insn.dst] = r;
        }
      } else {
        if (src.type !== 'SCALAR_VALUE') {
          const r = v.newScalar();
          regs()[insn.dst] = r;
        } else if (insn.off === 0) {
          const isU32 = regWidth(src) <= 32;
          if (isU32) v.assignScalarIdBeforeMov(src);
          const r = copyReg(src);
          if (!isU32) r.id = 0;
          regs()[insn.dst] = r;
        } else {
          const r = copyReg(src);
          const noSext = regWidth(src) < insn.off;
          if (noSext) v.assignScalarIdBeforeMov(src);
          r.id = noSext ? src.id : 0;
          coerceSubregToSizeSx(r, insn.off / 8);
          regs()[insn.dst] = r;
        }
        const d = regs()[insn.dst]!;
        zext32To64(d);
        regBoundsSync(d);
      }
      regs()[insn.dst]!.frameno = src.type === 'PTR_TO_STACK' ? src.frameno : frameno;
    } else {
      const r = v.newScalar();
      markRegKnown(r, alu64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
      regs()[insn.dst] = r;
    }
    return;
  }
  if (op > BPF_END) v.fail(EINVAL, `invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
  const isDivMod = op === 0x30 || op === 0x90;
  if (BPF_SRC(insn.code) === BPF_X) {
    if (insn.imm !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && !isDivMod)) {
      v.fail(EINVAL, 'BPF_ALU uses reserved fields');
    }
    v.checkRegArg(insn.src, 'src');
  } else if (insn.src !== 0 || (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && !isDivMod)) {
    v.fail(EINVAL, 'BPF_ALU uses reserved fields');
  }
  v.checkRegArg(insn.dst, 'src');
  if (isDivMod && BPF_SRC(insn.code) === BPF_K && insn.imm === 0) v.fail(EINVAL, 'div by zero');
  if ((op === 0x60 || op === 0x70 || op === 0xc0) && BPF_SRC(insn.code) === BPF_K) {
    const size = alu64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= size) v.fail(EINVAL, `invalid shift ${insn.imm}`);
  }
  v.checkRegArg(insn.dst, 'dst_nomark');
  adjustRegMinMaxVals(v, insn);
}

export function adjustRegMinMaxVals(v: Verifier, insn: Insn): void {
  const regs = v.regs();
  const op = BPF_OP(insn.code);
  const alu32 = BPF_CLASS(insn.code) !== BPF_ALU64;
  const dst = regs[insn.dst]!;
  let src: RegState;
  const ptrDst = dst.type !== 'SCALAR_VALUE';
  if (BPF_SRC(insn.code) === BPF_X) {
    src = regs[insn.src]!;
    if (src.type !== 'SCALAR_VALUE') {
      if (dst.type !== 'SCALAR_VALUE') {
        if (op === 0x10) {
          markRegUnknown(dst);
          return;
        }
        v.fail(EACCES, `R${insn.dst} pointer ${ALU_OP_STR[op >> 4]} pointer prohibited`);
      }
      markChainPrecision(v, insn.dst);
      adjustPtrMinMaxVals(v, insn, src, dst, true);
      return;
    }
    if (ptrDst) {
      markChainPrecision(v, insn.src);
      adjustPtrMinMaxVals(v, insn, dst, src, false);
      return;
    }
    if (dst.precise) markChainPrecision(v, insn.src);
  } else {
    src = scalarKnown(BigInt(insn.imm));
    if (ptrDst) {
      adjustPtrMinMaxVals(v, insn, dst, src, false);
      return;
    }
  }
  // A copy in case src is dst (r1 += r1); an immediate's register is fresh and
  // adjust_scalar_min_max_vals never writes its src.
  const srcCopy = BPF_SRC(insn.code) === BPF_X ? copyReg(src) : src;
  // A 32-bit link needs the upper half zero before the op (the result is zero-extended).
  const dstUmax = dst.umax;
  adjustScalarMinMaxVals(dst, srcCopy, op, alu32);
  // BPF_ADD_CONST linking of rX += const to the scalar it was copied from.
  if ((op === 0x00 || op === 0x10) && dst.id && (alu32 ? regIsConst32(src) : regIsConst(src))) {
    const val = alu32 ? BigInt.asIntN(32, src.varOff.value) : BigInt.asIntN(64, src.varOff.value);
    let clear = false;
    if (!alu32 && (val < S32_MIN || val > S32_MAX)) clear = true;
    if (alu32 && dstUmax > U32) clear = true;
    let off = Number(val);
    if (op === 0x10) {
      if (off === -0x80000000) clear = true;
      off = -off;
    }
    if (clear || dst.id & BPF_ADD_CONST) {
      dst.off = 0;
      dst.id = 0;
    } else {
      dst.id = (dst.id | (alu32 ? BPF_ADD_CONST32 : BPF_ADD_CONST64)) >>> 0;
      dst.off = off;
    }
  } else {
    dst.id = 0;
  }
}

export function adjustPtrMinMaxVals(
  v: Verifier,
  insn: Insn,
  ptr: RegState,
  off: RegState,
  scalarPlusPtr: boolean,
): void {
  const regs = v.regs();
  const op = BPF_OP(insn.code);
  const dstno = insn.dst;
  const known = off.varOff.mask === 0n;
  const { smin: sminVal, smax: smaxVal, umin: uminVal, umax: umaxVal } = off;
  const dst = copyReg(regs[dstno]!);
  const name = regTypeStr(ptr, v.printCtx);
  if (BPF_CLASS(insn.code) !== BPF_ALU64) {
    if (op === 0x10) {
      markRegUnknown(regs[dstno]!);
      return;
    }
    v.fail(EACCES, `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull)
    v.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited, null-check it first`);
  if ((known && (sminVal !== smaxVal || uminVal !== umaxVal)) || sminVal > smaxVal || uminVal > umaxVal) {
    markRegUnknown(regs[dstno]!);
    return;
  }
  switch (ptr.type) {
    case 'CONST_PTR_TO_MAP':
      if (known && sminVal === 0n && op === 0x00) break;
      v.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited`);
      break;
    case 'PTR_TO_PACKET_END':
    case 'PTR_TO_SOCKET':
    case 'PTR_TO_SOCK_COMMON':
      v.fail(EACCES, `R${dstno} pointer arithmetic on ${name} prohibited`);
      break;
    default:
      break;
  }
  Object.assign(dst, copyReg(ptr));
  dst.type = ptr.type;
  dst.id = ptr.id;
  checkRegSaneOffset(v, off, ptr);
  checkRegSaneOffset(v, ptr, ptr);
  markReg32Unbounded(dst);
  const ovS = (x: bigint) => x < S64_MIN || x > S64_MAX;
  const ovU = (x: bigint) => x < 0n || x > U64;
  switch (op) {
    case 0x00: {
      const newOff = BigInt(ptr.off) + sminVal;
      if (known && newOff === BigInt.asIntN(32, newOff)) {
        dst.smin = ptr.smin;
        dst.smax = ptr.smax;
        dst.umin = ptr.umin;
        dst.umax = ptr.umax;
        dst.varOff = ptr.varOff;
        dst.off = Number(newOff);
        dst.range = ptr.range;
        break;
      }
      const a = ptr.smin + sminVal;
      const b = ptr.smax + smaxVal;
      if (ovS(a) || ovS(b)) {
        dst.smin = S64_MIN;
        dst.smax = S64_MAX;
      } else {
        dst.smin = a;
        dst.smax = b;
      }
      const c = ptr.umin + uminVal;
      const d = ptr.umax + umaxVal;
      if (ovU(c) || ovU(d)) {
        dst.umin = 0n;
        dst.umax = U64;
      } else {
        dst.umin = c;
        dst.umax = d;
      }
      dst.varOff = tnumAdd(ptr.varOff, off.varOff);
      dst.off = ptr.off;
      dst.range = ptr.range;
      if (ptr.type === 'PTR_TO_PACKET' || ptr.type === 'PTR_TO_PACKET_META') {
        dst.id = ++v.idGen;
        dst.range = 0;
      }
      break;
    }
    case 0x10: {
      if (scalarPlusPtr) v.fail(EACCES, `R${dstno} tried to subtract pointer from scalar`);
      if (ptr.type === 'PTR_TO_STACK') v.fail(EACCES, `R${dstno} subtraction from stack pointer prohibited`);
      const newOff = BigInt(ptr.off) - sminVal;
      if (known && newOff === BigInt.asIntN(32, newOff)) {
        dst.smin = ptr.smin;
        dst.smax = ptr.smax;
        dst.umin = ptr.umin;
        dst.umax = ptr.umax;
        dst.varOff = ptr.varOff;
        dst.id = ptr.id;
        dst.off = Number(newOff);
        dst.range = ptr.range;
        break;
      }
      const a = ptr.smin - smaxVal;
      const b = ptr.smax - sminVal;
      if (ovS(a) || ovS(b)) {
        dst.smin = S64_MIN;
        dst.smax = S64_MAX;
      } else {
        dst.smin = a;
        dst.smax = b;
      }
      if (ptr.umin < umaxVal) {
        dst.umin = 0n;
        dst.umax = U64;
      } else {
        dst.umin = ptr.umin - umaxVal;
        dst.umax = ptr.umax - uminVal;
      }
      dst.varOff = tnumSub(ptr.varOff, off.varOff);
      dst.off = ptr.off;
      dst.range = ptr.range;
      if (ptr.type === 'PTR_TO_PACKET' || ptr.type === 'PTR_TO_PACKET_META') {
        dst.id = ++v.idGen;
        if (sminVal < 0n) dst.range = 0;
      }
      break;
    }
    case 0x50:
    case 0x40:
    case 0xa0:
      v.fail(EACCES, `R${dstno} bitwise operator ${ALU_OP_STR[op >> 4]} on pointer prohibited`);
      break;
    default:
      v.fail(EACCES, `R${dstno} pointer arithmetic with ${ALU_OP_STR[op >> 4]} operator prohibited`);
  }
  checkRegSaneOffset(v, dst, ptr);
  regBoundsSync(dst);
  regs[dstno] = dst;
}

export function checkRegSaneOffset(v: Verifier, reg: RegState, ptr: RegState): void {
  const name = regTypeStr({ ...ptr, maybeNull: false }, v.printCtx);
  const known = reg.varOff.mask === 0n;
  const val = BigInt.asIntN(64, reg.varOff.value);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
    v.fail(EACCES, `math between ${name} pointer and ${val} is not allowed`);
  }
  if (BigInt(reg.off) >= BPF_MAX_VAR_OFF || BigInt(reg.off) <= -BPF_MAX_VAR_OFF) {
    v.fail(EACCES, `${name} pointer offset ${reg.off} is not allowed`);
  }
  if (reg.smin === S64_MIN) {
    v.fail(EACCES, `math between ${name} pointer and register with unbounded min value is not allowed`);
  }
  if (reg.smin >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
    v.fail(EACCES, `value ${reg.smin} makes ${name} pointer be out of bounds`);
  }
}

/** coerce_reg_to_size: a b/h/w load or to-le swap zero-extends. */
export function coerceRegToSize(r: RegState, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markReg32Unbounded(r);
  regBoundsSync(r);
}

/**
 * scalar_byte_swap: a swap (bswap, or to_be on this little-endian host) scrambles the range, so
 * only the swapped tnum is kept; to_le16/32 truncate keeping what fits; to_le64 changes nothing.
 * A value that changes loses its id (it no longer equals its copies).
 */
function scalarByteSwap(dst: RegState, bits: number, swap: boolean): void {
  if (swap || bits < 64) dst.id = 0;
  if (swap) {
    const t = tnumCast(dst.varOff, bits / 8);
    dst.varOff = { value: bswap(t.value, bits), mask: bswap(t.mask, bits) };
    markReg64Unbounded(dst);
    markReg32Unbounded(dst);
  }
  if (bits < 64) coerceRegToSize(dst, bits / 8);
  else regBoundsSync(dst);
}

/** Reverses the byte order of the low `bits` bits. */
function bswap(x: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

function sextBounds(size: number): [bigint, bigint] {
  const bits = BigInt(size * 8);
  return [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

/** coerce_reg_to_size_sx (ldsx, movsx): sign-extend from size bytes. */
export function coerceRegToSizeSx(r: RegState, size: number): void {
  if (r.varOff.mask === 0n) {
    const v = BigInt.asIntN(size * 8, r.varOff.value);
    markRegKnown(r, v);
    return;
  }
  // A range whose bits above the sign-extended width agree, and whose low parts sign-extend to
  // values of one sign, keeps a precise range (e.g. [0, 14] stays [0, 14] under (s16)).
  const bits = BigInt(size * 8);
  const topMax = (BigInt.asUintN(64, r.smax) >> bits) << bits;
  const topMin = (BigInt.asUintN(64, r.smin) >> bits) << bits;
  if (topMax === topMin) {
    const a = BigInt.asIntN(size * 8, r.smax);
    const b = BigInt.asIntN(size * 8, r.smin);
    const hi64 = a > b ? a : b;
    const lo64 = a > b ? b : a;
    if (hi64 >= 0n === lo64 >= 0n) {
      r.smin = lo64;
      r.smax = hi64;
      r.s32min = lo64;
      r.s32max = hi64;
      r.umin = BigInt.asUintN(64, lo64);
      r.umax = BigInt.asUintN(64, hi64);
      r.u32min = BigInt.asUintN(32, lo64);
      r.u32max = BigInt.asUintN(32, hi64);
      r.varOff = tnumRange(r.umin, r.umax);
      return;
    }
  }
  const [lo, hi] = sextBounds(size);
  const id = r.id;
  markRegUnknownKeep(r);
  r.id = id;
  r.smin = lo;
  r.smax = hi;
  r.s32min = size < 4 ? lo : S32_MIN;
  r.s32max = size < 4 ? hi : S32_MAX;
  regBoundsSync(r);
}

/**
 * coerce_subreg_to_size_sx (movsx32): only the 32-bit view changes (the caller zero-extends). A
 * range whose bits above the width agree and whose sign-extended ends share a sign is kept.
 */
function coerceSubregToSizeSx(r: RegState, size: number): void {
  const bits = size * 8;
  if (r.varOff.mask === 0n) {
    const v = BigInt.asIntN(bits, r.varOff.value);
    r.varOff = tnumConst(v);
    r.s32min = r.s32max = BigInt.asIntN(32, v);
    r.u32min = r.u32max = BigInt.asUintN(32, v);
    return;
  }
  const top = (x: bigint): bigint => BigInt.asUintN(32, x) >> BigInt(bits);
  if (top(r.s32max) === top(r.s32min)) {
    const a = BigInt.asIntN(bits, r.s32max);
    const b = BigInt.asIntN(bits, r.s32min);
    const hi = a > b ? a : b;
    const lo = a > b ? b : a;
    if (hi >= 0n === lo >= 0n) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = BigInt.asUintN(32, lo);
      r.u32max = BigInt.asUintN(32, hi);
      r.varOff = tnumSubreg(tnumRange(BigInt.asUintN(64, lo), BigInt.asUintN(64, hi)));
      return;
    }
  }
  const [lo, hi] = sextBounds(size);
  r.s32min = lo;
  r.s32max = hi;
  r.u32min = 0n;
  r.u32max = U32;
  r.varOff = tnumSubreg(tnumUnknown);
}

function markRegUnknownKeep(r: RegState): void {
  const frameno = r.frameno;
  markRegUnknown(r);
  r.frameno = frameno;
}
