// Calls: check_helper_call with its argument checks, check_kfunc_call, check_func_call for
// bpf-to-bpf subprograms, and prepare_func_exit / the program's exit.
import { KF_ACQUIRE, KF_RCU, KF_RELEASE, KF_RET_NULL, KF_SLEEPABLE, KF_TRUSTED_ARGS } from '../btf/kfuncs';
import { BPF_FUNC_MAX_ID, funcIdName } from '../isa/helper-names';
import type { Insn } from '../isa/insn';
import { BTF_FUNC_GLOBAL, prepareFuncArgs, type SubprogArg } from './btf-func';
import { forEachReg } from './cond-jmp';
import type { Verifier } from './do-check';
import { printFuncState, regTypeStr } from './log';
import {
  btfStructIdsMatch,
  checkMemRegionAccess,
  checkPacketAccess,
  checkPtrToBtfAccess,
  checkStackAccessWithinBounds,
  isScalarStruct,
  sizeOfType,
  skipMods,
  stackFrame,
} from './mem-access';
import type { BpfArgType, BpfFuncProto } from './ops';
import { backtrack, markChainPrecision } from './precision';
import type { ProgTypeName } from './progtypes/names';
import { BPF_PROG_TYPE_ID } from './progtypes/prog-type-id';
import { copyReg, markRegKnown, markRegUnknown, notInitReg, type RegState, regBoundsSync } from './reg';
import {
  BPF_REG_SIZE,
  curFunc,
  type FuncState,
  growStack,
  newFuncState,
  STACK_INVALID,
  STACK_MISC,
  STACK_SPILL,
  STACK_ZERO,
} from './state';
import { markStackRead } from './state-pruning';
import { E2BIG, EACCES, EFAULT, EINVAL, ENOTSUPP, VerifierError } from './verifier-error';

const MAX_CALL_FRAMES = 8;

interface CallMeta {
  mapIndex: number;
  rawMode: boolean;
  regno: number;
  accessSize: number;
  constSizeRegs: number[];
  /** get_constant_map_key: the key when it is a known constant on the stack. */
  constMapKey?: bigint;
  /** ARG_PTR_TO_FUNC: the callback's subprogram. */
  subprogno?: number;
}

export const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

/** The kernel context struct bpf_cast_to_kern_ctx returns, by program type (bpf_types.h). */
const KERN_CTX_STRUCT: Readonly<Record<string, string>> = {
  socket_filter: 'sk_buff',
  sched_cls: 'sk_buff',
  sched_act: 'sk_buff',
  cgroup_skb: 'sk_buff',
  xdp: 'xdp_buff',
  kprobe: 'pt_regs',
};

export function checkHelperCall(v: Verifier, insn: Insn, idx: number): void {
  const funcId = insn.imm;
  if (funcId < 0 || funcId >= BPF_FUNC_MAX_ID) v.fail(EINVAL, `invalid func ${funcIdName(funcId)}#${funcId}`);
  const fn = v.env.ops.getFuncProto(funcId);
  if (!fn) v.fail(EINVAL, `program of this type cannot use helper ${funcIdName(funcId)}#${funcId}`);
  if (fn.mightSleep && !v.env.sleepable) v.fail(EINVAL, 'helper call might sleep in a non-sleepable prog');
  if (v.cur.activeRcuLock && fn.mightSleep)
    v.fail(EINVAL, `sleepable helper ${funcIdName(funcId)}#${funcId} in rcu_read_lock region`);
  const meta: CallMeta = { mapIndex: -1, rawMode: false, regno: 0, accessSize: 0, constSizeRegs: [] };
  for (let i = 0; i < 5; i++) checkFuncArg(v, i, fn, meta, idx);
  if (meta.mapIndex >= 0) {
    const aux = v.env.aux[idx]!;
    if (aux.mapIndex === undefined) aux.mapIndex = meta.mapIndex;
    else if (aux.mapIndex !== meta.mapIndex) aux.mapPtrPoisoned = true;
    if (fn.name === 'bpf_tail_call') {
      // record_func_key: a constant index within the map is relied upon, so it is made precise.
      const r3 = v.regs()[3]!;
      const inRange =
        r3.type === 'SCALAR_VALUE' &&
        r3.varOff.mask === 0n &&
        r3.varOff.value < BigInt(v.env.maps[meta.mapIndex]!.maxEntries);
      if (inRange) markChainPrecision(v, 3);
      const key = inRange ? Number(r3.varOff.value) : undefined;
      if (key === undefined) {
        aux.mapKeyConst = undefined;
        (aux as { mapKeyVaries?: boolean }).mapKeyVaries = true;
      } else if (aux.mapKeyConst === undefined && !('mapKeyVaries' in aux)) aux.mapKeyConst = key;
      else if (aux.mapKeyConst !== key) {
        aux.mapKeyConst = undefined;
        (aux as { mapKeyVaries?: boolean }).mapKeyVaries = true;
      }
    }
  }
  if (fn.name === 'bpf_tail_call') {
    if (v.cur.refs.length) v.fail(EINVAL, 'tail_call would lead to reference leak');
    if (v.cur.activeRcuLock) v.fail(EINVAL, 'tail_call cannot be used inside bpf_rcu_read_lock-ed region');
    if (v.cur.curframe > 0) {
      // Tail calls from subprograms need program BTF (func_info) in the kernel.
    }
  }
  if (fn.name === 'bpf_loop') checkLoopCall(v, idx, meta.subprogno!);
  if (fn.name === 'bpf_for_each_map_elem') pushCallbackCall(v, idx, meta.subprogno!, setMapElemCallbackState);
  if (fn.name === 'bpf_find_vma') pushCallbackCall(v, idx, meta.subprogno!, setFindVmaCallbackState);
  const regs = v.regs();
  for (const r of CALLER_SAVED) {
    regs[r] = notInitReg();
    regs[r]!.frameno = curFunc(v.cur).frameno;
    v.markRegScratched(r);
  }
  switch (fn.ret) {
    case 'RET_INTEGER':
      regs[0] = v.newScalar();
      if (fn.name === 'bpf_get_smp_processor_id') refineCpuId(regs[0]!);
      break;
    case 'RET_VOID':
      break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      const r = v.markKnownZeroPtr(0, 'PTR_TO_MAP_VALUE');
      r.mapIndex = meta.mapIndex;
      const map = v.env.maps[meta.mapIndex];
      // An array lookup with a constant in-bounds key cannot fail (v6.18).
      const elide =
        fn.name === 'bpf_map_lookup_elem' &&
        map?.type === 'array' &&
        meta.constMapKey !== undefined &&
        meta.constMapKey < BigInt(map.maxEntries);
      if (!elide) {
        r.maybeNull = true;
        r.id = ++v.idGen;
      }
      break;
    }
    case 'RET_PTR_TO_MEM_OR_NULL':
    case 'RET_PTR_TO_BTF_ID_OR_NULL':
      regs[0] = v.newScalar();
      break;
    case 'RET_PTR_TO_BTF_ID_TRUSTED': {
      const r = v.markKnownZeroPtr(0, 'PTR_TO_BTF_ID');
      r.btfId = v.env.btf?.vmlinux.btf.findByName(fn.retBtfStruct!, 'STRUCT') ?? 0;
      r.flags = ['trusted'];
      break;
    }
  }
  if (fn.name === 'bpf_tail_call' && v.cur.curframe > 0) {
    // A tail call from a subprogram (needs func_info): if it jumps, the subprogram returns
    // the other program's R0; the branch that falls through goes on after the call.
    v.pushStack(idx + 1, idx);
    clearAllPktPointers(v);
    regs[0] = v.newScalar();
    prepareFuncExit(v);
    v.clearScratch();
    v.insnIdx--;
  }
  checkMapFuncCompatibility(v, meta.mapIndex, fn);
  if (fn.changesPktData) clearAllPktPointers(v);
  if (fn.name === 'bpf_get_func_ip') checkGetFuncIp(v, funcId);
}

