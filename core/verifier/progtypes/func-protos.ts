// get_func_proto per program type: which helpers a program may call (net/core/filter.c
// sk_filter_func_proto, tc_cls_act_func_proto, xdp_func_proto, bpf_sk_base_func_proto;
// kernel/bpf/helpers.c bpf_base_func_proto; struct_ops add their own). The loads modeled
// here are privileged (CAP_BPF + CAP_PERFMON), so capability-gated base helpers are in.

import { funcIdName } from '../../isa/helper-names';
import { helperProto, withSymbol, XDP_SYMBOL_OVERRIDES } from '../../kernel/helpers';
import type { BpfFuncProto } from '../ops';

const BASE = [
  'map_lookup_elem',
  'map_update_elem',
  'map_delete_elem',
  'map_push_elem',
  'map_pop_elem',
  'map_peek_elem',
  'get_prandom_u32',
  'get_smp_processor_id',
  'get_numa_node_id',
  'tail_call',
  'ktime_get_ns',
  'ktime_get_boot_ns',
  'jiffies64',
  'trace_printk',
  // 6.18 also gives every type these (current task's ids; CAP_PERFMON's probe reads and
  // current task; the cgroup helpers), as loads into the selftest-rules kernel show
  // (kf-proto-* programs)
  'get_current_pid_tgid',
  'get_current_uid_gid',
  'get_current_task',
  'get_current_task_btf',
  'get_current_cgroup_id',
  'ktime_get_tai_ns',
  'get_cgroup_classid',
  'probe_read_kernel',
  // bpf_capable: callbacks (the callback's address needs program BTF)
  'loop',
  'for_each_map_elem',
];

const SK_BASE = [...BASE, 'ktime_get_coarse_ns'];

const SK_FILTER = [
  'skb_load_bytes',
  'skb_load_bytes_relative',
  'get_socket_cookie',
  'get_socket_uid',
  'perf_event_output',
];

const TC_CLS_ACT = [
  'skb_store_bytes',
  'skb_load_bytes',
  'skb_load_bytes_relative',
  'skb_pull_data',
  'csum_diff',
  'csum_update',
  'csum_level',
  'l3_csum_replace',
  'l4_csum_replace',
  'clone_redirect',
  'get_cgroup_classid',
  'skb_vlan_push',
  'skb_vlan_pop',
  'skb_change_proto',
  'skb_change_type',
  'skb_adjust_room',
  'skb_change_tail',
  'skb_change_head',
  'redirect',
  'get_hash_recalc',
  'set_hash_invalid',
  'set_hash',
  'perf_event_output',
  'get_smp_processor_id',
  'get_socket_cookie',
  'get_socket_uid',
];

const XDP = [
  'perf_event_output',
  'get_smp_processor_id',
  'csum_diff',
  'xdp_adjust_head',
  'xdp_adjust_meta',
  'redirect',
  'redirect_map',
  'xdp_adjust_tail',
];

// The base set's bpf_get_cgroup_classid is the current task's (bpf_get_cgroup_classid_curr_proto,
// no argument); tc's own skb one replaces it there.
const CGROUP_CLASSID_CURR: BpfFuncProto = {
  ...helperProto('get_cgroup_classid')!,
  symbol: 'bpf_get_cgroup_classid_curr',
  args: [],
};

function table(
  names: readonly string[],
  overrides: Readonly<Record<string, string>> = {},
): Map<number, BpfFuncProto> {
  const m = new Map<number, BpfFuncProto>();
  for (const n of names) {
    // listed once: only the base set's (the current task's) one
    const once = names.indexOf(n) === names.lastIndexOf(n);
    const p = n === 'get_cgroup_classid' && once ? CGROUP_CLASSID_CURR : helperProto(n);
    if (!p) throw new Error(`helper ${n} has no modeled proto`);
    const sym = overrides[n];
    m.set(p.id, sym ? withSymbol(p, sym) : p);
  }
  return m;
}

