// The modeled kernel's helper protos (struct bpf_func_proto): enum bpf_func_id, the
// kernel function each resolves to (xlated imm = symbol − __bpf_call_base), argument
// and return types as check_helper_call sees them. Covers the helpers the corpus and
// the usual socket_filter / tc / xdp / struct_ops programs call.
import { helperId } from '../isa/helper-names';
import type { BpfArgType, BpfFuncProto, BpfReturnType } from '../verifier/ops';

interface ProtoSpec {
  name: string; // enum bpf_func_id name without the BPF_FUNC_ prefix
  symbol: string;
  ret: BpfReturnType;
  args: BpfArgType[];
  gpl?: boolean;
  pkt?: boolean;
  mightSleep?: boolean;
  argFlags?: string[][];
  argBtfStruct?: (string | undefined)[];
  retBtfStruct?: string;
}

const I: BpfReturnType = 'RET_INTEGER';
const A: BpfArgType = 'ARG_ANYTHING';
const CTX: BpfArgType = 'ARG_PTR_TO_CTX';
const MEM_RO: BpfArgType = 'ARG_PTR_TO_MEM_RDONLY';
const UMEM: BpfArgType = 'ARG_PTR_TO_UNINIT_MEM';
const SZ: BpfArgType = 'ARG_CONST_SIZE';
const SZ0: BpfArgType = 'ARG_CONST_SIZE_OR_ZERO';
const MAP: BpfArgType = 'ARG_CONST_MAP_PTR';
const KEY: BpfArgType = 'ARG_PTR_TO_MAP_KEY';
const VAL: BpfArgType = 'ARG_PTR_TO_MAP_VALUE';

