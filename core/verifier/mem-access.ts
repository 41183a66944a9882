// check_mem_access and what it dispatches to: ctx, packet, map value, memory, stack slots
// (check_stack_write/read), PTR_TO_BTF_ID (btf_struct_walk), atomics, ld_imm64 and ld_abs.
import type { Btf } from '../btf/btf';
import type { Insn } from '../isa/insn';
import {
  BPF_ABS,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_FETCH,
  BPF_IND,
  BPF_MODE,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_W,
  BPF_XCHG,
  sizeBytes,
} from '../isa/opcodes';
import { BPF_MAX_VAR_OFF, coerceRegToSize, coerceRegToSizeSx } from './alu';
import { BTF_FUNC_STATIC } from './btf-func';
import { CALLER_SAVED } from './calls';
import type { Verifier } from './do-check';
import { regTypeStr } from './log';
import { markChainPrecision } from './precision';
import { copyReg, markRegKnown, notInitReg, type RegState, regWidth, S64_MIN, scalarKnown } from './reg';
import {
  BPF_REG_SIZE,
  curFunc,
  type FuncState,
  growStack,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
} from './state';
import { markStackRead } from './state-pruning';
import { tnumAdd, tnumConst, tnumIsAligned } from './tnum';
import { EACCES, EINVAL, VerifierError } from './verifier-error';

export const MAX_PACKET_OFF = 0xffff;

import { kernelLayout } from './progtypes/layout';
import { sockCommonIsValidAccess } from './progtypes/sock';

const MAX_BPF_STACK = 512;