// kernel/trace/bpf_trace.c bpf_tracing_func_proto: the base set plus the current task and
// kernel-memory helpers every tracing type shares (get_smp_processor_id is the inlined one).
const TRACING = [...BASE, 'get_current_comm', 'copy_from_user', 'get_func_ip', 'find_vma'];
const TRACING_OVERRIDES = { get_func_ip: 'bpf_get_func_ip_tracing' };
// tp/kprobe/raw_tp_prog_func_proto: their own attach cookie and (kprobe) the probed ip;
// CONFIG_BPF_KPROBE_OVERRIDE is off in the modelled build (no bpf_override_return).
const TRACEPOINT = [...TRACING, 'get_attach_cookie'];
const KPROBE = [...TRACING, 'get_attach_cookie'];
const RAW_TRACEPOINT = [...TRACING, 'get_attach_cookie'];
// kernel/bpf/syscall.c syscall_prog_func_proto: bpf_sys_bpf (CAP_PERFMON), then the tracing set
// (no attach cookie: kf-proto-syscall-get-attach-cookie).
const SYSCALL = [...TRACING, 'sys_bpf'];

const BASE_TABLE = table(BASE);
const SK_FILTER_TABLE = table([...SK_BASE, ...SK_FILTER]);
const TC_TABLE = table([...SK_BASE, ...TC_CLS_ACT]);
const XDP_TABLE = table([...SK_BASE, ...XDP], XDP_SYMBOL_OVERRIDES);

export type FuncProtoFn = (funcId: number) => BpfFuncProto | undefined;

export const bpfBaseFuncProto: FuncProtoFn = (id) => BASE_TABLE.get(id);
export const skFilterFuncProto: FuncProtoFn = (id) => SK_FILTER_TABLE.get(id);
export const tcClsActFuncProto: FuncProtoFn = (id) => TC_TABLE.get(id);
export const xdpFuncProto: FuncProtoFn = (id) => XDP_TABLE.get(id);
/** cg_skb_func_proto: the socket filter's set (its cgroup and socket-lookup extras are not modelled). */
export const cgSkbFuncProto: FuncProtoFn = (id) => SK_FILTER_TABLE.get(id);
const TP_TABLE = table(TRACEPOINT, TRACING_OVERRIDES);
const KPROBE_TABLE = table(KPROBE);
const RAW_TP_TABLE = table(RAW_TRACEPOINT, {
  ...TRACING_OVERRIDES,
  get_attach_cookie: 'bpf_get_attach_cookie_tracing',
});
const SYSCALL_TABLE = table(SYSCALL, TRACING_OVERRIDES);
// syscall falls back on tracing_prog_func_proto, whose bpf_get_socket_cookie takes a socket
// pointer (bpf_get_socket_ptr_cookie_proto; kf-proto-syscall-get-socket-cookie). Its other
// extras (skc_to_*, get_func_arg …) are not modelled.
const SOCKET_PTR_COOKIE: BpfFuncProto = {
  ...helperProto('get_socket_cookie')!,
  symbol: 'bpf_get_socket_ptr_cookie',
  args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'],
};
SYSCALL_TABLE.set(SOCKET_PTR_COOKIE.id, SOCKET_PTR_COOKIE);
export const tracepointFuncProto: FuncProtoFn = (id) => TP_TABLE.get(id);
export const kprobeFuncProto: FuncProtoFn = (id) => KPROBE_TABLE.get(id);
export const rawTracepointFuncProto: FuncProtoFn = (id) => RAW_TP_TABLE.get(id);
export const syscallFuncProto: FuncProtoFn = (id) => SYSCALL_TABLE.get(id);
/** A struct_ops get_func_proto: bpf_base_func_proto plus the subsystem's own helpers. */
export function baseFuncProtoWith(helpers: readonly string[]): FuncProtoFn {
  const t = table([...BASE, ...helpers.filter((h) => !BASE.includes(h))]);
  return (id) => t.get(id);
}

/** The names a program type's get_func_proto accepts (for docs and the UI). */
export function allowedHelperNames(fn: FuncProtoFn): string[] {
  const out: string[] = [];
  for (let id = 0; id < 212; id++) if (fn(id)) out.push(`bpf_${funcIdName(id)}`);
  return out;
}