/** The machine the corpus was judged on has 2 CPUs (nr_cpu_ids; its logs show R0 in [0, 1]). */
const NR_CPU_IDS = 2n;

/** do_refine_retval_range: bpf_get_smp_processor_id returns a CPU number below nr_cpu_ids. */
function refineCpuId(r: RegState): void {
  r.smin = 0n;
  r.umin = 0n;
  r.s32min = 0n;
  r.u32min = 0n;
  r.smax = NR_CPU_IDS - 1n;
  r.umax = NR_CPU_IDS - 1n;
  r.s32max = NR_CPU_IDS - 1n;
  r.u32max = NR_CPU_IDS - 1n;
  regBoundsSync(r);
}

/** check_get_func_ip: only kprobe programs (and fentry-style tracing, not modelled) know their ip. */
function checkGetFuncIp(v: Verifier, funcId: number): void {
  if (v.env.progType === 'kprobe') return;
  const type = BPF_PROG_TYPE_ID[v.env.progType];
  v.fail(ENOTSUPP, `func ${funcIdName(funcId)}#${funcId} not supported for program type ${type}`);
}

export function checkMapFuncCompatibility(v: Verifier, mapIndex: number, fn: BpfFuncProto): void {
  if (mapIndex < 0) {
    if (fn.name === 'bpf_tail_call') v.fail(EINVAL, 'expected prog array map for tail call');
    return;
  }
  const map = v.env.maps[mapIndex]!;
  const tname = map.type === 'array' ? 2 : map.type === 'hash' ? 1 : 3;
  if (map.type === 'prog_array' && fn.name !== 'bpf_tail_call') {
    v.fail(EINVAL, `cannot pass map_type ${tname} into func ${fn.name}#${fn.id}`);
  }
  // check_map_func_compatibility: the socket-storage helpers take only a BPF_MAP_TYPE_SK_STORAGE
  // map, a type the modelled loads do not create yet.
  if (fn.name === 'bpf_sk_storage_get' || fn.name === 'bpf_sk_storage_delete')
    v.fail(EINVAL, `cannot pass map_type ${tname} into func ${fn.name}#${fn.id}`);
  if (fn.name === 'bpf_tail_call' && map.type !== 'prog_array') {
    // The kernel's message has no newline: the statistics line follows on the same line.
    v.log.write('expected prog array map for tail call');
    throw new VerifierError(EINVAL, 'expected prog array map for tail call', true);
  }
}