export function checkMemAccess(
  v: Verifier,
  idx: number,
  regno: number,
  insnOff: number,
  size: number,
  t: 'read' | 'write',
  valueRegno: number,
  isLdsx: boolean,
  stInsn?: Insn,
): void {
  const regs = v.regs();
  const reg = regs[regno]!;
  let off = insnOff;
  // Stack accesses are always checked for alignment (spill tracking relies on it).
  if (reg.type === 'PTR_TO_STACK') {
    const regOff = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
    if (!tnumIsAligned(regOff, size)) {
      const tn =
        reg.varOff.mask === 0n
          ? `${BigInt.asIntN(64, reg.varOff.value)}`
          : `(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)})`;
      v.fail(EACCES, `misaligned stack access off ${tn}+${reg.off}+${off} size ${size}`);
    }
  }
  off += reg.off;
  const name = () => regTypeStr(reg, v.printCtx);
  if (reg.maybeNull) v.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
  switch (reg.type) {
    case 'PTR_TO_MAP_VALUE': {
      const map = v.env.maps[reg.mapIndex]!;
      checkMemRegionAccess(v, regno, reg, off, size, map.valueSize, 'map_value');
      if (t === 'read' && valueRegno >= 0) regs[valueRegno] = v.newScalar();
      break;
    }
    case 'PTR_TO_MEM': {
      checkMemRegionAccess(v, regno, reg, off, size, reg.memSize, 'mem');
      if (t === 'read' && valueRegno >= 0) regs[valueRegno] = v.newScalar();
      break;
    }
    case 'PTR_TO_MAP_KEY': {
      // A for_each_map_elem callback's key: read-only.
      if (t === 'write') v.fail(EACCES, `write to change key R${regno} not allowed`);
      checkMemRegionAccess(v, regno, reg, off, size, v.env.maps[reg.mapIndex]!.keySize, 'map_key');
      if (valueRegno >= 0) regs[valueRegno] = v.newScalar();
      break;
    }
    case 'PTR_TO_CTX': {
      if (reg.off < 0) v.fail(EACCES, `negative offset ${name()} ptr R${regno} off=${reg.off} disallowed`);
      if (reg.off)
        v.fail(EACCES, `dereference of modified ${name()} ptr R${regno} off=${reg.off} disallowed`);
      if (reg.varOff.mask !== 0n || reg.varOff.value) {
        v.fail(
          EACCES,
          `variable ${name()} access var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) disallowed`,
        );
      }
      const info = v.env.ops.isValidAccess(off, size, t, { isLdsx });
      if (!info) v.fail(EACCES, `invalid bpf_context access off=${off} size=${size}`);
      if (info.ctxFieldSize) v.env.aux[idx]!.ctxFieldSize = info.ctxFieldSize;
      if (t === 'write' && v.env.progType === 'sched_cls') {
        // nothing extra: tc ctx writes are converted by convert_ctx_access
      }
      if (t === 'read' && valueRegno >= 0) {
        if (info.regType === 'SCALAR_VALUE') {
          regs[valueRegno] = v.newScalar();
        } else {
          const base = info.regType.replace(/_OR_NULL$/, '') as RegState['type'];
          const r = v.markKnownZeroPtr(valueRegno, base);
          if (info.regType.endsWith('_OR_NULL') || info.maybeNull) {
            r.maybeNull = true;
            r.id = ++v.idGen;
          }
          if (base === 'PTR_TO_BTF_ID') {
            r.btfId = info.btfId ?? 0;
            if (info.trusted) r.flags = ['trusted'];
            const ref = v.ctxArgRefs.get(off);
            if (ref !== undefined) {
              if (!v.cur.refs.some((x) => x.id === ref))
                v.fail(EACCES, `invalid bpf_context access off=${off}. Reference may already be released`);
              r.refObjId = ref;
            }
          }
        }
      }
      break;
    }
    case 'PTR_TO_STACK':
      checkStackAccessWithinBounds(v, regno, reg, off, size, t);
      if (t === 'read') checkStackRead(v, regno, reg, off, size, valueRegno);
      else checkStackWrite(v, regno, reg, off, size, valueRegno, stInsn);
      break;
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META': {
      if (t === 'write') {
        if (!v.env.ops.directPacketWrite) v.fail(EACCES, 'cannot write into packet');
        v.seenDirectWrite = true;
      }
      checkPacketAccess(v, regno, reg, off, size);
      if (t === 'read' && valueRegno >= 0) regs[valueRegno] = v.newScalar();
      break;
    }
    case 'PTR_TO_BTF_ID':
      if (reg.maybeNull) v.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
      checkPtrToBtfAccess(v, regno, reg, off, size, t, valueRegno);
      break;
    case 'CONST_PTR_TO_MAP':
      v.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
      break;
    case 'PTR_TO_SOCK_COMMON': {
      // check_sock_access: the struct bpf_sock view, rewritten by convert_ctx_accesses
      if (t === 'write') v.fail(EACCES, `R${regno} cannot write into ${name()}`);
      if (reg.smin < 0n)
        v.fail(
          EACCES,
          `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
        );
      const info = sockCommonIsValidAccess(kernelLayout(v.env.btf!), off, size, t);
      if (!info) v.fail(EACCES, `R${regno} invalid ${name()} access off=${off} size=${size}`);
      const aux = v.env.aux[idx]!;
      aux.ptrType = 'PTR_TO_SOCK_COMMON';
      if (info.ctxFieldSize) aux.ctxFieldSize = info.ctxFieldSize;
      if (valueRegno >= 0) regs[valueRegno] = v.newScalar();
      break;
    }
    default:
      v.fail(EACCES, `R${regno} invalid mem access '${name()}'`);
  }
  const val = valueRegno >= 0 ? regs[valueRegno] : undefined;
  if (val && size < BPF_REG_SIZE && t === 'read' && val.type === 'SCALAR_VALUE') {
    if (!isLdsx) coerceRegToSize(val, size);
    else {
      // A byte or half-word fill whose sign extension may change the value is no copy of the
      // slot any more (Linux 6.18 keeps the link of a 4-byte one: ptype-0705 vs random-0630).
      if (val.id && size < 4 && val.umax >= 1n << BigInt(size * 8 - 1)) val.id = 0;
      coerceRegToSizeSx(val, size);
    }
  }
}

export function checkMemRegionAccess(
  v: Verifier,
  regno: number,
  reg: RegState,
  off: number,
  size: number,
  memSize: number,
  kind: string,
): void {
  const o = BigInt(off);
  if (
    reg.smin < 0n &&
    (reg.smin === S64_MIN || o + reg.smin !== BigInt.asIntN(32, o + reg.smin) || reg.smin + o < 0n)
  ) {
    v.fail(
      EACCES,
      `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
    );
  }
  if (!memOk(reg.smin + o, size, memSize)) {
    memErr(v, regno, reg, Number(reg.smin + o), size, memSize, kind);
    v.fail(EACCES, `R${regno} min value is outside of the allowed memory range`);
  }
  if (reg.umax >= BPF_MAX_VAR_OFF) {
    v.fail(EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  }
  if (!memOk(reg.umax + o, size, memSize)) {
    memErr(v, regno, reg, Number(reg.umax + o), size, memSize, kind);
    v.fail(EACCES, `R${regno} max value is outside of the allowed memory range`);
  }
}

export function memOk(off: bigint, size: number, memSize: number): boolean {
  return off >= 0n && size > 0 && off + BigInt(size) <= BigInt(memSize);
}

export function memErr(
  v: Verifier,
  regno: number,
  reg: RegState,
  off: number,
  size: number,
  memSize: number,
  kind: string,
): void {
  if (kind === 'map_value')
    v.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}\n`);
  else if (kind === 'map_key')
    v.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}\n`);
  else if (kind === 'packet') {
    v.verbose(
      `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})\n`,
    );
  } else v.verbose(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}\n`);
}

export function checkPacketAccess(
  v: Verifier,
  regno: number,
  reg: RegState,
  off: number,
  size: number,
): void {
  if (reg.smin < 0n) {
    v.fail(
      EACCES,
      `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
    );
  }
  if (reg.range < 0 || !memOk(BigInt(off), size, reg.range)) {
    if (reg.range >= 0) memErr(v, regno, reg, off, size, reg.range, 'packet');
    v.fail(EACCES, `R${regno} offset is outside of the packet`);
  }
}

