// struct bpf_sock seen through a PTR_TO_SOCK_COMMON (net/core/filter.c): the reads
// bpf_sock_common_is_valid_access allows and bpf_sock_convert_ctx_access's rewrites onto
// struct sock_common / struct sock. Offsets come from BTF.
import { BPF_JMP_IMM, BPF_LDX_MEM, BPF_MOV64_IMM } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import { BPF_B, BPF_H, BPF_JNE, BPF_W } from '../../isa/opcodes';
import type { BpfAccessType, CtxAccessInfo } from '../ops';
import type { KernelLayout } from './layout';
import { type ConvertResult, CtxConvertError } from './narrow';

const SOCK = 'bpf_sock';
const SIZE_DEFAULT = 4;
/** NO_QUEUE_MAPPING: sk_rx_queue_mapping's "none" (USHRT_MAX). */
const NO_QUEUE_MAPPING = 0xffff;

/** The bpf_sock member covering byte `off`, with its range. */
function fieldAt(L: KernelLayout, off: number): { name: string; start: number; end: number } | undefined {
  const names = [
    'bound_dev_if',
    'family',
    'type',
    'protocol',
    'mark',
    'priority',
    'src_ip4',
    'src_ip6',
    'src_port',
  ];
  for (const name of [...names, 'dst_port', 'dst_ip4', 'dst_ip6', 'state', 'rx_queue_mapping']) {
    const start = L.off(SOCK, name);
    const end = start + L.size(SOCK, name);
    if (off >= start && off < end) return { name, start, end };
  }
  return undefined;
}

const narrowOk = (off: number, size: number, fieldSize: number): boolean =>
  size <= fieldSize && (size & (size - 1)) === 0 && off % size === 0;

/** bpf_sock_common_is_valid_access (reads only: check_mem_access refuses writes first). */
export function sockCommonIsValidAccess(
  L: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
): CtxAccessInfo | undefined {
  if (type === 'write' || off < 0 || off >= L.structSize(SOCK) || off % size !== 0) return undefined;
  const f = fieldAt(L, off);
  if (!f) return undefined; // the hole after dst_port
  switch (f.name) {
    case 'type':
    case 'protocol':
    case 'mark':
    case 'priority':
      return undefined; // struct sock only
    case 'dst_port': {
      const fieldSize = size === SIZE_DEFAULT ? SIZE_DEFAULT : 2;
      return narrowOk(off, size, fieldSize)
        ? { regType: 'SCALAR_VALUE', ctxFieldSize: fieldSize }
        : undefined;
    }
    case 'bound_dev_if':
      return size === SIZE_DEFAULT ? { regType: 'SCALAR_VALUE' } : undefined;
    default:
      return narrowOk(off, size, SIZE_DEFAULT)
        ? { regType: 'SCALAR_VALUE', ctxFieldSize: SIZE_DEFAULT }
        : undefined;
  }
}

const sizeCodeOf = (bytes: number): number => (bytes === 1 ? BPF_B : bytes === 2 ? BPF_H : BPF_W);

/** bpf_sock_convert_ctx_access for the sock_common fields. */
export function sockConvertCtxAccess(L: KernelLayout, si: Insn): ConvertResult {
  const f = fieldAt(L, si.off);
  if (!f) throw new CtxConvertError(`no bpf_sock field at offset ${si.off}`);
  // `word`: a 32-bit word of an array member (the IPv6 addresses)
  const load = (struct: string, member: string, word?: number): ConvertResult => {
    const size = word === undefined ? L.size(struct, member) : 4;
    const off = L.off(struct, member) + (word ?? 0);
    return { insns: [BPF_LDX_MEM(sizeCodeOf(size), si.dst, si.src, off)], targetSize: size };
  };
  switch (f.name) {
    case 'bound_dev_if':
      return load('sock_common', 'skc_bound_dev_if');
    case 'family':
      return load('sock_common', 'skc_family');
    case 'state':
      return load('sock_common', 'skc_state');
    case 'src_ip4':
      return load('sock_common', 'skc_rcv_saddr');
    case 'dst_ip4':
      return load('sock_common', 'skc_daddr');
    case 'src_ip6':
      return load('sock_common', 'skc_v6_rcv_saddr', si.off - f.start);
    case 'dst_ip6':
      return load('sock_common', 'skc_v6_daddr', si.off - f.start);
    case 'src_port':
      return load('sock_common', 'skc_num');
    case 'dst_port':
      return load('sock_common', 'skc_dport');
    case 'rx_queue_mapping': {
      // Without CONFIG_SOCK_RX_QUEUE_MAPPING (no such member in BTF) the field reads as -1.
      if (!L.has('sock', 'sk_rx_queue_mapping')) return { insns: [BPF_MOV64_IMM(si.dst, -1)], targetSize: 2 };
      const r = load('sock', 'sk_rx_queue_mapping');
      r.insns.push(BPF_JMP_IMM(BPF_JNE, si.dst, NO_QUEUE_MAPPING, 1), BPF_MOV64_IMM(si.dst, -1));
      return r;
    }
    default:
      throw new CtxConvertError(`bpf_sock field ${f.name} is not in struct sock_common`);
  }
}
