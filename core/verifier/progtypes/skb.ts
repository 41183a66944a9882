// struct __sk_buff programs (net/core/filter.c): bpf_skb_is_valid_access with the
// sk_filter and tc_cls_act filters, bpf_convert_ctx_access onto sk_buff / qdisc_skb_cb /
// skb_shared_info, bpf_gen_ld_abs and the tc "unclone" prologue. Every kernel offset is
// read from BTF; only the UAPI rules (which fields, which sizes) are code.
import {
  BPF_ALU32_IMM,
  BPF_ALU32_REG,
  BPF_ALU64_IMM,
  BPF_ALU64_REG,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_JMP32_IMM,
  BPF_LDX_MEM,
  BPF_MOV32_IMM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_RAW_INSN,
  BPF_STX_MEM,
} from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import {
  BPF_ADD,
  BPF_AND,
  BPF_B,
  BPF_CLASS,
  BPF_DW,
  BPF_H,
  BPF_IND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JSET,
  BPF_JSGE,
  BPF_LSH,
  BPF_MEM,
  BPF_MODE,
  BPF_MOV,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_2,
  BPF_REG_6,
  BPF_REG_AX,
  BPF_RSH,
  BPF_SIZE,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_XOR,
} from '../../isa/opcodes';
import type { AddressSpace } from '../../kernel/address-space';
import type { KernelProfile } from '../../kernel/profiles';
import type { BpfAccessType, CtxAccessInfo } from '../ops';
import type { KernelLayout } from './layout';
import { type ConvertResult, CtxConvertError } from './narrow';

const SKB = '__sk_buff';
const SIZE_DEFAULT = 4;

/** UAPI struct __sk_buff members in order (include/uapi/linux/bpf.h). */
const SKB_FIELDS = [
  'len',
  'pkt_type',
  'mark',
  'queue_mapping',
  'protocol',
  'vlan_present',
  'vlan_tci',
  'vlan_proto',
  'priority',
  'ingress_ifindex',
  'ifindex',
  'tc_index',
  'cb',
  'hash',
  'tc_classid',
  'data',
  'data_end',
  'napi_id',
  'family',
  'remote_ip4',
  'local_ip4',
  'remote_ip6',
  'local_ip6',
  'remote_port',
  'local_port',
  'data_meta',
  'flow_keys',
  'tstamp',
  'wire_len',
  'gso_segs',
  'sk',
  'gso_size',
  'tstamp_type',
  'hwtstamp',
] as const;
export type SkbField = (typeof SKB_FIELDS)[number];

export interface FieldRange {
  name: SkbField;
  start: number;
  end: number; // exclusive
}

/** The __sk_buff member covering byte `off` (bpf_ctx_range semantics), or undefined for padding. */
export function skbFieldAt(layout: KernelLayout, off: number): FieldRange | undefined {
  for (const name of SKB_FIELDS) {
    const start = layout.off(SKB, name);
    const end = start + layout.size(SKB, name);
    if (off >= start && off < end) return { name, start, end };
  }
  return undefined;
}

export interface AccessOpts {
  isLdsx?: boolean;
}

const narrowAccessOk = (size: number, sizeDefault: number): boolean =>
  size <= sizeDefault && (size & (size - 1)) === 0;

/** bpf_skb_is_valid_access. */
export function bpfSkbIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
  opts: AccessOpts = {},
): CtxAccessInfo | undefined {
  if (off < 0 || off >= layout.structSize(SKB)) return undefined;
  if (off % size !== 0) return undefined;
  const f = skbFieldAt(layout, off);
  if (!f) return undefined;
  const info: CtxAccessInfo = { regType: 'SCALAR_VALUE' };
  switch (f.name) {
    case 'cb':
      if (off + size > f.end) return undefined;
      return info;
    case 'remote_ip6':
    case 'local_ip6':
    case 'remote_ip4':
    case 'local_ip4':
      if (size !== SIZE_DEFAULT) return undefined;
      return info;
    case 'data':
    case 'data_meta':
    case 'data_end':
      if (opts.isLdsx || size !== SIZE_DEFAULT) return undefined;
      return info;
    case 'flow_keys':
      return undefined;
    case 'hwtstamp':
      if (type === 'write' || size !== 8) return undefined;
      return info;
    case 'tstamp':
      if (size !== 8) return undefined;
      return info;
    case 'sk':
      if (off !== f.start || type === 'write' || size !== 8) return undefined;
      return { regType: 'PTR_TO_SOCK_COMMON_OR_NULL' };
    case 'tstamp_type':
      return undefined;
    default:
      if (type === 'write') {
        if (size !== SIZE_DEFAULT) return undefined;
        return info;
      }
      if (!narrowAccessOk(size, SIZE_DEFAULT)) return undefined;
      return { ...info, ctxFieldSize: SIZE_DEFAULT };
  }
}