export function checkStackAccessWithinBounds(
  v: Verifier,
  regno: number,
  reg: RegState,
  off: number,
  size: number,
  t: 'read' | 'write' | 'helper',
): void {
  let minOff: bigint;
  let maxOff: bigint;
  const extra = t === 'read' ? ' read from' : t === 'write' ? ' write to' : ' indirect access to';
  if (reg.varOff.mask === 0n) {
    minOff = BigInt.asIntN(64, reg.varOff.value) + BigInt(off);
    maxOff = minOff + BigInt(size);
  } else {
    if (reg.smax >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
      v.fail(EACCES, `invalid unbounded variable-offset${extra} stack R${regno}`);
    }
    minOff = reg.smin + BigInt(off);
    maxOff = reg.smax + BigInt(off) + BigInt(size);
  }
  let errno = 0;
  void 0;
  if (minOff < -MAX_BPF_STACK || minOff > -1n) errno = EACCES;
  else if (maxOff > 0n) errno = EINVAL;
  else if (size < 0) errno = EINVAL;
  if (errno) {
    if (reg.varOff.mask === 0n) v.fail(errno, `invalid${extra} stack R${regno} off=${off} size=${size}`);
    v.fail(
      errno,
      `invalid variable-offset${extra} stack R${regno} var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) off=${off} size=${size}`,
    );
  }
  // grow_stack_state: the subprogram's stack depth is the deepest slot touched, in 8-byte units.
  const frame = stackFrame(v, reg);
  const depth = Math.ceil(Number(-minOff) / 8) * 8;
  const sp = v.env.subprogs[frame.subprogno];
  if (sp && sp.stackDepth < depth) sp.stackDepth = depth;
}

export function stackFrame(v: Verifier, reg: RegState): FuncState {
  return v.cur.frames[reg.frameno]!;
}