export function clearAllPktPointers(v: Verifier): void {
  for (const f of v.cur.frames) {
    for (let i = 0; i < f.regs.length; i++) {
      const r = f.regs[i]!;
      if (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END') {
        const n = notInitReg();
        n.type = 'SCALAR_VALUE';
        n.frameno = r.frameno;
        f.regs[i] = n;
      }
    }
    for (const s of f.stack) {
      const r = s.spilled;
      if (
        s.slotType[7] === STACK_SPILL &&
        (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END')
      ) {
        s.spilled = notInitReg();
        s.spilled.type = 'SCALAR_VALUE';
      }
    }
  }
}

export function checkFuncArg(v: Verifier, arg: number, fn: BpfFuncProto, meta: CallMeta, idx: number): void {
  const argType: BpfArgType = fn.args[arg] ?? 'ARG_DONTCARE';
  const flags = fn.argFlags?.[arg] ?? [];
  const regno = arg + 1;
  if (argType === 'ARG_DONTCARE') return;
  v.checkRegArg(regno, 'src');
  const reg = v.regs()[regno]!;
  if (argType === 'ARG_ANYTHING') return;
  const maybeNullArg = flags.includes('PTR_MAYBE_NULL') || argType.endsWith('_OR_NULL');
  const isNull = reg.type === 'SCALAR_VALUE' && reg.varOff.mask === 0n && reg.varOff.value === 0n;
  if (!(isNull && maybeNullArg)) checkRegType(v, regno, reg, argType, flags, fn.argBtfStruct?.[arg]);
  switch (argType) {
    case 'ARG_CONST_MAP_PTR':
      meta.mapIndex = reg.mapIndex;
      break;
    case 'ARG_PTR_TO_FUNC':
      meta.subprogno = reg.btfId;
      break;
    case 'ARG_PTR_TO_MAP_KEY': {
      if (meta.mapIndex < 0) v.fail(EACCES, 'invalid map_ptr to access map->key');
      const keySize = v.env.maps[meta.mapIndex]!.keySize;
      checkHelperMemAccess(v, regno, keySize, 'read', false);
      // can_elide_value_nullness: only an array's constant key is looked at (and made precise).
      const mt = v.env.maps[meta.mapIndex]!.type;
      if (mt === 'array') meta.constMapKey = getConstantMapKey(v, reg, keySize);
      break;
    }
    case 'ARG_PTR_TO_MAP_VALUE': {
      if (isNull && maybeNullArg) break;
      if (meta.mapIndex < 0) v.fail(EACCES, 'invalid map_ptr to access map->value');
      checkHelperMemAccess(v, regno, v.env.maps[meta.mapIndex]!.valueSize, 'read', false);
      break;
    }
    case 'ARG_PTR_TO_MEM':
    case 'ARG_PTR_TO_MEM_RDONLY':
    case 'ARG_PTR_TO_UNINIT_MEM':
      meta.rawMode = argType === 'ARG_PTR_TO_UNINIT_MEM' || flags.includes('MEM_UNINIT');
      break;
    case 'ARG_CONST_SIZE':
    case 'ARG_CONST_SIZE_OR_ZERO': {
      const memArg = fn.args[arg - 1];
      const memFlags = fn.argFlags?.[arg - 1] ?? [];
      const write =
        memArg === 'ARG_PTR_TO_UNINIT_MEM' ||
        memFlags.includes('MEM_WRITE') ||
        memFlags.includes('MEM_UNINIT');
      checkMemSizeReg(v, regno, reg, argType === 'ARG_CONST_SIZE_OR_ZERO', write, meta);
      break;
    }
    default:
      break;
  }
  void idx;
}

export function getConstantMapKey(v: Verifier, key: RegState, keySize: number): bigint | undefined {
  if (key.type !== 'PTR_TO_STACK' || key.varOff.mask !== 0n) return undefined;
  const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = Math.floor(slot / BPF_REG_SIZE);
  const off = slot % BPF_REG_SIZE;
  const st = stackFrame(v, key).stack[spi];
  if (!st) return undefined;
  let zero = 0;
  for (let i = off; i >= 0 && st.slotType[i] === STACK_ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (st.slotType[7] !== STACK_SPILL || st.spilled.type !== 'SCALAR_VALUE') return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && st.slotType[i] === STACK_SPILL; i--) spill++;
  if (spill !== keySize || st.spilled.varOff.mask !== 0n) return undefined;
  backtrack(v, v.cur.hist, new Set(), new Set([spi]), true);
  return st.spilled.varOff.value;
}

export function checkRegType(
  v: Verifier,
  regno: number,
  reg: RegState,
  argType: BpfArgType,
  flags: string[],
  btfStruct?: string,
): void {
  let types: RegState['type'][];
  let names: string[];
  switch (argType) {
    case 'ARG_PTR_TO_BTF_ID':
    case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': {
      // btf_ptr_types / btf_id_sock_common_types, then btf_struct_ids_match against the
      // proto's arg btf id (sock_common for the SOCK_COMMON kind).
      const sockCommon = argType === 'ARG_PTR_TO_BTF_ID_SOCK_COMMON';
      const ok: RegState['type'][] = sockCommon
        ? ['PTR_TO_SOCK_COMMON', 'PTR_TO_SOCKET', 'PTR_TO_BTF_ID']
        : ['PTR_TO_BTF_ID'];
      const expected = sockCommon
        ? ['sock_common', 'sock', 'tcp_sock', 'xdp_sock', 'ptr_', 'trusted_ptr_']
        : ['ptr_', 'trusted_ptr_', 'rcu_ptr_'];
      if (!ok.includes(reg.type) || reg.maybeNull || reg.flags.includes('untrusted'))
        v.fail(EACCES, `R${regno} type=${regTypeStr(reg, v.printCtx)} expected=${expected.join(', ')}`);
      const want = sockCommon ? 'sock_common' : btfStruct;
      const btf = v.env.btf?.vmlinux.btf;
      if (reg.type === 'PTR_TO_BTF_ID' && want && btf) {
        const wantId = btf.findByName(want, 'STRUCT');
        if (wantId === undefined || reg.off !== 0 || !btfStructIdsMatch(btf, reg.btfId, wantId))
          v.fail(EACCES, `R${regno} is of type ${v.printCtx.btfName(reg.btfId)} but ${want} is expected`);
      }
      return;
    }
    case 'ARG_CONST_MAP_PTR':
      types = ['CONST_PTR_TO_MAP'];
      names = ['map_ptr'];
      break;
    case 'ARG_PTR_TO_CTX':
    case 'ARG_PTR_TO_CTX_OR_NULL':
      types = ['PTR_TO_CTX'];
      names = ['ctx'];
      break;
    case 'ARG_CONST_SIZE':
    case 'ARG_CONST_SIZE_OR_ZERO':
    case 'ARG_PTR_TO_LONG':
    case 'ARG_PTR_TO_INT':
      types = argType.startsWith('ARG_CONST') ? ['SCALAR_VALUE'] : ['PTR_TO_STACK'];
      names = argType.startsWith('ARG_CONST') ? ['scalar'] : ['fp'];
      break;
    case 'ARG_PTR_TO_STACK':
    case 'ARG_PTR_TO_STACK_OR_NULL':
      types = ['PTR_TO_STACK'];
      names = ['fp'];
      break;
    case 'ARG_PTR_TO_FUNC':
      types = ['PTR_TO_FUNC'];
      names = ['func'];
      break;
    default:
      types = [
        'PTR_TO_STACK',
        'PTR_TO_PACKET',
        'PTR_TO_PACKET_META',
        'PTR_TO_MAP_KEY',
        'PTR_TO_MAP_VALUE',
        'PTR_TO_MEM',
      ];
      names = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'];
      break;
  }
  void flags;
  if (!types.includes(reg.type) || (reg.maybeNull && reg.type !== 'SCALAR_VALUE')) {
    v.fail(EACCES, `R${regno} type=${regTypeStr(reg, v.printCtx)} expected=${names.join(', ')}`);
  }
  if (
    (reg.type === 'PTR_TO_PACKET' || reg.type === 'PTR_TO_PACKET_META') &&
    !v.env.ops.directPacketWrite &&
    v.env.progType !== 'sched_cls' &&
    v.env.progType !== 'xdp'
  ) {
    v.fail(EACCES, 'helper access to the packet is not allowed');
  }
  if (reg.type === 'PTR_TO_CTX' && (reg.off || reg.varOff.mask !== 0n || reg.varOff.value)) {
    if (reg.off) v.fail(EACCES, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
    v.fail(
      EACCES,
      `variable ctx access var_off=(0x${reg.varOff.value.toString(16)}; 0x${reg.varOff.mask.toString(16)}) disallowed`,
    );
  }
}

export function checkMemSizeReg(
  v: Verifier,
  regno: number,
  reg: RegState,
  zeroSizeAllowed: boolean,
  write: boolean,
  meta: CallMeta,
): void {
  const memRegno = regno - 1;
  if (reg.varOff.mask !== 0n) {
    // the size is used as a bound: it must be precise for pruning to stay safe
  }
  if (reg.smin < 0n) {
    v.fail(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  }
  if (reg.umin === 0n && !zeroSizeAllowed) {
    v.fail(EACCES, `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
  }
  if (reg.umax >= 1n << 29n) {
    v.fail(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  }
  // A variable size drops raw mode (meta = NULL): the helper's writes clobber slots unprinted.
  const rawMode = reg.varOff.mask === 0n;
  checkHelperMemAccess(v, memRegno, Number(reg.umax), write ? 'write' : 'read', zeroSizeAllowed, rawMode);
  markChainPrecision(v, regno);
  void meta;
}

/** check_helper_mem_access: a helper reads/writes [reg, reg + size). */
export function checkHelperMemAccess(
  v: Verifier,
  regno: number,
  size: number,
  t: 'read' | 'write',
  zeroSizeAllowed: boolean,
  rawMode = true,
): void {
  const reg = v.regs()[regno]!;
  switch (reg.type) {
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
      checkPacketAccess(v, regno, reg, reg.off, size);
      return;
    case 'PTR_TO_MAP_VALUE': {
      const map = v.env.maps[reg.mapIndex]!;
      checkMemRegionAccess(v, regno, reg, reg.off, size, map.valueSize, 'map_value');
      return;
    }
    case 'PTR_TO_MEM':
      checkMemRegionAccess(v, regno, reg, reg.off, size, reg.memSize, 'mem');
      return;
    case 'PTR_TO_STACK':
      checkStackRange(v, regno, reg, size, t, zeroSizeAllowed, rawMode);
      return;
    case 'PTR_TO_BTF_ID':
      // The pointee's fields must cover the range (btf_struct_access), as a read.
      checkPtrToBtfAccess(v, regno, reg, reg.off, size, 'read', -1);
      return;
    default:
      if (zeroSizeAllowed && size === 0 && reg.type === 'SCALAR_VALUE') {
        // A zero-sized access through NULL relies on the register being 0: 6.18 makes it precise.
        if (reg.varOff.mask === 0n && reg.varOff.value === 0n) markChainPrecision(v, regno);
        return;
      }
      v.fail(
        EACCES,
        `R${regno} type=${regTypeStr(reg, v.printCtx)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`,
      );
  }
}

/** check_stack_range_initialized. */
export function checkStackRange(
  v: Verifier,
  regno: number,
  reg: RegState,
  size: number,
  t: 'read' | 'write',
  zeroSizeAllowed: boolean,
  rawMode = true,
): void {
  const off = reg.off;
  if (size === 0 && zeroSizeAllowed) return;
  checkStackAccessWithinBounds(v, regno, reg, off, size, t);
  const state = stackFrame(v, reg);
  let minOff: number;
  let maxOff: number;
  if (reg.varOff.mask === 0n) {
    minOff = maxOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
  } else {
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  for (let i = minOff; i < maxOff + size; i++) {
    const slot = -i - 1;
    const spi = Math.floor(slot / BPF_REG_SIZE);
    growStack(state, spi);
    const st = state.stack[spi]!;
    const j = slot % BPF_REG_SIZE;
    if (t === 'write') {
      // the helper's write is checked as stack writes (check_mem_access): those print; reads do not
      if (rawMode) v.scratch.slots.add(spi);
      // Without raw mode every byte is checked as a read too (check_stack_range_initialized's mark:).
      else markStackRead(v, spi, state.frameno);
      // raw mode: the helper initializes the memory
      // scrub_spilled_slot: a spill's written bytes become misc, never-written ones stay invalid
      if (st.slotType[7] === STACK_SPILL) {
        for (let k = 0; k < 8; k++) if (st.slotType[k] !== STACK_INVALID) st.slotType[k] = STACK_MISC;
        st.spilled = notInitReg();
      }
      st.slotType[j] = STACK_MISC;
      continue;
    }
    markStackRead(v, spi, state.frameno);
    const stype = st.slotType[j]!;
    if (stype === STACK_MISC || stype === STACK_ZERO) continue;
    if (st.slotType[7] === STACK_SPILL) {
      if (st.spilled.type === 'SCALAR_VALUE') continue;
      continue; // allow_ptr_leaks
    }
    // allow_uninit_stack (root) reads never-written slots
    if (stype === STACK_INVALID) continue;
  }
}

export function checkKfuncCall(v: Verifier, insn: Insn, idx: number): void {
  const kf = v.env.kfunc;
  if (!kf) v.fail(EACCES, 'calling kernel functions is not supported without BTF');
  let name = '';
  let proto: { ret: number; params: { name: string; type: number }[] } | undefined;
  try {
    const t = kf.btf.type(insn.imm);
    name = t.name;
    if (t.kind === 'FUNC') {
      const p = kf.btf.type(t.type);
      if (p.kind === 'FUNC_PROTO') proto = p;
    }
  } catch {
    // handled below
  }
  if (!proto) v.fail(EINVAL, `kernel btf_id ${insn.imm} is not a function`);
  if (!kf.allowed(name, insn.imm)) v.fail(EACCES, `calling kernel function ${name} is not allowed`);
  const kfFlags = kf.flags(name, insn.imm);
  if (kfFlags & KF_SLEEPABLE && !v.env.sleepable)
    v.fail(EACCES, `program must be sleepable to call sleepable kfunc ${name}`);
  const btf = kf.btf;
  // KF_RELEASE: the (first) pointer argument carrying a reference is the one released.
  let releaseRegno = 0;
  const args = proto.params;
  if (args.length > 5) v.fail(EINVAL, `Function ${name} has ${args.length} > 5 args`);
  const regs = v.regs();
  for (let i = 0; i < args.length; i++) {
    const regno = i + 1;
    v.markRegScratched(regno);
    const reg = regs[regno]!;
    const tid = skipMods(btf, args[i]!.type);
    const t = btf.type(tid);
    if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64') {
      if (reg.type !== 'SCALAR_VALUE') v.fail(EINVAL, `R${regno} is not a scalar`);
      continue;
    }
    if (t.kind !== 'PTR') v.fail(EINVAL, `Unrecognized arg#${i} type ${t.kind}`);
    if (reg.type === 'NOT_INIT') v.fail(EACCES, `R${regno} !read_ok`);
    if (reg.maybeNull) v.fail(EACCES, `Possibly NULL pointer passed to trusted arg${i}`);
    const refId = skipMods(btf, t.type);
    const ref = btf.type(refId);
    if (reg.type === 'PTR_TO_BTF_ID') {
      if (kfFlags & KF_RELEASE && !releaseRegno) {
        if (!reg.refObjId) v.fail(EINVAL, `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
        releaseRegno = regno;
      } else if (kfFlags & (KF_TRUSTED_ARGS | KF_RELEASE) && !reg.refObjId && !reg.flags.includes('trusted'))
        v.fail(EACCES, `R${regno} must be referenced or trusted`);
      else if (
        kfFlags & KF_RCU &&
        !reg.refObjId &&
        !reg.flags.includes('trusted') &&
        !reg.flags.includes('rcu')
      )
        v.fail(EINVAL, `R${regno} must be a rcu pointer`);
      if (ref.kind !== 'STRUCT')
        v.fail(
          EINVAL,
          `arg#${i} pointer type ${ref.kind} ${ref.name} must point to scalar, or struct with scalar`,
        );
      if (!btfStructIdsMatch(btf, reg.btfId, refId)) {
        v.fail(
          EINVAL,
          `kernel function ${name} args#${i} expected pointer to STRUCT ${ref.name} but R${regno} has a pointer to STRUCT ${v.printCtx.btfName(reg.btfId)}`,
        );
      }
      continue;
    }
    if (ref.kind === 'STRUCT' && !isScalarStruct(btf, refId, (s) => v.verbose(s))) {
      v.fail(EINVAL, `arg#${i} pointer type STRUCT ${ref.name} must point to scalar, or struct with scalar`);
    }
    // A known-zero scalar (register_is_null) is a NULL pointer too, refused after the pointee's
    // shape (6.18: a zero to tcp_cong_avoid_ai's tcp_sock fails on the struct first).
    if (reg.type === 'SCALAR_VALUE' && reg.varOff.mask === 0n && reg.varOff.value === 0n)
      v.fail(EACCES, `Possibly NULL pointer passed to trusted arg${i}`);
    // memory argument: the pointee size must be accessible
    let sz = 0;
    try {
      sz = sizeOfType(btf, refId);
    } catch {
      sz = 0;
    }
    if (sz) checkHelperMemAccess(v, regno, sz, 'read', false);
  }
  // The RCU read-side region (active_rcu_lock): one level, no nesting.
  const st = v.cur;
  if (st.activeRcuLock) {
    if (name === 'bpf_rcu_read_lock') v.fail(EINVAL, `nested rcu read lock (kernel function ${name})`);
    else if (name === 'bpf_rcu_read_unlock') {
      st.activeRcuLock = false;
      // Pointers read under the lock are no longer protected: MEM_RCU → PTR_UNTRUSTED.
      forEachReg(st, (reg) => {
        if (!reg.flags.includes('rcu')) return;
        reg.flags = [...reg.flags.filter((f) => f !== 'rcu'), 'untrusted'];
        reg.maybeNull = false;
      });
    } else if (kfFlags & KF_SLEEPABLE)
      v.fail(EACCES, `kernel func ${name} is sleepable within rcu_read_lock region`);
  } else if (name === 'bpf_rcu_read_lock') st.activeRcuLock = true;
  else if (name === 'bpf_rcu_read_unlock')
    v.fail(EINVAL, `unmatched rcu read unlock (kernel function ${name})`);
  if (kfFlags & KF_RELEASE) {
    if (!releaseRegno) v.fail(EINVAL, `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
    releaseReference(v, regs[releaseRegno]!.refObjId);
  }
  for (const r of CALLER_SAVED) {
    regs[r] = notInitReg();
    v.markRegScratched(r);
  }
  const rt = proto.ret ? btf.type(skipMods(btf, proto.ret)) : undefined;
  if (rt && (rt.kind === 'INT' || rt.kind === 'ENUM' || rt.kind === 'ENUM64')) {
    // mark_reg_unknown: the return's width only decides zero-extension, not bounds.
    regs[0] = v.newScalar();
  } else if (rt && rt.kind === 'PTR') {
    const pointee = skipMods(btf, rt.type);
    const r = v.markKnownZeroPtr(0, 'PTR_TO_BTF_ID');
    r.btfId = pointee;
    if (kfFlags & KF_RET_NULL) {
      r.maybeNull = true;
      r.id = ++v.idGen;
    }
    const kernCtx = name === 'bpf_cast_to_kern_ctx' ? KERN_CTX_STRUCT[v.env.progType] : undefined;
    const kernCtxId = kernCtx ? btf.findByName(kernCtx, 'STRUCT') : undefined;
    if (kernCtxId !== undefined) {
      // The program type's kernel context (bpf_types.h), a trusted pointer.
      r.btfId = kernCtxId;
      r.flags = ['trusted'];
    }
    if (kfFlags & KF_ACQUIRE) {
      // acquire_reference: the pointer owns a reference that must be released before exit.
      const id = ++v.idGen;
      v.cur.refs.push({ id, insnIdx: idx });
      r.refObjId = id;
      if (kfFlags & KF_RET_NULL) r.id = id;
    }
  }
}

export function checkFuncCall(v: Verifier, insn: Insn, idx: number): void {
  const st = v.cur;
  if (st.curframe + 1 >= MAX_CALL_FRAMES) {
    v.fail(E2BIG, `the call stack of ${st.curframe + 2} frames is too deep`);
  }
  const target = idx + insn.imm + 1;
  const subprogno = v.env.subprogs.findIndex((s) => s.start === target);
  if (subprogno < 0) v.fail(EFAULT, `verifier bug. No program starts at insn ${target}`);
  const caller = curFunc(st);
  const err = btfCheckSubprogCall(v, subprogno);
  const fa = v.env.funcs?.[subprogno];
  if (fa && fa.linkage === BTF_FUNC_GLOBAL) {
    if (err) v.fail(err, `Caller passes invalid args into func#${subprogno} ('${fa.name}')`);
    if (v.log.enabled) v.verbose(`Func#${subprogno} ('${fa.name}') is global and assumed valid.\n`);
    if (v.env.subprogs[subprogno]!.changesPktData) clearAllPktPointers(v);
    // Verified on its own after the main program; here its return is any scalar.
    fa.called = true;
    for (const r of CALLER_SAVED) {
      caller.regs[r] = notInitReg();
      caller.regs[r]!.frameno = caller.frameno;
      v.markRegScratched(r);
    }
    caller.regs[0] = v.newScalar();
    v.insnIdx = idx + 1;
    return;
  }
  // A call moves to another call chain: the call insn's own write marks go nowhere.
  v.stackLiveCc?.resetCallchain();
  const callee = newFuncState(st.curframe + 1, idx, subprogno);
  for (let i = 1; i <= 5; i++) callee.regs[i] = copyReg(caller.regs[i]!);
  const fp = notInitReg();
  fp.type = 'PTR_TO_STACK';
  markRegKnown(fp, 0n);
  fp.frameno = callee.frameno;
  callee.regs[10] = fp;
  st.frames.push(callee);
  st.curframe++;
  for (const r of CALLER_SAVED) {
    caller.regs[r] = notInitReg();
  }
  if (v.log.enabled) {
    v.verbose('caller:\n');
    v.verbose(printFuncState(caller, true, v.scratch, v.printCtx, []));
    v.verbose('callee:\n');
    v.verbose(printFuncState(callee, true, v.scratch, v.printCtx, st.refs));
  }
  v.scratch.all = true;
  v.insnIdx = target;
}

/**
 * btf_check_subprog_call: the caller's R1-R5 against the callee's BTF-typed arguments
 * (btf_check_func_arg_match). Returns 0 or the errno; the reason is in the log. A static
 * callee whose BTF disagrees only loses its BTF (unreliable).
 */
function btfCheckSubprogCall(v: Verifier, subprogno: number): number {
  const fa = v.env.funcs?.[subprogno];
  const btf = v.env.progBtf;
  if (!fa || !btf || !fa.typeId || fa.unreliable) return 0;
  let errno = 0;
  try {
    const args = prepareFuncArgs(
      btf,
      fa,
      v.env.progType as ProgTypeName,
      (l) => v.verbose(`${l}\n`),
      v.env.btf?.vmlinux.btf,
    );
    if (!args) errno = EINVAL;
    else checkFuncArgMatch(v, args);
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    if (!e.logged) v.verbose(`${e.message}\n`);
    errno = e.errno === EFAULT ? EFAULT : EINVAL;
  }
  if (errno) fa.unreliable = true;
  if (errno === EFAULT) throw new VerifierError(EFAULT, 'btf_check_subprog_call', true);
  return errno;
}

function checkFuncArgMatch(v: Verifier, args: readonly SubprogArg[]): void {
  const regs = v.regs();
  for (const [i, arg] of args.entries()) {
    const regno = i + 1;
    const reg = regs[regno]!;
    if (arg.kind === 'scalar') {
      if (reg.type !== 'SCALAR_VALUE') v.fail(EINVAL, `R${regno} is not a scalar`);
    } else if (arg.kind === 'ctx') {
      checkFuncArgRegOff(v, reg, regno);
      if (reg.type !== 'PTR_TO_CTX') v.fail(EINVAL, `arg#${i} expects pointer to ctx`);
    } else if (arg.kind === 'btf_id') {
      const isNull = reg.type === 'SCALAR_VALUE' && reg.varOff.mask === 0n && reg.varOff.value === 0n;
      if (isNull && arg.nullable) continue;
      // The callee reads it as untrusted whatever it is.
      if (arg.flag === 'untrusted') continue;
      // check_reg_type for PTR_TO_BTF_ID | PTR_TRUSTED: a referenced or trusted pointer (NULL is neither).
      if (reg.type !== 'PTR_TO_BTF_ID' || (!reg.refObjId && !reg.flags.includes('trusted')))
        v.fail(EACCES, `R${regno} must be referenced or trusted`);
      const kernel = v.env.btf?.vmlinux.btf;
      if (kernel && !btfStructIdsMatch(kernel, reg.btfId, arg.btfId))
        v.fail(
          EACCES,
          `R${regno} is of type ${v.printCtx.btfName(reg.btfId)} but ${v.printCtx.btfName(arg.btfId)} is expected`,
        );
    } else if (arg.kind === 'arena') {
      // kmodel's programs have no arena: only a scalar can be such a pointer.
      if (reg.type !== 'SCALAR_VALUE') v.fail(EINVAL, `R${regno} is not a pointer to arena or scalar.`);
    } else {
      checkFuncArgRegOff(v, reg, regno);
      const isNull = reg.type === 'SCALAR_VALUE' && reg.varOff.mask === 0n && reg.varOff.value === 0n;
      if (isNull) markChainPrecision(v, regno);
      else {
        // check_mem_reg: the pointee must be readable and writable for the whole size.
        const saved = copyReg(reg);
        reg.maybeNull = false;
        try {
          checkHelperMemAccess(v, regno, arg.size, 'read', true);
          checkHelperMemAccess(v, regno, arg.size, 'write', true);
        } finally {
          regs[regno] = saved;
        }
      }
      if (!arg.nullable && (isNull || reg.maybeNull)) v.fail(EINVAL, `arg#${i} is expected to be non-NULL`);
    }
  }
}

/** check_func_arg_reg_off for ARG_DONTCARE: a ctx pointer must not be moved. */
function checkFuncArgRegOff(v: Verifier, reg: RegState, regno: number): void {
  if (reg.type !== 'PTR_TO_CTX') return;
  if (reg.off !== 0 || reg.varOff.mask !== 0n || reg.varOff.value !== 0n)
    v.fail(EACCES, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
}

/** release_reference: drop the reference and invalidate every copy of the pointer. */
export function releaseReference(v: Verifier, refObjId: number): void {
  const st = v.cur;
  st.refs = st.refs.filter((r) => r.id !== refObjId);
  forEachReg(st, (reg) => {
    if (reg.refObjId === refObjId) markRegUnknown(reg);
  });
}

export function processBpfExit(v: Verifier): 'next' | 'exit' {
  const st = v.cur;
  if (st.curframe === 0 && st.refs.length) {
    // check_reference_leak: a struct_ops program may hand a referenced pointer back in R0.
    const r0 = curFunc(st).regs[0]!;
    const kept = v.env.progType === 'struct_ops' && r0.type !== 'NOT_INIT' ? r0.refObjId : 0;
    const leaked = st.refs.filter((r) => r.id !== kept);
    for (const r of leaked) v.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insnIdx}\n`);
    if (leaked.length) v.fail(EINVAL, 'BPF_EXIT instruction in main prog would lead to reference leak');
  }
  if (st.curframe === 0 && st.activeRcuLock)
    v.fail(EINVAL, 'BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
  if (st.curframe > 0) {
    v.stackLiveCc?.update(st);
    // prepare_func_exit's "to caller at" print leaves nothing scratched: the return site's
    // state is not printed again at log level 1.
    prepareFuncExit(v);
    v.doPrintState = true;
    return 'next';
  }
  return checkMainExit(v);
}

/**
 * bpf_loop: the callback is a path of its own (push_callback_call) that comes back to this
 * call, which schedules it again until its states converge or R1's bound is reached; the
 * current path goes on as if the loop had finished.
 */
function checkLoopCall(v: Verifier, idx: number, subprogno: number): void {
  const regs = v.regs();
  // update_loop_inline_state: inlined when every visit has flags 0 and the same callback.
  const flagsZero =
    regs[4]!.type === 'SCALAR_VALUE' && regs[4]!.varOff.mask === 0n && regs[4]!.varOff.value === 0n;
  if (flagsZero) markChainPrecision(v, 4);
  const aux = v.env.aux[idx]!;
  if (!aux.loopInline) aux.loopInline = { fit: flagsZero, subprogno };
  else if (aux.loopInline.fit) aux.loopInline.fit = flagsZero && aux.loopInline.subprogno === subprogno;
  // The iteration count decides when the loop is finished: R1 must be precise.
  markChainPrecision(v, 1);
  const caller = curFunc(v.cur);
  if ((caller.callbackDepth ?? 0) < regs[1]!.umax) pushCallbackCall(v, idx, subprogno, setLoopCallbackState);
  else {
    caller.callbackDepth = 0;
    if (v.log.level >= 2) v.verbose(`frame${v.cur.curframe} bpf_loop iteration limit reached\n`);
  }
}

type CallbackState = (v: Verifier, caller: FuncState, callee: FuncState) => void;

/** set_loop_callback_state: callback(u32 index, void *ctx). */
const setLoopCallbackState: CallbackState = (v, caller, callee) => {
  callee.regs[1] = v.newScalar();
  callee.regs[1]!.frameno = callee.frameno;
  callee.regs[2] = copyReg(caller.regs[3]!);
};

/** map_set_for_each_callback_args: callback(map, key, value, ctx) over array and hash maps. */
const setMapElemCallbackState: CallbackState = (v, caller, callee) => {
  const map = caller.regs[1]!;
  // A map whose ops have no for-each callback (prog_array's): refused before the map/helper check.
  if (map.mapIndex !== undefined && v.env.maps[map.mapIndex]?.type === 'prog_array')
    v.fail(ENOTSUPP, 'callback function not allowed for map');
  callee.regs[1] = copyReg(map);
  for (const [r, type] of [
    [2, 'PTR_TO_MAP_KEY'],
    [3, 'PTR_TO_MAP_VALUE'],
  ] as const) {
    const p = notInitReg();
    p.type = type;
    markRegKnown(p, 0n);
    p.mapIndex = map.mapIndex;
    p.frameno = callee.frameno;
    callee.regs[r] = p;
  }
  callee.regs[3]!.id = ++v.idGen;
  callee.regs[4] = copyReg(caller.regs[3]!);
};

/** set_find_vma_callback_state: callback(task, vma, ctx), vma a PTR_TO_BTF_ID vm_area_struct. */
const setFindVmaCallbackState: CallbackState = (v, caller, callee) => {
  callee.regs[1] = copyReg(caller.regs[1]!);
  const vma = notInitReg();
  vma.type = 'PTR_TO_BTF_ID';
  markRegKnown(vma, 0n);
  vma.btfId = v.env.btf?.vmlinux.btf.findByName('vm_area_struct', 'STRUCT') ?? 0;
  vma.frameno = callee.frameno;
  callee.regs[2] = vma;
  callee.regs[3] = copyReg(caller.regs[4]!);
};

/** push_callback_call: the callback's frame as a path of its own, R0 in [0, 1] at its exit. */
function pushCallbackCall(v: Verifier, idx: number, subprogno: number, setState: CallbackState): void {
  const st = v.cur;
  const caller = curFunc(st);
  btfCheckSubprogCall(v, subprogno);
  if (st.curframe + 1 >= MAX_CALL_FRAMES)
    v.fail(E2BIG, `the call stack of ${st.curframe + 2} frames is too deep`);
  const cb = v.pushStack(v.env.subprogs[subprogno]!.start, idx);
  v.stackLiveCc?.resetCallchain();
  const callee = newFuncState(cb.curframe + 1, idx, subprogno);
  callee.inCallbackFn = true;
  setState(v, caller, callee);
  const fp = notInitReg();
  fp.type = 'PTR_TO_STACK';
  markRegKnown(fp, 0n);
  fp.frameno = callee.frameno;
  callee.regs[10] = fp;
  const cbCaller = cb.frames[cb.curframe]!;
  cbCaller.callbackDepth = (cbCaller.callbackDepth ?? 0) + 1;
  cb.frames.push(callee);
  cb.curframe++;
  cb.callbackUnrollDepth = (cb.callbackUnrollDepth ?? 0) + 1;
  caller.callbackDepth = 0;
}

/** prepare_func_exit: back to the caller with the callee's R0 (a callback: back to the call). */
function prepareFuncExit(v: Verifier): void {
  const st = v.cur;
  const cbExit = curFunc(st);
  if (cbExit.inCallbackFn) {
    const r0 = cbExit.regs[0]!;
    if (r0.type !== 'SCALAR_VALUE') v.fail(EACCES, 'R0 not a scalar value');
    markChainPrecision(v, 0);
    if (r0.smin < 0n || r0.smax > 1n) {
      let msg = 'At callback return the register R0 has';
      if (r0.smin > S64_MIN) msg += ` smin=${r0.smin}`;
      if (r0.smax < S64_MAX) msg += ` smax=${r0.smax}`;
      if (r0.smin <= S64_MIN && r0.smax >= S64_MAX) msg += ' unknown scalar value';
      v.fail(EINVAL, `${msg} should have been in [0, 1]`);
    }
    st.frames.pop();
    st.curframe--;
    const caller = curFunc(st);
    if (v.log.enabled) {
      v.verbose('returning from callee:\n');
      v.verbose(printFuncState(cbExit, true, v.scratch, v.printCtx, st.refs));
      v.verbose(`to caller at ${cbExit.callsite}:\n`);
      v.verbose(printFuncState(caller, true, v.scratch, v.printCtx, st.refs));
    }
    v.insnIdx = cbExit.callsite;
    return;
  }
  {
    // prepare_func_exit copies R0 back unread: a void subprogram may leave it NOT_INIT.
    const callee = curFunc(st);
    const r0 = callee.regs[0]!;
    if (r0.type === 'PTR_TO_STACK' && r0.frameno === callee.frameno) {
      v.fail(EINVAL, 'cannot return stack pointer to the caller');
    }
    st.frames.pop();
    st.curframe--;
    const caller = curFunc(st);
    caller.regs[0] = copyReg(r0);
    if (v.log.enabled) {
      v.verbose('returning from callee:\n');
      v.verbose(printFuncState(callee, true, v.scratch, v.printCtx, st.refs));
      v.verbose(`to caller at ${callee.callsite + 1}:\n`);
      v.verbose(printFuncState(caller, true, v.scratch, v.printCtx, st.refs));
      // print_verifier_state marks the state clean (mark_verifier_state_clean).
      v.clearScratch();
    }
    v.insnIdx = callee.callsite + 1;
  }
}

function checkMainExit(v: Verifier): 'exit' {
  const st = v.cur;
  if (curFunc(st).subprogno !== 0) {
    // check_return_code for a global function verified on its own: any scalar.
    v.checkRegArg(0, 'src');
    const r0 = v.regs()[0]!;
    if (r0.type !== 'SCALAR_VALUE')
      v.fail(
        EINVAL,
        `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0, v.printCtx)})`,
      );
    return 'exit';
  }
  if (!v.env.ops.r0Optional) {
    v.checkRegArg(0, 'src');
    if (v.env.ops.retRange) checkReturnRange(v, v.env.ops.retRange);
  }
  return 'exit';
}

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

/** check_return_code's range check for the main program's R0 (verbose_invalid_scalar's wording). */
function checkReturnRange(v: Verifier, range: { min: number; max: number }): void {
  const r0 = v.regs()[0]!;
  const ctx = 'At program exit';
  if (r0.type !== 'SCALAR_VALUE')
    v.fail(EINVAL, `${ctx} the register R0 is not a known value (${regTypeStr(r0, v.printCtx)})`);
  markChainPrecision(v, 0);
  if (r0.smin >= BigInt(range.min) && r0.smax <= BigInt(range.max)) return;
  let msg = `${ctx} the register R0 has`;
  if (r0.smin > S64_MIN) msg += ` smin=${r0.smin}`;
  if (r0.smax < S64_MAX) msg += ` smax=${r0.smax}`;
  if (r0.smin <= S64_MIN && r0.smax >= S64_MAX) msg += ' unknown scalar value';
  v.fail(EINVAL, `${msg} should have been in [${range.min}, ${range.max}]`);
}