/** sk_filter_is_valid_access. */
export function skFilterIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
  opts: AccessOpts = {},
): CtxAccessInfo | undefined {
  const f = skbFieldAt(layout, off);
  if (f) {
    switch (f.name) {
      case 'tc_classid':
      case 'data':
      case 'data_meta':
      case 'data_end':
      case 'family':
      case 'remote_ip4':
      case 'local_ip4':
      case 'remote_ip6':
      case 'local_ip6':
      case 'remote_port':
      case 'local_port':
      case 'tstamp':
      case 'wire_len':
      case 'hwtstamp':
        return undefined;
    }
    if (type === 'write' && f.name !== 'cb') return undefined;
  } else if (type === 'write') return undefined;
  return bpfSkbIsValidAccess(layout, off, size, type, opts);
}

/** tc_cls_act_is_valid_access; `onTstampTypeAccess` models prog->tstamp_type_access = 1. */
export function tcClsActIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
  opts: AccessOpts = {},
  onTstampTypeAccess?: () => void,
): CtxAccessInfo | undefined {
  const f = skbFieldAt(layout, off);
  if (type === 'write') {
    switch (f?.name) {
      case 'mark':
      case 'tc_index':
      case 'priority':
      case 'tc_classid':
      case 'cb':
      case 'tstamp':
      case 'queue_mapping':
        break;
      default:
        return undefined;
    }
  }
  let regType: CtxAccessInfo['regType'] | undefined;
  switch (f?.name) {
    case 'data':
      regType = 'PTR_TO_PACKET';
      break;
    case 'data_meta':
      regType = 'PTR_TO_PACKET_META';
      break;
    case 'data_end':
      regType = 'PTR_TO_PACKET_END';
      break;
    case 'family':
    case 'remote_ip4':
    case 'local_ip4':
    case 'remote_ip6':
    case 'local_ip6':
    case 'remote_port':
    case 'local_port':
      return undefined;
    case 'tstamp_type':
      if (off !== f.start) break;
      if (size !== 1) return undefined;
      onTstampTypeAccess?.();
      return { regType: 'SCALAR_VALUE', ctxFieldSize: 1 };
  }
  const info = bpfSkbIsValidAccess(layout, off, size, type, opts);
  if (!info) return undefined;
  return regType ? { ...info, regType } : info;
}

/** The bit position and byte of a sk_buff bitfield (PKT_TYPE_OFFSET, SKB_BF_MONO_TC_OFFSET …). */
function bitfield(layout: KernelLayout, name: string): { byte: number; shift: number; mask: number } {
  const m = layout.loc('sk_buff', name);
  const bits = m.bitfieldSize || m.size * 8;
  const shift = m.bitOffset % 8;
  return { byte: Math.floor(m.bitOffset / 8), shift, mask: ((1 << bits) - 1) << shift };
}

/** BPF_EMIT_STORE: a ctx store keeps its class (ST with imm, or STX with src) at a new offset. */
const emitStore = (size: number, si: Insn, off: number): Insn =>
  BPF_RAW_INSN(BPF_CLASS(si.code) | size | BPF_MEM, si.dst, si.src, off, si.imm);

const sizeOfCode = (bytes: number): number =>
  bytes === 8 ? BPF_DW : bytes === 4 ? BPF_W : bytes === 2 ? BPF_H : BPF_B;

/** NO_QUEUE_MAPPING (USHRT_MAX). */
const NO_QUEUE_MAPPING = 0xffff;

export interface SkbConvertEnv {
  layout: KernelLayout;
  /** prog->tstamp_type_access. */
  tstampTypeAccess: () => boolean;
  /** MIN_NAPI_ID = NR_CPUS + 1 of the modeled build (257: NR_CPUS 256 on the reference kernel). */
  minNapiId: number;
}

/**
 * tc_cls_act_convert_ctx_access: tc always has skb->dev, so ifindex skips the NULL check;
 * every other field as bpf_convert_ctx_access.
 */