export function checkStackWrite(
  v: Verifier,
  _regno: number,
  reg: RegState,
  off: number,
  size: number,
  valueRegno: number,
  stInsn?: Insn,
): void {
  const state = stackFrame(v, reg);
  if (reg.varOff.mask === 0n) {
    off += Number(BigInt.asIntN(64, reg.varOff.value));
    const slot = -off - 1;
    const spi = Math.floor(slot / BPF_REG_SIZE);
    growStack(state, spi);
    v.scratch.slots.add(spi);
    // Only a whole aligned slot counts as written: a partial write leaves older bytes readable.
    if (off % BPF_REG_SIZE === 0 && size === BPF_REG_SIZE) {
      v.stackLive?.markWrite(spi);
      v.stackLiveCc?.markWrite(state.frameno, spi);
    }
    const value = valueRegno >= 0 ? v.regs()[valueRegno]! : undefined;
    const st = state.stack[spi]!;
    if (value && off % BPF_REG_SIZE === 0 && value.type === 'SCALAR_VALUE') {
      const fits = regWidth(value) <= 8 * size;
      if (fits) v.assignScalarIdBeforeMov(value);
      saveRegisterState(st, value, size);
      if (!fits) st.spilled.id = 0;
      recordStack(v, state.frameno, spi);
    } else if (!value && off % BPF_REG_SIZE === 0 && stInsn) {
      saveRegisterState(st, scalarKnown(BigInt(stInsn.imm)), size);
      recordStack(v, state.frameno, spi);
    } else if (value && value.type !== 'SCALAR_VALUE') {
      if (size !== BPF_REG_SIZE) v.fail(EACCES, 'invalid size of register spill');
      saveRegisterState(st, value, size);
      recordStack(v, state.frameno, spi);
    } else {
      let type = STACK_MISC;
      st.spilled = notInitReg();
      st.spilled.frameno = state.frameno;
      // scrub_spilled_slot: in a spilled slot every written byte becomes misc (invalid ones stay)
      if (st.slotType[7] === STACK_SPILL)
        for (let i = 0; i < 8; i++) if (st.slotType[i] !== STACK_INVALID) st.slotType[i] = STACK_MISC;
      const isZero =
        (value && value.type === 'SCALAR_VALUE' && value.varOff.mask === 0n && value.varOff.value === 0n) ||
        (!value && stInsn && stInsn.imm === 0);
      if (isZero) {
        if (value) markChainPrecision(v, valueRegno);
        type = STACK_ZERO;
      }
      for (let i = 0; i < size; i++) st.slotType[(((slot - i) % 8) + 8) % 8] = type;
    }
    return;
  }
  // Variable offset write: every byte it may touch becomes misc (or zero when writing zero).
  const value = valueRegno >= 0 ? v.regs()[valueRegno]! : undefined;
  const writeZero =
    (value && value.varOff.mask === 0n && value.varOff.value === 0n && value.type === 'SCALAR_VALUE') ||
    (!value && stInsn && stInsn.imm === 0);
  const minOff = Number(reg.smin) + off;
  const maxOff = Number(reg.smax) + off + size;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = Math.floor(slot / BPF_REG_SIZE);
    growStack(state, spi);
    const st = state.stack[spi]!;
    const j = slot % BPF_REG_SIZE;
    if (st.slotType[7] === STACK_SPILL || st.slotType[j] === STACK_SPILL) {
      for (let k = 0; k < 8; k++) if (st.slotType[k] === STACK_SPILL) st.slotType[k] = STACK_MISC;
      st.spilled = notInitReg();
    }
    if (!(writeZero && st.slotType[j] === STACK_ZERO)) {
      st.slotType[j] = STACK_MISC;
    }
    v.scratch.slots.add(spi);
  }
}

export function saveRegisterState(
  st: { spilled: RegState; slotType: number[] },
  reg: RegState,
  size: number,
): void {
  st.spilled = copyReg(reg);
  if (size !== BPF_REG_SIZE && reg.type === 'SCALAR_VALUE') {
    // narrow spill keeps the full register state, as __mark_reg_known does for fake regs
  }
  let i = BPF_REG_SIZE;
  for (; i > BPF_REG_SIZE - size; i--) st.slotType[i - 1] = STACK_SPILL;
  for (; i; i--) {
    const t = st.slotType[i - 1]!;
    if (t === STACK_ZERO || t === STACK_INVALID) continue;
    st.slotType[i - 1] = STACK_MISC;
  }
}

