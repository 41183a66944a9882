// struct xdp_md programs (net/core/filter.c): xdp_is_valid_access and
// xdp_convert_ctx_access onto xdp_buff / xdp_rxq_info / xdp_txq_info / net_device.
import { BPF_LDX_MEM } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import { BPF_DW, BPF_W } from '../../isa/opcodes';
import type { BpfAccessType, CtxAccessInfo } from '../ops';
import type { KernelLayout } from './layout';
import { type ConvertResult, CtxConvertError } from './narrow';

const MD = 'xdp_md';

export interface XdpAccessOpts {
  isLdsx?: boolean;
  /** expected_attach_type == BPF_XDP_DEVMAP (only then egress_ifindex is readable). */
  devmap?: boolean;
}

/** __is_valid_xdp_access: aligned 4-byte accesses inside struct xdp_md. */
function isValidXdpAccess(layout: KernelLayout, off: number, size: number): boolean {
  if (off < 0 || off >= layout.structSize(MD)) return false;
  if (off % size !== 0) return false;
  return size === 4;
}

/** xdp_is_valid_access (writes are only allowed for offloaded programs, not modeled). */
export function xdpIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
  opts: XdpAccessOpts = {},
): CtxAccessInfo | undefined {
  const L = layout;
  if (!opts.devmap && off === L.off(MD, 'egress_ifindex')) return undefined;
  if (type === 'write') return undefined;
  const isPkt = off === L.off(MD, 'data') || off === L.off(MD, 'data_meta') || off === L.off(MD, 'data_end');
  if (isPkt && opts.isLdsx) return undefined;
  if (!isValidXdpAccess(L, off, size)) return undefined;
  if (off === L.off(MD, 'data')) return { regType: 'PTR_TO_PACKET' };
  if (off === L.off(MD, 'data_meta')) return { regType: 'PTR_TO_PACKET_META' };
  if (off === L.off(MD, 'data_end')) return { regType: 'PTR_TO_PACKET_END' };
  return { regType: 'SCALAR_VALUE' };
}

/** xdp_convert_ctx_access. */
export function xdpConvertCtxAccess(layout: KernelLayout, _type: BpfAccessType, si: Insn): ConvertResult {
  const L = layout;
  const out: Insn[] = [];
  const buf = (name: string) => L.off('xdp_buff', name);
  switch (si.off) {
    case L.off(MD, 'data'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('data')));
      break;
    case L.off(MD, 'data_meta'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('data_meta')));
      break;
    case L.off(MD, 'data_end'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('data_end')));
      break;
    case L.off(MD, 'ingress_ifindex'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('rxq')));
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.dst, L.off('xdp_rxq_info', 'dev')));
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.dst, L.off('net_device', 'ifindex')));
      break;
    case L.off(MD, 'rx_queue_index'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('rxq')));
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.dst, L.off('xdp_rxq_info', 'queue_index')));
      break;
    case L.off(MD, 'egress_ifindex'):
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.src, buf('txq')));
      out.push(BPF_LDX_MEM(BPF_DW, si.dst, si.dst, L.off('xdp_txq_info', 'dev')));
      out.push(BPF_LDX_MEM(BPF_W, si.dst, si.dst, L.off('net_device', 'ifindex')));
      break;
    default:
      throw new CtxConvertError(`no xdp_md field at offset ${si.off}`);
  }
  return { insns: out, targetSize: 0 };
}
