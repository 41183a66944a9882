// libbpf's SEC("...") name table: section name → program type and expected
// attach type (libbpf.c section_defs, v1.1 plus the later struct_ops.s,
// tcx, netkit and uprobe.multi entries). Names are the kernel's enum names
// without BPF_PROG_TYPE_ / BPF_, lower-cased.

export interface SecDef {
  /** "x" matches exactly, "x+" matches "x" or "x/…", "x/" matches any "x/…". */
  sec: string;
  progType: string;
  expectedAttachType: string | null;
  sleepable: boolean;
  /** The section names a kernel object to attach to (fentry/…, lsm/…): attach_btf_id comes from vmlinux. */
  attachBtf: boolean;
}

const S = 1; // sleepable
const B = 2; // attach by BTF name

const def = (sec: string, progType: string, attach: string | null, flags = 0): SecDef => ({
  sec,
  progType,
  expectedAttachType: attach,
  sleepable: (flags & S) !== 0,
  attachBtf: (flags & B) !== 0,
});

export const SECTION_DEFS: readonly SecDef[] = [
  def('socket', 'socket_filter', null),
  def('sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate'),
  def('sk_reuseport', 'sk_reuseport', 'sk_reuseport_select'),
  def('kprobe+', 'kprobe', null),
  def('uprobe+', 'kprobe', null),
  def('uprobe.s+', 'kprobe', null, S),
  def('kretprobe+', 'kprobe', null),
  def('uretprobe+', 'kprobe', null),
  def('uretprobe.s+', 'kprobe', null, S),
  def('kprobe.multi+', 'kprobe', 'trace_kprobe_multi'),
  def('kretprobe.multi+', 'kprobe', 'trace_kprobe_multi'),
  def('uprobe.multi+', 'kprobe', 'trace_uprobe_multi'),
  def('uretprobe.multi+', 'kprobe', 'trace_uprobe_multi'),
  def('uprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', S),
  def('uretprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', S),
  def('ksyscall+', 'kprobe', null),
  def('kretsyscall+', 'kprobe', null),
  def('usdt+', 'kprobe', null),
  def('tc/ingress', 'sched_cls', 'tcx_ingress'),
  def('tc/egress', 'sched_cls', 'tcx_egress'),
  def('tcx/ingress', 'sched_cls', 'tcx_ingress'),
  def('tcx/egress', 'sched_cls', 'tcx_egress'),
  def('netkit/primary', 'sched_cls', 'netkit_primary'),
  def('netkit/peer', 'sched_cls', 'netkit_peer'),
  def('tc', 'sched_cls', null),
  def('classifier', 'sched_cls', null),
  def('action', 'sched_act', null),
  def('tracepoint+', 'tracepoint', null),
  def('tp+', 'tracepoint', null),
  def('raw_tracepoint+', 'raw_tracepoint', null),
  def('raw_tp+', 'raw_tracepoint', null),
  def('raw_tracepoint.w+', 'raw_tracepoint_writable', null),
  def('raw_tp.w+', 'raw_tracepoint_writable', null),
  def('tp_btf+', 'tracing', 'trace_raw_tp', B),
  def('fentry+', 'tracing', 'trace_fentry', B),
  def('fmod_ret+', 'tracing', 'modify_return', B),
  def('fexit+', 'tracing', 'trace_fexit', B),
  def('fentry.s+', 'tracing', 'trace_fentry', B | S),
  def('fmod_ret.s+', 'tracing', 'modify_return', B | S),
  def('fexit.s+', 'tracing', 'trace_fexit', B | S),
  def('freplace+', 'ext', null, B),
  def('lsm+', 'lsm', 'lsm_mac', B),
  def('lsm.s+', 'lsm', 'lsm_mac', B | S),
  def('lsm_cgroup+', 'lsm', 'lsm_cgroup', B),
  def('iter+', 'tracing', 'trace_iter', B),
  def('iter.s+', 'tracing', 'trace_iter', B | S),
  def('syscall', 'syscall', null, S),
  def('xdp.frags/devmap', 'xdp', 'xdp_devmap'),
  def('xdp/devmap', 'xdp', 'xdp_devmap'),
  def('xdp.frags/cpumap', 'xdp', 'xdp_cpumap'),
  def('xdp/cpumap', 'xdp', 'xdp_cpumap'),
  def('xdp.frags', 'xdp', 'xdp'),
  def('xdp', 'xdp', 'xdp'),
  def('perf_event', 'perf_event', null),
  def('lwt_in', 'lwt_in', null),
  def('lwt_out', 'lwt_out', null),
  def('lwt_xmit', 'lwt_xmit', null),
  def('lwt_seg6local', 'lwt_seg6local', null),
  def('sockops', 'sock_ops', 'cgroup_sock_ops'),
  def('sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser'),
  def('sk_skb/stream_verdict', 'sk_skb', 'sk_skb_stream_verdict'),
  def('sk_skb', 'sk_skb', null),
  def('sk_msg', 'sk_msg', 'sk_msg_verdict'),
  def('lirc_mode2', 'lirc_mode2', 'lirc_mode2'),
  def('flow_dissector', 'flow_dissector', 'flow_dissector'),
  def('cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress'),
  def('cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress'),
  def('cgroup/skb', 'cgroup_skb', null),
  def('cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create'),
  def('cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release'),
  def('cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create'),
  def('cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind'),
  def('cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind'),
  def('cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind'),
  def('cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind'),
  def('cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect'),
  def('cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect'),
  def('cgroup/sendmsg4', 'cgroup_sock_addr', 'cgroup_udp4_sendmsg'),
  def('cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg'),
  def('cgroup/recvmsg4', 'cgroup_sock_addr', 'cgroup_udp4_recvmsg'),
  def('cgroup/recvmsg6', 'cgroup_sock_addr', 'cgroup_udp6_recvmsg'),
  def('cgroup/getpeername4', 'cgroup_sock_addr', 'cgroup_inet4_getpeername'),
  def('cgroup/getpeername6', 'cgroup_sock_addr', 'cgroup_inet6_getpeername'),
  def('cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname'),
  def('cgroup/getsockname6', 'cgroup_sock_addr', 'cgroup_inet6_getsockname'),
  def('cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl'),
  def('cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt'),
  def('cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt'),
  def('cgroup/dev', 'cgroup_device', 'cgroup_device'),
  def('struct_ops+', 'struct_ops', null),
  def('struct_ops.s+', 'struct_ops', null, S),
  def('sk_lookup', 'sk_lookup', 'sk_lookup'),
];

/** libbpf's sec_def_matches. */
export function secDefMatches(d: SecDef, name: string): boolean {
  const last = d.sec[d.sec.length - 1];
  if (last === '/') return name.startsWith(d.sec);
  if (last === '+') {
    const p = d.sec.slice(0, -1);
    return name === p || name.startsWith(`${p}/`);
  }
  return name === d.sec;
}

/** The first matching entry (libbpf's find_sec_def), or undefined for an unknown section name. */
export function findSecDef(name: string): SecDef | undefined {
  return SECTION_DEFS.find((d) => secDefMatches(d, name));
}