export function recordStack(v: Verifier, _frame: number, spi: number): void {
  const h = v.cur.hist;
  if (h >= 0) v.hist.spi[h] = spi;
}

export function checkStackRead(
  v: Verifier,
  _regno: number,
  reg: RegState,
  off: number,
  size: number,
  dstRegno: number,
): void {
  const state = stackFrame(v, reg);
  if (reg.varOff.mask !== 0n) {
    // check_stack_read_var_off: every byte must be initialized or uninit-allowed; result unknown.
    const minOff = Number(reg.smin) + off;
    const maxOff = Number(reg.smax) + off + size;
    let zeros = 0;
    let nonZero = false;
    for (let i = minOff; i < maxOff; i++) {
      const slot = -i - 1;
      const spi = Math.floor(slot / BPF_REG_SIZE);
      markStackRead(v, spi, state.frameno);
      const st = state.stack[spi];
      const t = st ? st.slotType[slot % BPF_REG_SIZE]! : STACK_INVALID;
      // mark_reg_stack_read scratches the slots up to the first byte that is not zero.
      if (!nonZero) v.scratch.slots.add(spi);
      if (t === STACK_ZERO) zeros++;
      else nonZero = true;
    }
    if (dstRegno >= 0) {
      const r = v.newScalar();
      if (zeros === maxOff - minOff) markRegKnown(r, 0n);
      v.regs()[dstRegno] = r;
    }
    return;
  }
  off += Number(BigInt.asIntN(64, reg.varOff.value));
  const slot = -off - 1;
  const spi = Math.floor(slot / BPF_REG_SIZE);
  v.scratch.slots.add(spi);
  markStackRead(v, spi, state.frameno);
  growStack(state, spi);
  const st = state.stack[spi]!;
  const stype = st.slotType;
  const sreg = st.spilled;
  if (stype[7] === STACK_SPILL) {
    let spillSize = 1;
    for (let i = BPF_REG_SIZE - 1; i > 0 && stype[i - 1] === STACK_SPILL; i--) spillSize++;
    if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
      if (sreg.type !== 'SCALAR_VALUE') v.fail(EACCES, 'invalid size of register fill');
      if (dstRegno < 0) return;
      const narrowOk = off % BPF_REG_SIZE === 0 || false;
      if (size <= spillSize && narrowOk) {
        if (size === 4 && spillSize === 4 && regWidth(sreg) <= 32) v.assignScalarIdBeforeMov(sreg);
        const r = copyReg(sreg);
        r.frameno = curFunc(v.cur).frameno;
        // A narrowing fill breaks the link; one that keeps every bit of the value does not.
        if (regWidth(sreg) > size * 8) r.id = 0;
        v.regs()[dstRegno] = r;
        recordStack(v, state.frameno, spi);
      } else {
        let spillCnt = 0;
        let zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = stype[(((slot - i) % 8) + 8) % 8]!;
          if (t === STACK_SPILL) spillCnt++;
          else if (t === STACK_ZERO) zeroCnt++;
        }
        const r = v.newScalar();
        if (spillCnt === size && sreg.varOff.mask === 0n && sreg.varOff.value === 0n) {
          markRegKnown(r, 0n);
          recordStack(v, state.frameno, spi);
        } else if (zeroCnt === size) markRegKnown(r, 0n);
        v.regs()[dstRegno] = r;
      }
    } else if (dstRegno >= 0) {
      const r = copyReg(sreg);
      v.regs()[dstRegno] = r;
      recordStack(v, state.frameno, spi);
    }
    return;
  }
  let zeros = 0;
  for (let i = 0; i < size; i++) {
    const t = stype[(((slot - i) % 8) + 8) % 8]!;
    if (t === STACK_ZERO) zeros++;
  }
  if (dstRegno >= 0) {
    const r = v.newScalar();
    if (zeros === size) markRegKnown(r, 0n);
    v.regs()[dstRegno] = r;
  }
}