export function tcClsActConvertCtxAccess(env: SkbConvertEnv, type: BpfAccessType, si: Insn): ConvertResult {
  const L = env.layout;
  if (skbFieldAt(L, si.off)?.name !== 'ifindex') return bpfConvertCtxAccess(env, type, si);
  return {
    insns: [
      BPF_LDX_MEM(BPF_DW, si.dst, si.src, L.off('sk_buff', 'dev')),
      BPF_LDX_MEM(BPF_W, si.dst, si.dst, L.off('net_device', 'ifindex')),
    ],
    targetSize: 4,
  };
}

/** bpf_convert_ctx_access (the sk_buff half shared by socket filters, cgroup skb and tc). */
export function bpfConvertCtxAccess(env: SkbConvertEnv, type: BpfAccessType, si: Insn): ConvertResult {
  const L = env.layout;
  const f = skbFieldAt(L, si.off);
  if (!f) throw new CtxConvertError(`no __sk_buff field at offset ${si.off}`);
  const sk = (name: string) => L.off('sk_buff', name);
  const skSize = (name: string) => L.size('sk_buff', name);
  const cbBase = sk('cb');
  const out: Insn[] = [];
  let targetSize = 0;
  const ld = (name: string, bytes: number) => {
    targetSize = bytes;
    out.push(BPF_LDX_MEM(sizeOfCode(bytes), si.dst, si.src, sk(name)));
  };
  const ldOrStore = (name: string, bytes: number) => {
    targetSize = bytes;
    if (type === 'write') out.push(emitStore(sizeOfCode(bytes), si, sk(name)));
    else out.push(BPF_LDX_MEM(sizeOfCode(bytes), si.dst, si.src, sk(name)));
  };
  // skb_shinfo(skb) = skb->head + skb->end (NET_SKBUFF_DATA_USES_OFFSET on 64-bit).
  const shinfo = () => {
    out.push(BPF_LDX_MEM(sizeOfCode(skSize('end')), BPF_REG_AX, si.src, sk('end')));
    out.push(BPF_LDX_MEM(sizeOfCode(skSize('head')), si.dst, si.src, sk('head')));
    out.push(BPF_ALU64_REG(BPF_ADD, si.dst, BPF_REG_AX));
  };
  const sockCommon = (name: string, size: number, extra = 0) => {
    out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, sk('sk')));
    out.push(BPF_LDX_MEM(size, si.dst, si.dst, L.off('sock_common', name) + extra));
  };
  switch (f.name) {
    case 'len':
      ld('len', 4);
      break;
    case 'protocol':
      ld('protocol', 2);
      break;
    case 'vlan_proto':
      ld('vlan_proto', 2);
      break;
    case 'priority':
      ldOrStore('priority', 4);
      break;
    case 'ingress_ifindex':
      ld('skb_iif', 4);
      break;
    case 'ifindex':
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, sk('dev')));
      out.push(BPF_JMP_IMM(BPF_JEQ, si.dst, 0, 1)); // an skb without a device reads 0
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.dst, L.off('net_device', 'ifindex')));
      targetSize = 4;
      break;
    case 'hash':
      ld('hash', 4);
      break;
    case 'mark':
      ldOrStore('mark', 4);
      break;
    case 'pkt_type': {
      const b = bitfield(L, 'pkt_type');
      targetSize = 1;
      out.push(BPF_LDX_MEM(BPF_B, si.dst, si.src, b.byte));
      out.push(BPF_ALU32_IMM(BPF_AND, si.dst, b.mask));
      if (b.shift) out.push(BPF_ALU32_IMM(BPF_RSH, si.dst, b.shift));
      break;
    }
    case 'queue_mapping':
      targetSize = 2;
      if (type === 'write') {
        if (BPF_CLASS(si.code) === BPF_ST && si.imm >>> 0 >= NO_QUEUE_MAPPING) {
          out.push(BPF_JMP_A(0));
          break;
        }
        if (BPF_CLASS(si.code) === BPF_STX) out.push(BPF_JMP_IMM(BPF_JGE, si.src, NO_QUEUE_MAPPING, 1));
        out.push(emitStore(BPF_H, si, sk('queue_mapping')));
      } else out.push(BPF_LDX_MEM(BPF_H, si.dst, si.src, sk('queue_mapping')));
      break;
    case 'vlan_present':
      targetSize = 4;
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.src, sk('vlan_all')));
      out.push(BPF_JMP_IMM(BPF_JEQ, si.dst, 0, 1));
      out.push(BPF_ALU32_IMM(BPF_MOV, si.dst, 1));
      break;
    case 'vlan_tci':
      ld('vlan_tci', 2);
      break;
    case 'cb': {
      const off = si.off - f.start + cbBase + L.off('qdisc_skb_cb', 'data');
      if (type === 'write') out.push(emitStore(BPF_SIZE(si.code), si, off));
      else out.push(BPF_LDX_MEM(BPF_SIZE(si.code), si.dst, si.src, off));
      break;
    }
    case 'tc_classid': {
      const off = si.off - f.start + cbBase + L.off('qdisc_skb_cb', 'tc_classid');
      targetSize = 2;
      if (type === 'write') out.push(emitStore(BPF_H, si, off));
      else out.push(BPF_LDX_MEM(BPF_H, si.dst, si.src, off));
      break;
    }
    case 'data':
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, sk('data')));
      break;
    case 'data_meta':
      out.push(
        BPF_LDX_MEM(
          BPF_DW,
          si.dst,
          si.src,
          si.off - f.start + cbBase + L.off('bpf_skb_data_end', 'data_meta'),
        ),
      );
      break;
    case 'data_end':
      out.push(
        BPF_LDX_MEM(
          BPF_DW,
          si.dst,
          si.src,
          si.off - f.start + cbBase + L.off('bpf_skb_data_end', 'data_end'),
        ),
      );
      break;
    case 'tc_index':
      ldOrStore('tc_index', 2);
      break;
    case 'napi_id':
      targetSize = 4;
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.src, sk('napi_id')));
      out.push(BPF_JMP_IMM(BPF_JGE, si.dst, env.minNapiId, 1));
      out.push(BPF_MOV64_IMM(si.dst, 0));
      break;
    case 'tstamp': {
      const b = bitfield(L, 'tstamp_type');
      const ingress = bitfield(L, 'tc_at_ingress');
      if (type === 'write') {
        const valueReg = si.src;
        const skbReg = si.dst;
        if (!env.tstampTypeAccess()) {
          out.push(BPF_LDX_MEM(BPF_B, BPF_REG_AX, skbReg, b.byte));
          out.push(BPF_JMP32_IMM(BPF_JSET, BPF_REG_AX, ingress.mask, 1));
          out.push(BPF_JMP_A(2));
          out.push(BPF_ALU32_IMM(BPF_AND, BPF_REG_AX, ~b.mask));
          out.push(BPF_STX_MEM(BPF_B, skbReg, BPF_REG_AX, b.byte));
        }
        out.push(BPF_RAW_INSN(BPF_CLASS(si.code) | BPF_DW | BPF_MEM, skbReg, valueReg, sk('tstamp'), si.imm));
      } else {
        if (!env.tstampTypeAccess()) {
          out.push(BPF_LDX_MEM(BPF_B, BPF_REG_AX, si.src, b.byte));
          out.push(BPF_JMP32_IMM(BPF_JSET, BPF_REG_AX, ingress.mask, 1));
          out.push(BPF_JMP_A(4));
          out.push(BPF_JMP32_IMM(BPF_JSET, BPF_REG_AX, b.mask, 1));
          out.push(BPF_JMP_A(2));
          out.push(BPF_MOV64_IMM(si.dst, 0));
          out.push(BPF_JMP_A(1));
        }
        out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, sk('tstamp')));
      }
      break;
    }
    case 'tstamp_type': {
      const b = bitfield(L, 'tstamp_type');
      targetSize = 1;
      out.push(BPF_LDX_MEM(BPF_B, si.dst, si.src, b.byte));
      out.push(BPF_ALU32_IMM(BPF_AND, si.dst, b.mask));
      break;
    }
    case 'wire_len':
      targetSize = 4;
      out.push(
        BPF_LDX_MEM(BPF_W, si.dst, si.src, si.off - f.start + cbBase + L.off('qdisc_skb_cb', 'pkt_len')),
      );
      break;
    case 'gso_segs':
      shinfo();
      targetSize = 2;
      out.push(BPF_LDX_MEM(BPF_H, si.dst, si.dst, L.off('skb_shared_info', 'gso_segs')));
      break;
    case 'gso_size':
      shinfo();
      targetSize = 2;
      out.push(BPF_LDX_MEM(BPF_H, si.dst, si.dst, L.off('skb_shared_info', 'gso_size')));
      break;
    case 'hwtstamp':
      shinfo();
      targetSize = 8;
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.dst, L.off('skb_shared_info', 'hwtstamps')));
      break;
    case 'sk':
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, sk('sk')));
      break;
    // The socket fields read skb->sk's struct sock_common (no NULL check: cgroup hooks have a socket).
    case 'family':
      sockCommon('skc_family', BPF_H);
      targetSize = 2;
      break;
    case 'remote_ip4':
      sockCommon('skc_daddr', BPF_W);
      targetSize = 4;
      break;
    case 'local_ip4':
      sockCommon('skc_rcv_saddr', BPF_W);
      targetSize = 4;
      break;
    case 'remote_ip6':
      sockCommon('skc_v6_daddr', BPF_W, si.off - f.start);
      break;
    case 'local_ip6':
      sockCommon('skc_v6_rcv_saddr', BPF_W, si.off - f.start);
      break;
    case 'remote_port':
      // skc_dport sits in the upper half of the UAPI's 32-bit field on little-endian.
      sockCommon('skc_dport', BPF_H);
      out.push(BPF_ALU32_IMM(BPF_LSH, si.dst, 16));
      targetSize = 4;
      break;
    case 'local_port':
      sockCommon('skc_num', BPF_H);
      targetSize = 2;
      break;
    default:
      throw new CtxConvertError(`__sk_buff field ${f.name} has no conversion in this model`);
  }
  return { insns: out, targetSize };
}