// Symbols are the .func of each proto in net/core/filter.c, kernel/bpf/helpers.c,
// kernel/bpf/core.c (get_prandom_u32 → bpf_user_rnd_u32) and net/ipv4/bpf_tcp_ca.c.
const SPECS: ProtoSpec[] = [
  {
    name: 'map_lookup_elem',
    symbol: 'bpf_map_lookup_elem',
    ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL',
    args: [MAP, KEY],
  },
  { name: 'map_update_elem', symbol: 'bpf_map_update_elem', ret: I, args: [MAP, KEY, VAL, A] },
  { name: 'map_delete_elem', symbol: 'bpf_map_delete_elem', ret: I, args: [MAP, KEY] },
  { name: 'map_push_elem', symbol: 'bpf_map_push_elem', ret: I, args: [MAP, VAL, A] },
  { name: 'map_pop_elem', symbol: 'bpf_map_pop_elem', ret: I, args: [MAP, 'ARG_PTR_TO_MAP_VALUE'] },
  { name: 'map_peek_elem', symbol: 'bpf_map_peek_elem', ret: I, args: [MAP, 'ARG_PTR_TO_MAP_VALUE'] },
  { name: 'ktime_get_ns', symbol: 'bpf_ktime_get_ns', ret: I, args: [] },
  { name: 'ktime_get_boot_ns', symbol: 'bpf_ktime_get_boot_ns', ret: I, args: [] },
  { name: 'ktime_get_coarse_ns', symbol: 'bpf_ktime_get_coarse_ns', ret: I, args: [] },
  { name: 'jiffies64', symbol: 'bpf_jiffies64', ret: I, args: [] },
  { name: 'trace_printk', symbol: 'bpf_trace_printk', ret: I, args: [MEM_RO, SZ], gpl: true },
  { name: 'get_prandom_u32', symbol: 'bpf_user_rnd_u32', ret: I, args: [] },
  { name: 'get_smp_processor_id', symbol: 'bpf_get_smp_processor_id', ret: I, args: [] },
  { name: 'get_numa_node_id', symbol: 'bpf_get_numa_node_id', ret: I, args: [] },
  { name: 'tail_call', symbol: '', ret: 'RET_VOID', args: [CTX, MAP, A] },
  { name: 'loop', symbol: 'bpf_loop', ret: I, args: [A, 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', A] },
  {
    name: 'for_each_map_elem',
    symbol: 'bpf_for_each_map_elem',
    ret: I,
    args: [MAP, 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', A],
  },
  {
    name: 'skb_store_bytes',
    symbol: 'bpf_skb_store_bytes',
    ret: I,
    args: [CTX, A, MEM_RO, SZ, A],
    pkt: true,
  },
  { name: 'skb_load_bytes', symbol: 'bpf_skb_load_bytes', ret: I, args: [CTX, A, UMEM, SZ] },
  {
    name: 'skb_load_bytes_relative',
    symbol: 'bpf_skb_load_bytes_relative',
    ret: I,
    args: [CTX, A, UMEM, SZ, A],
  },
  { name: 'skb_pull_data', symbol: 'bpf_skb_pull_data', ret: I, args: [CTX, A], pkt: true },
  { name: 'l3_csum_replace', symbol: 'bpf_l3_csum_replace', ret: I, args: [CTX, A, A, A, A], pkt: true },
  { name: 'l4_csum_replace', symbol: 'bpf_l4_csum_replace', ret: I, args: [CTX, A, A, A, A], pkt: true },
  {
    name: 'csum_diff',
    symbol: 'bpf_csum_diff',
    ret: I,
    args: [MEM_RO, SZ0, MEM_RO, SZ0, A],
    // bpf_csum_diff_proto: from/to may be NULL (ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY).
    argFlags: [['PTR_MAYBE_NULL'], [], ['PTR_MAYBE_NULL'], [], []],
  },
  { name: 'csum_update', symbol: 'bpf_csum_update', ret: I, args: [CTX, A] },
  { name: 'csum_level', symbol: 'bpf_csum_level', ret: I, args: [CTX, A] },
  { name: 'clone_redirect', symbol: 'bpf_clone_redirect', ret: I, args: [CTX, A, A], pkt: true },
  { name: 'redirect', symbol: 'bpf_redirect', ret: I, args: [A, A] },
  { name: 'redirect_map', symbol: 'bpf_redirect_map', ret: I, args: [MAP, A, A] },
  { name: 'get_cgroup_classid', symbol: 'bpf_get_cgroup_classid', ret: I, args: [CTX] },
  { name: 'skb_vlan_push', symbol: 'bpf_skb_vlan_push', ret: I, args: [CTX, A, A], pkt: true },
  { name: 'skb_vlan_pop', symbol: 'bpf_skb_vlan_pop', ret: I, args: [CTX], pkt: true },
  { name: 'skb_change_proto', symbol: 'bpf_skb_change_proto', ret: I, args: [CTX, A, A], pkt: true },
  { name: 'skb_change_type', symbol: 'bpf_skb_change_type', ret: I, args: [CTX, A] },
  { name: 'skb_change_tail', symbol: 'bpf_skb_change_tail', ret: I, args: [CTX, A, A], pkt: true },
  { name: 'skb_change_head', symbol: 'bpf_skb_change_head', ret: I, args: [CTX, A, A], pkt: true },
  { name: 'skb_adjust_room', symbol: 'bpf_skb_adjust_room', ret: I, args: [CTX, A, A, A], pkt: true },
  { name: 'get_hash_recalc', symbol: 'bpf_get_hash_recalc', ret: I, args: [CTX] },
  { name: 'set_hash_invalid', symbol: 'bpf_set_hash_invalid', ret: 'RET_VOID', args: [CTX] },
  { name: 'set_hash', symbol: 'bpf_set_hash', ret: I, args: [CTX, A] },
  { name: 'get_socket_cookie', symbol: 'bpf_get_socket_cookie', ret: I, args: [CTX] },
  { name: 'get_socket_uid', symbol: 'bpf_get_socket_uid', ret: I, args: [CTX] },
  { name: 'perf_event_output', symbol: 'bpf_skb_event_output', ret: I, args: [CTX, MAP, A, MEM_RO, SZ0] },
  { name: 'xdp_adjust_head', symbol: 'bpf_xdp_adjust_head', ret: I, args: [CTX, A], pkt: true },
  { name: 'xdp_adjust_meta', symbol: 'bpf_xdp_adjust_meta', ret: I, args: [CTX, A], pkt: true },
  { name: 'xdp_adjust_tail', symbol: 'bpf_xdp_adjust_tail', ret: I, args: [CTX, A], pkt: true },
  {
    name: 'tcp_send_ack',
    symbol: 'bpf_tcp_send_ack',
    ret: I,
    args: ['ARG_PTR_TO_BTF_ID', A],
    argBtfStruct: ['tcp_sock'],
  },
  // net/core/filter.c bpf_sk_setsockopt_proto / bpf_sk_getsockopt_proto (what bpf_tcp_ca's
  // get_func_proto hands out) and net/core/bpf_sk_storage.c bpf_sk_storage_{get,delete}_proto.
  {
    name: 'setsockopt',
    symbol: 'bpf_sk_setsockopt',
    ret: I,
    args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', A, A, MEM_RO, SZ],
  },
  {
    name: 'getsockopt',
    symbol: 'bpf_sk_getsockopt',
    ret: I,
    args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', A, A, UMEM, SZ],
  },
  {
    name: 'sk_storage_get',
    symbol: 'bpf_sk_storage_get',
    ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL',
    args: [MAP, 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', VAL, A],
    argFlags: [[], [], ['PTR_MAYBE_NULL'], []],
  },
  {
    name: 'sk_storage_delete',
    symbol: 'bpf_sk_storage_delete',
    ret: I,
    args: [MAP, 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'],
  },
  // Tracing and syscall helpers (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c, kernel/bpf/syscall.c).
  { name: 'get_current_pid_tgid', symbol: 'bpf_get_current_pid_tgid', ret: I, args: [] },
  { name: 'get_current_uid_gid', symbol: 'bpf_get_current_uid_gid', ret: I, args: [] },
  { name: 'get_current_task', symbol: 'bpf_get_current_task', ret: I, args: [], gpl: true },
  { name: 'get_current_cgroup_id', symbol: 'bpf_get_current_cgroup_id', ret: I, args: [] },
  { name: 'ktime_get_tai_ns', symbol: 'bpf_ktime_get_tai_ns', ret: I, args: [] },
  { name: 'get_current_comm', symbol: 'bpf_get_current_comm', ret: I, args: [UMEM, SZ] },
  { name: 'probe_read_kernel', symbol: 'bpf_probe_read_kernel', ret: I, args: [UMEM, SZ0, A], gpl: true },
  { name: 'copy_from_user', symbol: 'bpf_copy_from_user', ret: I, args: [UMEM, SZ0, A], mightSleep: true },
  { name: 'sys_bpf', symbol: 'bpf_sys_bpf', ret: I, args: [A, MEM_RO, SZ] },
  { name: 'get_func_ip', symbol: 'bpf_get_func_ip_kprobe', ret: I, args: [CTX] },
  { name: 'get_attach_cookie', symbol: 'bpf_get_attach_cookie_trace', ret: I, args: [CTX] },
  // bpf_get_current_task_btf_proto: the current task as a trusted task_struct pointer.
  {
    name: 'get_current_task_btf',
    symbol: 'bpf_get_current_task_btf',
    ret: 'RET_PTR_TO_BTF_ID_TRUSTED',
    args: [],
    gpl: true,
    retBtfStruct: 'task_struct',
  },
  // kernel/bpf/task_iter.c bpf_find_vma_proto: callback(task, vma, ctx) on the vma holding addr.
  {
    name: 'find_vma',
    symbol: 'bpf_find_vma',
    ret: I,
    args: ['ARG_PTR_TO_BTF_ID', A, 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', A],
    argBtfStruct: ['task_struct'],
  },
];

/** Per-program-type overrides of a proto's .func (same helper id, another kernel function). */
export const XDP_SYMBOL_OVERRIDES: Readonly<Record<string, string>> = {
  perf_event_output: 'bpf_xdp_event_output',
  redirect: 'bpf_xdp_redirect',
  redirect_map: 'bpf_xdp_redirect_map',
};

function toProto(s: ProtoSpec): BpfFuncProto {
  const id = helperId(s.name);
  if (id === undefined) throw new Error(`unknown helper ${s.name}`);
  const p: BpfFuncProto = {
    id,
    name: `bpf_${s.name}`,
    symbol: s.symbol,
    gplOnly: s.gpl ?? false,
    ret: s.ret,
    args: s.args,
  };
  if (s.pkt) p.changesPktData = true;
  if (s.mightSleep) p.mightSleep = true;
  if (s.argFlags) p.argFlags = s.argFlags;
  if (s.argBtfStruct) p.argBtfStruct = s.argBtfStruct;
  if (s.retBtfStruct) p.retBtfStruct = s.retBtfStruct;
  return p;
}

const BY_NAME = new Map<string, BpfFuncProto>(SPECS.map((s) => [s.name, toProto(s)]));
const BY_ID = new Map<number, BpfFuncProto>([...BY_NAME.values()].map((p) => [p.id, p]));

/** The modeled proto of helper `name` (without the bpf_ prefix), or undefined. */
export const helperProto = (name: string): BpfFuncProto | undefined => BY_NAME.get(name);

/** The modeled proto of enum bpf_func_id `id`, or undefined when the model has none. */
export const helperProtoById = (id: number): BpfFuncProto | undefined => BY_ID.get(id);

/** Every modeled helper proto. */
export const allHelperProtos = (): BpfFuncProto[] => [...BY_ID.values()];

/** A copy of `proto` whose .func is another symbol (xdp's event_output, redirect, …). */
export const withSymbol = (proto: BpfFuncProto, symbol: string): BpfFuncProto => ({ ...proto, symbol });

/** The helper ids do_misc_fixups treats specially; named so fixups read like the kernel. */
export const BPF_FUNC = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  tail_call: 12,
  skb_pull_data: 39,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  jiffies64: 118,
} as const;
