// enum bpf_prog_type values (include/uapi/linux/bpf.h) of the modelled program types: the
// verifier prints the number where it names a type (check_get_func_ip).
export const BPF_PROG_TYPE_ID: Readonly<Record<string, number>> = {
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  tracepoint: 5,
  xdp: 6,
  cgroup_skb: 8,
  raw_tracepoint: 17,
  struct_ops: 27,
  syscall: 31,
};