export function checkPtrToBtfAccess(
  v: Verifier,
  regno: number,
  reg: RegState,
  off: number,
  size: number,
  t: 'read' | 'write',
  valueRegno: number,
): void {
  const tname = v.printCtx.btfName(reg.btfId);
  if (off < 0) v.fail(EACCES, `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (reg.varOff.mask !== 0n || reg.varOff.value) {
    v.fail(
      EACCES,
      `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)})`,
    );
  }
  const btf = v.env.btf?.vmlinux.btf;
  if (!btf) v.fail(EACCES, `R${regno} invalid mem access 'ptr_'`);
  if (t === 'write') {
    // btf_struct_access: only the subsystem's verifier_ops may let a program write.
    const access = v.env.ops.btfStructAccess;
    const err = access ? access(reg.btfId, off, size) : 'only read is supported';
    // An empty reason: the subsystem refuses with -EACCES and logs nothing.
    if (err === '') throw new VerifierError(EACCES, '', true);
    if (err) v.fail(EACCES, err);
    return;
  }
  const res = btfStructWalk(btf, reg.btfId, off, size);
  if (typeof res === 'string') v.fail(EACCES, res);
  if (valueRegno >= 0) {
    if (res.ptrTo === undefined) v.regs()[valueRegno] = v.newScalar();
    else {
      const base = reg;
      const r = v.markKnownZeroPtr(valueRegno, 'PTR_TO_BTF_ID');
      r.btfId = res.ptrTo;
      if (base.flags.includes('untrusted')) r.flags = ['untrusted'];
      // check_ptr_to_btf_access: from a trusted or RCU pointer inside an RCU critical section
      // (an explicit lock, or any non-sleepable program), listed fields are RCU pointers and
      // __rcu-tagged ones RCU pointers that may be NULL.
      const inRcuCs = v.cur.activeRcuLock || !v.env.sleepable;
      const trustedOrRcu = base.flags.includes('trusted') || base.flags.includes('rcu');
      if (trustedOrRcu && !base.maybeNull && inRcuCs) {
        if (SAFE_RCU[tname]?.includes(res.field ?? '')) r.flags = ['rcu'];
        else if (res.rcuTag) {
          r.flags = ['rcu'];
          r.maybeNull = true;
          r.id = ++v.idGen;
        }
      }
    }
  }
}

export function checkAtomic(v: Verifier, insn: Insn, idx: number): void {
  const imm = insn.imm;
  const rmw = [0x00, 0x01, 0x50, 0x51, 0x40, 0x41, 0xa0, 0xa1, BPF_XCHG, BPF_CMPXCHG];
  if (!rmw.includes(imm)) {
    v.fail(EINVAL, `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
  }
  if (BPF_SIZE(insn.code) !== BPF_W && BPF_SIZE(insn.code) !== BPF_DW)
    v.fail(EINVAL, 'invalid atomic operand size');
  v.checkRegArg(insn.src, 'src');
  v.checkRegArg(insn.dst, 'src');
  if (imm === BPF_CMPXCHG) v.checkRegArg(0, 'src');
  const dreg = v.regs()[insn.dst]!;
  if (
    ['PTR_TO_CTX', 'PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON'].includes(
      dreg.type,
    )
  ) {
    v.fail(EACCES, `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dreg, v.printCtx)} is not allowed`);
  }
  let loadReg = -1;
  if (imm & BPF_FETCH) {
    loadReg = imm === BPF_CMPXCHG ? 0 : insn.src;
    v.checkRegArg(loadReg, 'dst');
  }
  const size = sizeBytes(BPF_SIZE(insn.code));
  checkMemAccess(v, idx, insn.dst, insn.off, size, 'read', -1, false);
  if (loadReg >= 0) checkMemAccess(v, idx, insn.dst, insn.off, size, 'read', loadReg, false);
  checkMemAccess(v, idx, insn.dst, insn.off, size, 'write', -1, false);
  // A 32-bit cmpxchg defines only w0: the zero extension is patched in when r0 is read whole.
  if (imm === BPF_CMPXCHG && size === 4) v.regs()[0]!.subregDef = idx;
}