/** bpf_gen_ld_abs: legacy packet loads become calls to bpf_skb_load_helper_*_no_cache. */
export function bpfGenLdAbs(orig: Insn, as: AddressSpace): Insn[] {
  const out: Insn[] = [];
  if (BPF_MODE(orig.code) !== BPF_IND) out.push(BPF_MOV64_IMM(BPF_REG_2, orig.imm));
  else {
    out.push(BPF_MOV64_REG(BPF_REG_2, orig.src));
    if (orig.imm) out.push(BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, orig.imm));
  }
  out.push(BPF_MOV64_REG(BPF_REG_1, BPF_REG_6));
  const fn =
    BPF_SIZE(orig.code) === BPF_B
      ? 'bpf_skb_load_helper_8_no_cache'
      : BPF_SIZE(orig.code) === BPF_H
        ? 'bpf_skb_load_helper_16_no_cache'
        : 'bpf_skb_load_helper_32_no_cache';
  out.push(BPF_EMIT_CALL(as.callImm(fn)));
  out.push(BPF_JMP_IMM(BPF_JSGE, BPF_REG_0, 0, 2));
  out.push(BPF_ALU32_REG(BPF_XOR, BPF_REG_0, BPF_REG_0));
  out.push(BPF_EXIT_INSN());
  return out;
}

