// cgroup_skb programs (net/core/filter.c cg_skb_is_valid_access): struct __sk_buff seen from a
// cgroup's ingress/egress hook. Packet data is readable (CAP_BPF), never writable; a few
// fields are writable, and the tc/flow-dissector-only fields are refused.
import type { BpfAccessType, CtxAccessInfo } from '../ops';
import type { KernelLayout } from './layout';
import { type AccessOpts, bpfSkbIsValidAccess, skbFieldAt } from './skb';

/** enum bpf_attach_type values a cgroup_skb program may be loaded for. */
export const BPF_CGROUP_INET_INGRESS = 0;
export const BPF_CGROUP_INET_EGRESS = 1;

/** cg_skb_is_valid_access for a privileged (CAP_BPF, CAP_SYS_ADMIN) load. */
export function cgSkbIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
  opts: AccessOpts = {},
): CtxAccessInfo | undefined {
  const f = skbFieldAt(layout, off);
  switch (f?.name) {
    case 'tc_classid':
    case 'data_meta':
    case 'wire_len':
      return undefined;
  }
  if (type === 'write') {
    switch (f?.name) {
      case 'mark':
      case 'priority':
      case 'cb':
      case 'tstamp':
        break;
      default:
        return undefined;
    }
  }
  const info = bpfSkbIsValidAccess(layout, off, size, type, opts);
  if (!info) return undefined;
  if (f?.name === 'data') return { ...info, regType: 'PTR_TO_PACKET' };
  if (f?.name === 'data_end') return { ...info, regType: 'PTR_TO_PACKET_END' };
  return info;
}

/** check_return_code: ingress returns 0 (drop) or 1 (pass); egress may add congestion bits (2, 3). */
export function cgSkbRetRange(expectedAttachType: number): { min: number; max: number } {
  return expectedAttachType === BPF_CGROUP_INET_EGRESS ? { min: 0, max: 3 } : { min: 0, max: 1 };
}