export function checkLdImm(v: Verifier, insn: Insn, idx: number): void {
  if (BPF_SIZE(insn.code) !== BPF_DW) v.fail(EINVAL, 'invalid BPF_LD_IMM insn');
  if (insn.off !== 0) v.fail(EINVAL, 'BPF_LD_IMM64 uses reserved fields');
  v.checkRegArg(insn.dst, 'dst');
  if (insn.src === 0) {
    const lo = BigInt(insn.imm >>> 0);
    const hi = BigInt(v.env.insns[idx + 1]!.imm >>> 0);
    const r = v.newScalar();
    markRegKnown(r, (hi << 32n) | lo);
    v.regs()[insn.dst] = r;
    return;
  }
  if (insn.src === 3) {
    // A kernel function's address by BTF id (check_pseudo_btf_id let only FUNCs through).
    const r = v.markKnownZeroPtr(insn.dst, 'PTR_TO_MEM');
    r.flags = ['rdonly'];
    r.memSize = 0;
    return;
  }
  if (insn.src === BPF_PSEUDO_FUNC) {
    // A callback's address: only a static function of a load with func_info.
    const target = idx + insn.imm + 1;
    const subprogno = v.env.subprogs.findIndex((s) => s.start === target);
    const fa = v.env.funcs?.[subprogno];
    if (!v.env.funcs) v.fail(EINVAL, 'missing btf func_info');
    if (fa?.linkage !== BTF_FUNC_STATIC) v.fail(EINVAL, 'callback function not static');
    const r = v.markKnownZeroPtr(insn.dst, 'PTR_TO_FUNC');
    r.btfId = subprogno;
    return;
  }
  const aux = v.env.aux[idx]!;
  const mi = aux.mapIndex ?? 0;
  if (insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
    const r = v.markKnownZeroPtr(insn.dst, 'PTR_TO_MAP_VALUE');
    r.mapIndex = mi;
    r.off = v.env.insns[idx + 1]!.imm;
  } else {
    const r = v.markKnownZeroPtr(insn.dst, 'CONST_PTR_TO_MAP');
    r.mapIndex = mi;
  }
}