/** TC_ACT_SHOT. */
export const TC_ACT_SHOT = 2;

/**
 * bpf_unclone_prologue: when the program writes packet data directly, unclone the skb
 * first (bpf_skb_pull_data(skb, 0)) and drop the packet if that fails. The call is a
 * helper id resolved by do_misc_fixups, or BPF_EMIT_CALL in the 2026 profile.
 */
export function bpfUnclonePrologue(
  layout: KernelLayout,
  directWrite: boolean,
  insn0: Insn | undefined,
  dropVerdict: number,
  profile: KernelProfile,
  as: AddressSpace,
): Insn[] {
  if (!directWrite) return [];
  const cloned = bitfield(layout, 'cloned');
  const out: Insn[] = [
    BPF_LDX_MEM(BPF_B, BPF_REG_6, BPF_REG_1, cloned.byte),
    BPF_ALU32_IMM(BPF_AND, BPF_REG_6, cloned.mask),
    BPF_JMP_IMM(BPF_JEQ, BPF_REG_6, 0, 7),
    BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
    BPF_ALU64_REG(BPF_XOR, BPF_REG_2, BPF_REG_2),
    profile.uncloneCall === 'emit-call'
      ? BPF_EMIT_CALL(as.callImm('bpf_skb_pull_data'))
      : BPF_RAW_INSN(0x85, 0, 0, 0, 39 /* BPF_FUNC_skb_pull_data */),
    BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
    BPF_MOV32_IMM(BPF_REG_0, dropVerdict),
    BPF_EXIT_INSN(),
    BPF_MOV64_REG(BPF_REG_1, BPF_REG_6),
  ];
  if (insn0) out.push(insn0);
  return out;
}

export { SKB_FIELDS };
