/** The program types the verifier model has (BPF_PROG_TYPE_* lower-cased, as bpftool names them). */
export const PROG_TYPE_NAMES = [
  'socket_filter',
  'sched_cls',
  'xdp',
  'struct_ops',
  'cgroup_skb',
  'tracepoint',
  'kprobe',
  'raw_tracepoint',
  'syscall',
] as const;
export type ProgTypeName = (typeof PROG_TYPE_NAMES)[number];