export function checkLdAbs(v: Verifier, insn: Insn): void {
  if (!v.env.ops.mayAccessSkb)
    v.fail(EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = BPF_MODE(insn.code);
  if (
    insn.dst !== 0 ||
    insn.off !== 0 ||
    BPF_SIZE(insn.code) === BPF_DW ||
    (mode === BPF_ABS && insn.src !== 0)
  ) {
    v.fail(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
  }
  v.checkRegArg(6, 'src');
  if (v.cur.refs.length) v.fail(EINVAL, 'BPF_LD_[ABS|IND] cannot be mixed with socket references');
  if (v.cur.activeRcuLock)
    v.fail(EINVAL, 'BPF_LD_[ABS|IND] cannot be used inside bpf_rcu_read_lock-ed region');
  if (v.regs()[6]!.type !== 'PTR_TO_CTX')
    v.fail(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (mode === BPF_IND) v.checkRegArg(insn.src, 'src');
  for (const r of CALLER_SAVED) {
    v.regs()[r] = notInitReg();
    v.markRegScratched(r);
  }
  v.regs()[0] = v.newScalar();
}

export function skipMods(btf: Btf, id: number): number {
  for (let d = 0; d < 32; d++) {
    const k = btf.kindOf(id);
    if (k !== 8 && k !== 9 && k !== 10 && k !== 11 && k !== 18) return id;
    id = btf.sizeOrTypeOf(id);
  }
  return id;
}

export function sizeOfType(btf: Btf, id: number): number {
  const t = btf.type(skipMods(btf, id));
  if ('size' in t && typeof t.size === 'number') return t.size;
  if (t.kind === 'PTR') return 8;
  if (t.kind === 'ARRAY') return t.nelems * sizeOfType(btf, t.type);
  return 0;
}

/**
 * __btf_type_is_scalar_struct: every member an int/enum, an array of them, or a struct of them,
 * nested at most three deep (deeper says so in the log and fails).
 */
export function isScalarStruct(btf: Btf, id: number, log?: (s: string) => void, depth = 0): boolean {
  const t = btf.type(skipMods(btf, id));
  if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return false;
  for (const m of t.members) {
    const mt = btf.type(skipMods(btf, m.type));
    if (mt.kind === 'STRUCT' || mt.kind === 'UNION') {
      if (depth >= 3) {
        log?.('max struct nesting depth exceeded\n');
        return false;
      }
      if (!isScalarStruct(btf, m.type, log, depth + 1)) return false;
      continue;
    }
    if (mt.kind === 'INT' || mt.kind === 'ENUM' || mt.kind === 'ENUM64') continue;
    if (mt.kind === 'ARRAY') {
      const et = btf.type(skipMods(btf, mt.type));
      if (et.kind === 'INT' || et.kind === 'ENUM') continue;
    }
    return false;
  }
  return true;
}

/** btf_struct_ids_match: the same struct, or the first member (at offset 0) chain reaches it. */
export function btfStructIdsMatch(btf: Btf, have: number, want: number): boolean {
  let id = skipMods(btf, have);
  const target = skipMods(btf, want);
  for (let d = 0; d < 8; d++) {
    if (id === target) return true;
    const t = btf.type(id);
    if (t.kind !== 'STRUCT' || !t.members.length || t.members[0]!.bitOffset !== 0) return false;
    id = skipMods(btf, t.members[0]!.type);
  }
  return false;
}

/** Whether a pointee's modifiers hold the `rcu` type tag (__rcu). */
function hasRcuTag(btf: Btf, id: number): boolean {
  for (let d = 0; d < 32; d++) {
    const k = btf.kindOf(id);
    if (k !== 8 && k !== 9 && k !== 10 && k !== 11 && k !== 18) return false;
    if (k === 18 && btf.type(id).name === 'rcu') return true;
    id = btf.sizeOrTypeOf(id);
  }
  return false;
}

/** BTF_TYPE_SAFE_RCU: fields the verifier takes as RCU-protected and non-NULL. */
const SAFE_RCU: Readonly<Record<string, readonly string[]>> = {
  task_struct: ['cpus_ptr', 'cgroups', 'real_parent', 'group_leader'],
};

/** btf_struct_walk for reads: scalar, or a pointer member loaded whole. */
function btfStructWalk(
  btf: Btf,
  structId: number,
  off: number,
  size: number,
): { ptrTo?: number; field?: string; rcuTag?: boolean } | string {
  let id = skipMods(btf, structId);
  let o = off;
  const top = btf.type(id);
  const tname = top.name;
  const tsize = 'size' in top ? (top.size as number) : 0;
  if (off + size > tsize) return `access beyond struct ${tname} at off ${off} size ${size}`;
  for (let d = 0; d < 16; d++) {
    const t = btf.type(id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return {};
    // Every struct the walk enters must hold the whole access (a member struct at the
    // access's offset is entered too: a wide access ends up beyond the innermost one).
    if (d > 0 && o + size > t.size) return `access beyond struct ${t.name} at off ${o} size ${size}`;
    let found = false;
    for (const m of t.members) {
      const mOff = Math.floor(m.bitOffset / 8);
      const mt = btf.type(skipMods(btf, m.type));
      const msz = sizeOfType(btf, m.type);
      if (o < mOff || o >= mOff + Math.max(msz, 1)) continue;
      if (m.bitfieldSize) return {};
      if (mt.kind === 'PTR') {
        if (o === mOff && size === 8) {
          const pt = skipMods(btf, mt.type);
          const pk = btf.type(pt).kind;
          if (pk === 'STRUCT' || pk === 'UNION')
            return { ptrTo: pt, field: m.name, rcuTag: hasRcuTag(btf, mt.type) };
          return {};
        }
        return {};
      }
      if (mt.kind === 'STRUCT' || mt.kind === 'UNION') {
        id = skipMods(btf, m.type);
        o -= mOff;
        found = true;
        break;
      }
      return {};
    }
    if (!found) return {};
  }
  return {};
}
