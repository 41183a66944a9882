// Kfunc sets of the reference kernel (Linux 6.18), by function name. The
// vmlinux BTF does not say which hook a kfunc is registered for (that lives in
// .BTF_ids and the initcalls), so this module names the sets and the program
// types each is registered for, as the kernel sources do; ids come from the
// BTF at registration time. Entries whose function is not in the BTF
// (compiled out) are skipped and reported.
//
// pahole (decl_tag_kfuncs) tags exactly the FUNCs it finds in the kernel's
// BTF_KFUNCS sets with "bpf_kfunc", so the tagged FUNCs of the reference BTF
// are the union of these sets: kfunc-sets-linux-6.18.test.ts checks both ways.
import type { Btf } from './btf';
import {
  type BpfProgTypeName,
  type BtfIdList,
  BtfIdSet8,
  type BtfKfuncFilter,
  KF_ACQUIRE,
  KF_ARENA_ARG2,
  KF_ARENA_RET,
  KF_DESTRUCTIVE,
  KF_FASTCALL,
  KF_ITER_DESTROY,
  KF_ITER_NEW,
  KF_ITER_NEXT,
  KF_RCU,
  KF_RCU_PROTECTED,
  KF_RELEASE,
  KF_RET_NULL,
  KF_SLEEPABLE,
  KF_TRUSTED_ARGS,
  type KfuncSetRegistry,
  resolveBtfIdList,
} from './kfuncs';

/** What the kernel's kfunc filters read of struct bpf_prog. */
export interface KfuncProg {
  progType: BpfProgTypeName;
  /** enum bpf_attach_type without BPF_, lowercase ('trace_iter'); absent = 0, as a plain load passes. */
  expectedAttachType?: string;
}

/** A btf_kfunc_id_set's .filter: it hides the set's kfuncs from programs `allows` rejects (-EACCES). */
export interface KfuncSetFilterSpec {
  /** The kernel function's name. */
  name: string;
  /** Which programs keep the set, in words (for listings). */
  only: string;
  allows(prog: KfuncProg): boolean;
}

export interface KfuncSetSpec {
  /** The BTF_KFUNCS_START name. */
  name: string;
  /** Kernel source file that defines and registers it. */
  source: string;
  /** Program types passed to register_btf_kfunc_id_set ('unspec' = the COMMON hook). */
  progTypes: BpfProgTypeName[];
  /** Also (or only) passed to register_btf_fmodret_id_set: fmod_ret may attach, nothing may call. */
  fmodret?: boolean;
  filter?: KfuncSetFilterSpec;
  /** BTF_ID_FLAGS(func, name, flags) in order. */
  kfuncs: readonly (readonly [string, number])[];
  /** True where the list was reconstructed from patches around 6.18 rather than read from the 6.18 file. */
  unconfirmed?: boolean;
}

const EACCES = 13;

const ITER_NEXT = KF_ITER_NEXT | KF_RET_NULL;

export const LINUX_6_18_KFUNC_SETS: readonly KfuncSetSpec[] = [
  {
    // The tcp congestion control kfuncs struct_ops programs may call.
    name: 'bpf_tcp_ca_check_kfunc_ids',
    source: 'net/ipv4/bpf_tcp_ca.c',
    progTypes: ['struct_ops'],
    kfuncs: [
      ['tcp_reno_ssthresh', 0],
      ['tcp_reno_cong_avoid', 0],
      ['tcp_reno_undo_cwnd', 0],
      ['tcp_slow_start', 0],
      ['tcp_cong_avoid_ai', 0],
    ],
  },
  {
    name: 'tcp_cubic_check_kfunc_ids',
    source: 'net/ipv4/tcp_cubic.c',
    progTypes: ['struct_ops'],
    kfuncs: [
      ['cubictcp_init', 0],
      ['cubictcp_recalc_ssthresh', 0],
      ['cubictcp_cong_avoid', 0],
      ['cubictcp_state', 0],
      ['cubictcp_cwnd_event', 0],
      ['cubictcp_acked', 0],
    ],
  },
  {
    name: 'tcp_bbr_check_kfunc_ids',
    source: 'net/ipv4/tcp_bbr.c',
    progTypes: ['struct_ops'],
    kfuncs: [
      ['bbr_init', 0],
      ['bbr_main', 0],
      ['bbr_sndbuf_expand', 0],
      ['bbr_undo_cwnd', 0],
      ['bbr_cwnd_event', 0],
      ['bbr_ssthresh', 0],
      ['bbr_min_tso_segs', 0],
      ['bbr_set_state', 0],
    ],
  },
  {
    name: 'generic_btf_ids',
    source: 'kernel/bpf/helpers.c',
    progTypes: ['tracing', 'sched_cls', 'xdp', 'struct_ops', 'syscall', 'cgroup_skb'],
    kfuncs: [
      ['crash_kexec', KF_DESTRUCTIVE],
      ['bpf_obj_new_impl', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_percpu_obj_new_impl', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_obj_drop_impl', KF_RELEASE],
      ['bpf_percpu_obj_drop_impl', KF_RELEASE],
      ['bpf_refcount_acquire_impl', KF_ACQUIRE | KF_RET_NULL | KF_RCU],
      ['bpf_list_push_front_impl', 0],
      ['bpf_list_push_back_impl', 0],
      ['bpf_list_pop_front', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_list_pop_back', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_list_front', KF_RET_NULL],
      ['bpf_list_back', KF_RET_NULL],
      ['bpf_task_acquire', KF_ACQUIRE | KF_RCU | KF_RET_NULL],
      ['bpf_task_release', KF_RELEASE],
      ['bpf_rbtree_remove', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_rbtree_add_impl', 0],
      ['bpf_rbtree_first', KF_RET_NULL],
      ['bpf_rbtree_root', KF_RET_NULL],
      ['bpf_rbtree_left', KF_RET_NULL],
      ['bpf_rbtree_right', KF_RET_NULL],
      ['bpf_cgroup_acquire', KF_ACQUIRE | KF_RCU | KF_RET_NULL],
      ['bpf_cgroup_release', KF_RELEASE],
      ['bpf_cgroup_ancestor', KF_ACQUIRE | KF_RCU | KF_RET_NULL],
      ['bpf_cgroup_from_id', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_task_under_cgroup', KF_RCU],
      ['bpf_task_get_cgroup1', KF_ACQUIRE | KF_RCU | KF_RET_NULL],
      ['bpf_task_from_pid', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_task_from_vpid', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_throw', 0],
      ['bpf_send_signal_task', KF_TRUSTED_ARGS],
      // CONFIG_KEYS: moved here from kernel/trace/bpf_trace.c in 6.18 (signed programs). The
      // move made bpf_verify_pkcs7_signature's body unconditional but kept its entry under
      // CONFIG_SYSTEM_DATA_VERIFICATION; the reference BTF has that FUNC untagged, so this is
      // the moved code with the option off, and the entry is left out.
      ['bpf_lookup_user_key', KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE],
      ['bpf_lookup_system_key', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_key_put', KF_RELEASE],
    ],
  },
  {
    name: 'common_btf_ids',
    source: 'kernel/bpf/helpers.c',
    progTypes: ['unspec'],
    // The string and task_work entries were added in 6.17/6.18 (read from the patches).
    unconfirmed: true,
    kfuncs: [
      ['bpf_cast_to_kern_ctx', KF_FASTCALL],
      ['bpf_rdonly_cast', KF_FASTCALL],
      ['bpf_rcu_read_lock', 0],
      ['bpf_rcu_read_unlock', 0],
      ['bpf_dynptr_slice', KF_RET_NULL],
      ['bpf_dynptr_slice_rdwr', KF_RET_NULL],
      ['bpf_iter_num_new', KF_ITER_NEW],
      ['bpf_iter_num_next', ITER_NEXT],
      ['bpf_iter_num_destroy', KF_ITER_DESTROY],
      ['bpf_iter_task_vma_new', KF_ITER_NEW | KF_RCU],
      ['bpf_iter_task_vma_next', ITER_NEXT],
      ['bpf_iter_task_vma_destroy', KF_ITER_DESTROY],
      ['bpf_iter_css_task_new', KF_ITER_NEW | KF_TRUSTED_ARGS],
      ['bpf_iter_css_task_next', ITER_NEXT],
      ['bpf_iter_css_task_destroy', KF_ITER_DESTROY],
      ['bpf_iter_css_new', KF_ITER_NEW | KF_TRUSTED_ARGS | KF_RCU_PROTECTED],
      ['bpf_iter_css_next', ITER_NEXT],
      ['bpf_iter_css_destroy', KF_ITER_DESTROY],
      ['bpf_iter_task_new', KF_ITER_NEW | KF_TRUSTED_ARGS | KF_RCU_PROTECTED],
      ['bpf_iter_task_next', ITER_NEXT],
      ['bpf_iter_task_destroy', KF_ITER_DESTROY],
      ['bpf_dynptr_adjust', 0],
      ['bpf_dynptr_is_null', 0],
      ['bpf_dynptr_is_rdonly', 0],
      ['bpf_dynptr_size', 0],
      ['bpf_dynptr_clone', 0],
      ['bpf_dynptr_copy', 0],
      ['bpf_dynptr_memset', 0],
      ['bpf_modify_return_test_tp', 0],
      ['bpf_wq_init', 0],
      ['bpf_wq_set_callback_impl', 0],
      ['bpf_wq_start', 0],
      ['bpf_preempt_disable', 0],
      ['bpf_preempt_enable', 0],
      ['bpf_iter_bits_new', KF_ITER_NEW],
      ['bpf_iter_bits_next', ITER_NEXT],
      ['bpf_iter_bits_destroy', KF_ITER_DESTROY],
      ['bpf_copy_from_user_str', KF_SLEEPABLE],
      ['bpf_copy_from_user_task_str', KF_SLEEPABLE],
      ['bpf_get_kmem_cache', 0],
      ['bpf_iter_kmem_cache_new', KF_ITER_NEW | KF_SLEEPABLE],
      ['bpf_iter_kmem_cache_next', ITER_NEXT | KF_SLEEPABLE],
      ['bpf_iter_kmem_cache_destroy', KF_ITER_DESTROY | KF_SLEEPABLE],
      ['bpf_local_irq_save', 0],
      ['bpf_local_irq_restore', 0],
      ['bpf_probe_read_user_dynptr', 0],
      ['bpf_probe_read_kernel_dynptr', 0],
      ['bpf_probe_read_user_str_dynptr', 0],
      ['bpf_probe_read_kernel_str_dynptr', 0],
      ['bpf_copy_from_user_dynptr', KF_SLEEPABLE],
      ['bpf_copy_from_user_str_dynptr', KF_SLEEPABLE],
      ['bpf_copy_from_user_task_dynptr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
      ['bpf_copy_from_user_task_str_dynptr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
      ['bpf_iter_dmabuf_new', KF_ITER_NEW | KF_SLEEPABLE],
      ['bpf_iter_dmabuf_next', ITER_NEXT | KF_SLEEPABLE],
      ['bpf_iter_dmabuf_destroy', KF_ITER_DESTROY | KF_SLEEPABLE],
      ['__bpf_trap', 0],
      ['bpf_strcmp', 0],
      ['bpf_strcasecmp', 0],
      ['bpf_strchr', 0],
      ['bpf_strchrnul', 0],
      ['bpf_strnchr', 0],
      ['bpf_strrchr', 0],
      ['bpf_strlen', 0],
      ['bpf_strnlen', 0],
      ['bpf_strspn', 0],
      ['bpf_strcspn', 0],
      ['bpf_strstr', 0],
      ['bpf_strnstr', 0],
      ['bpf_cgroup_read_xattr', KF_RCU],
      ['bpf_stream_vprintk_impl', KF_TRUSTED_ARGS],
      ['bpf_task_work_schedule_signal_impl', KF_TRUSTED_ARGS],
      ['bpf_task_work_schedule_resume_impl', KF_TRUSTED_ARGS],
    ],
  },
  {
    name: 'bpf_kfunc_check_set_skb',
    source: 'net/core/filter.c',
    progTypes: [
      'sched_cls',
      'sched_act',
      'sk_skb',
      'socket_filter',
      'cgroup_skb',
      'lwt_out',
      'lwt_in',
      'lwt_xmit',
      'lwt_seg6local',
      'netfilter',
      'tracing',
    ],
    kfuncs: [['bpf_dynptr_from_skb', KF_TRUSTED_ARGS]],
  },
  {
    name: 'bpf_kfunc_check_set_skb_meta',
    source: 'net/core/filter.c',
    progTypes: ['sched_cls', 'sched_act'],
    kfuncs: [['bpf_dynptr_from_skb_meta', KF_TRUSTED_ARGS]],
  },
  {
    name: 'bpf_kfunc_check_set_xdp',
    source: 'net/core/filter.c',
    progTypes: ['xdp'],
    // bpf_xdp_pull_data joined this set in 6.18 (from the patch, not the release file).
    unconfirmed: true,
    kfuncs: [
      ['bpf_dynptr_from_xdp', 0],
      ['bpf_xdp_pull_data', 0],
    ],
  },
  {
    name: 'bpf_kfunc_check_set_sock_addr',
    source: 'net/core/filter.c',
    progTypes: ['cgroup_sock_addr'],
    kfuncs: [['bpf_sock_addr_set_sun_path', 0]],
  },
  {
    name: 'bpf_kfunc_check_set_tcp_reqsk',
    source: 'net/core/filter.c',
    progTypes: ['sched_cls'],
    kfuncs: [['bpf_sk_assign_tcp_reqsk', KF_TRUSTED_ARGS]],
  },
  {
    name: 'bpf_kfunc_check_set_sock_ops',
    source: 'net/core/filter.c',
    progTypes: ['sock_ops'],
    kfuncs: [['bpf_sock_ops_enable_tx_tstamp', KF_TRUSTED_ARGS]],
  },
  {
    name: 'xdp_metadata_kfunc_ids',
    source: 'net/core/xdp.c',
    progTypes: ['xdp'],
    kfuncs: [
      ['bpf_xdp_metadata_rx_timestamp', KF_TRUSTED_ARGS],
      ['bpf_xdp_metadata_rx_hash', KF_TRUSTED_ARGS],
      ['bpf_xdp_metadata_rx_vlan_tag', KF_TRUSTED_ARGS],
    ],
  },
  {
    name: 'nf_ct_kfunc_set',
    source: 'net/netfilter/nf_conntrack_bpf.c',
    progTypes: ['xdp', 'sched_cls'],
    unconfirmed: true,
    kfuncs: [
      ['bpf_xdp_ct_alloc', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_xdp_ct_lookup', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_skb_ct_alloc', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_skb_ct_lookup', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_ct_insert_entry', KF_ACQUIRE | KF_RET_NULL | KF_RELEASE],
      ['bpf_ct_release', KF_RELEASE],
      ['bpf_ct_set_timeout', KF_TRUSTED_ARGS],
      ['bpf_ct_change_timeout', KF_TRUSTED_ARGS],
      ['bpf_ct_set_status', KF_TRUSTED_ARGS],
      ['bpf_ct_change_status', KF_TRUSTED_ARGS],
    ],
  },
  {
    name: 'nf_nat_kfunc_set',
    source: 'net/netfilter/nf_nat_bpf.c',
    progTypes: ['xdp', 'sched_cls'],
    unconfirmed: true,
    kfuncs: [['bpf_ct_set_nat_info', KF_TRUSTED_ARGS]],
  },
  {
    name: 'xfrm_state_kfunc_set',
    source: 'net/xfrm/xfrm_state_bpf.c',
    progTypes: ['xdp'],
    unconfirmed: true,
    kfuncs: [
      ['bpf_xdp_get_xfrm_state', KF_RET_NULL | KF_ACQUIRE],
      ['bpf_xdp_xfrm_state_release', KF_RELEASE],
    ],
  },
  {
    // bpf_cpumask objects: create/acquire/release plus the cpumask_* wrappers.
    name: 'cpumask_kfunc_btf_ids',
    source: 'kernel/bpf/cpumask.c',
    progTypes: ['tracing', 'struct_ops', 'syscall'],
    kfuncs: [
      ['bpf_cpumask_create', KF_ACQUIRE | KF_RET_NULL],
      ['bpf_cpumask_release', KF_RELEASE],
      ['bpf_cpumask_acquire', KF_ACQUIRE | KF_TRUSTED_ARGS],
      ['bpf_cpumask_first', KF_RCU],
      ['bpf_cpumask_first_zero', KF_RCU],
      ['bpf_cpumask_first_and', KF_RCU],
      ['bpf_cpumask_set_cpu', KF_RCU],
      ['bpf_cpumask_clear_cpu', KF_RCU],
      ['bpf_cpumask_test_cpu', KF_RCU],
      ['bpf_cpumask_test_and_set_cpu', KF_RCU],
      ['bpf_cpumask_test_and_clear_cpu', KF_RCU],
      ['bpf_cpumask_setall', KF_RCU],
      ['bpf_cpumask_clear', KF_RCU],
      ['bpf_cpumask_and', KF_RCU],
      ['bpf_cpumask_or', KF_RCU],
      ['bpf_cpumask_xor', KF_RCU],
      ['bpf_cpumask_equal', KF_RCU],
      ['bpf_cpumask_intersects', KF_RCU],
      ['bpf_cpumask_subset', KF_RCU],
      ['bpf_cpumask_empty', KF_RCU],
      ['bpf_cpumask_full', KF_RCU],
      ['bpf_cpumask_copy', KF_RCU],
      ['bpf_cpumask_any_distribute', KF_RCU],
      ['bpf_cpumask_any_and_distribute', KF_RCU],
      ['bpf_cpumask_weight', KF_RCU],
      ['bpf_cpumask_populate', KF_RCU],
    ],
  },
  {
    // BPF arena pages; registered for every program type (the kfunc_init there names it common_kfunc_set).
    // 6.18 still has KF_TRUSTED_ARGS | KF_SLEEPABLE (both dropped in 6.19).
    name: 'arena_kfuncs',
    source: 'kernel/bpf/arena.c',
    progTypes: ['unspec'],
    kfuncs: [
      ['bpf_arena_alloc_pages', KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_RET | KF_ARENA_ARG2],
      ['bpf_arena_free_pages', KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_ARG2],
      ['bpf_arena_reserve_pages', KF_TRUSTED_ARGS | KF_SLEEPABLE | KF_ARENA_ARG2],
    ],
  },
  {
    // Resilient queued spin locks (struct bpf_res_spin_lock in map values).
    name: 'rqspinlock_kfunc_ids',
    source: 'kernel/bpf/rqspinlock.c',
    progTypes: ['unspec'],
    kfuncs: [
      ['bpf_res_spin_lock', KF_RET_NULL],
      ['bpf_res_spin_unlock', 0],
      ['bpf_res_spin_lock_irqsave', KF_RET_NULL],
      ['bpf_res_spin_unlock_irqrestore', 0],
    ],
  },
  {
    name: 'bpf_map_iter_kfunc_ids',
    source: 'kernel/bpf/map_iter.c',
    progTypes: ['unspec'],
    kfuncs: [['bpf_map_sum_elem_count', KF_TRUSTED_ARGS]],
  },
  {
    // Creating a crypto context may sleep, so only syscall programs get this set.
    name: 'crypt_init_kfunc_btf_ids',
    source: 'kernel/bpf/crypto.c',
    progTypes: ['syscall'],
    kfuncs: [
      ['bpf_crypto_ctx_create', KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE],
      ['bpf_crypto_ctx_release', KF_RELEASE],
      ['bpf_crypto_ctx_acquire', KF_ACQUIRE | KF_RCU | KF_RET_NULL],
    ],
  },
  {
    name: 'crypt_kfunc_btf_ids',
    source: 'kernel/bpf/crypto.c',
    progTypes: ['sched_cls', 'sched_act', 'xdp'],
    kfuncs: [
      ['bpf_crypto_decrypt', KF_RCU],
      ['bpf_crypto_encrypt', KF_RCU],
    ],
  },
  {
    // Registered for LSM only, which shares the TRACING hook: the filter keeps fentry & co out.
    name: 'bpf_fs_kfunc_set_ids',
    source: 'fs/bpf_fs_kfuncs.c',
    progTypes: ['lsm'],
    filter: { name: 'bpf_fs_kfuncs_filter', only: 'lsm', allows: (p) => p.progType === 'lsm' },
    kfuncs: [
      ['bpf_get_task_exe_file', KF_ACQUIRE | KF_TRUSTED_ARGS | KF_RET_NULL],
      ['bpf_put_file', KF_RELEASE],
      ['bpf_path_d_path', KF_TRUSTED_ARGS],
      ['bpf_get_dentry_xattr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
      ['bpf_get_file_xattr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
      ['bpf_set_dentry_xattr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
      ['bpf_remove_dentry_xattr', KF_SLEEPABLE | KF_TRUSTED_ARGS],
    ],
  },
  {
    name: 'bpf_rstat_kfunc_ids',
    source: 'kernel/cgroup/rstat.c',
    progTypes: ['tracing'],
    kfuncs: [
      ['css_rstat_updated', 0],
      ['css_rstat_flush', KF_SLEEPABLE],
    ],
  },
  {
    // Session kfuncs: kprobe/uprobe session programs only (6.19 renames the set and adds fsession).
    name: 'kprobe_multi_kfunc_set_ids',
    source: 'kernel/trace/bpf_trace.c',
    progTypes: ['kprobe'],
    filter: {
      name: 'bpf_kprobe_multi_filter',
      only: 'kprobe/uprobe session',
      allows: (p) =>
        p.expectedAttachType === 'trace_kprobe_session' || p.expectedAttachType === 'trace_uprobe_session',
    },
    kfuncs: [
      ['bpf_session_is_return', 0],
      ['bpf_session_cookie', 0],
    ],
  },
  {
    // Only socket iterators may destroy the socket they visit.
    name: 'bpf_sk_iter_kfunc_ids',
    source: 'net/core/filter.c',
    progTypes: ['tracing'],
    filter: {
      name: 'tracing_iter_filter',
      only: 'iter',
      allows: (p) => p.expectedAttachType === 'trace_iter',
    },
    kfuncs: [['bpf_sock_destroy', KF_TRUSTED_ARGS]],
  },
  {
    // BPF_PROG_TEST_RUN targets fmod_ret programs may attach to (hook FMODRET, not callable).
    name: 'bpf_test_modify_return_ids',
    source: 'net/bpf/test_run.c',
    progTypes: [],
    fmodret: true,
    // bpf_modify_return_test_tp's entry here is read from a port of the 6.x file, not 6.18 itself.
    unconfirmed: true,
    kfuncs: [
      ['bpf_modify_return_test', 0],
      ['bpf_modify_return_test2', 0],
      ['bpf_modify_return_test_tp', 0],
      ['bpf_fentry_test1', KF_SLEEPABLE],
    ],
  },
  {
    // The test kfuncs left in vmlinux after the rest moved to bpf_testmod: release dtors' targets.
    name: 'test_sk_check_kfunc_ids',
    source: 'net/bpf/test_run.c',
    progTypes: ['sched_cls', 'tracing', 'syscall'],
    kfuncs: [
      ['bpf_kfunc_call_test_release', KF_RELEASE],
      ['bpf_kfunc_call_memb_release', KF_RELEASE],
    ],
  },
];

/** The filters of the sets that hold kfunc `name` (by name, so any 6.18 BTF will do). */
export function linux618KfuncFilters(name: string): KfuncSetFilterSpec[] {
  const out: KfuncSetFilterSpec[] = [];
  for (const s of LINUX_6_18_KFUNC_SETS)
    if (s.filter && !out.includes(s.filter) && s.kfuncs.some(([f]) => f === name)) out.push(s.filter);
  return out;
}

/**
 * bpf_kfunc-tagged FUNCs of the reference BTF that no modelled set registers, each with why.
 * Empty: every tagged FUNC of the reference kernel is in one of the sets above.
 */
export const LINUX_6_18_KFUNC_EXCLUSIONS: readonly { name: string; reason: string }[] = [];

/** BTF_ID_LISTs of the reference kernel the models use (kernel/bpf/helpers.c generic_dtor_ids). */
export const LINUX_6_18_BTF_ID_LISTS: readonly {
  name: string;
  entries: readonly (readonly [string, string])[];
}[] = [
  {
    name: 'generic_dtor_ids',
    entries: [
      ['struct', 'task_struct'],
      ['func', 'bpf_task_release_dtor'],
      ['struct', 'cgroup'],
      ['func', 'bpf_cgroup_release_dtor'],
    ],
  },
];

export interface RegisteredKfuncSets {
  sets: BtfIdSet8[];
  lists: BtfIdList[];
  /** "set: function" for each entry whose function is not a FUNC in the BTF (compiled out). */
  missing: string[];
}

/**
 * The set's filter as the kernel writes one: it sees every kfunc looked up on the hook, so it
 * answers only for ids of its own set.
 */
function kfuncSetFilter(spec: KfuncSetFilterSpec, set: BtfIdSet8): BtfKfuncFilter<KfuncProg> {
  return (prog, id) => (set.contains(id) !== undefined && !spec.allows(prog) ? -EACCES : 0);
}

/** Builds the sets from `btf` (vmlinux, object `objId`) and registers them like the kernel's initcalls. */
export function registerLinux618KfuncSets(kreg: KfuncSetRegistry<KfuncProg>, objId = 1): RegisteredKfuncSets {
  const obj = kreg.btfs.object(objId);
  if (!obj) throw new Error(`no BTF object ${objId}`);
  const btf: Btf = obj.btf;
  const sets: BtfIdSet8[] = [];
  const missing: string[] = [];
  for (const spec of LINUX_6_18_KFUNC_SETS) {
    const pairs: { id: number; flags: number }[] = [];
    for (const [fn, flags] of spec.kfuncs) {
      const id = btf.findByName(fn, 'FUNC');
      if (id === undefined) missing.push(`${spec.name}: ${fn}`);
      else pairs.push({ id, flags });
    }
    const set = new BtfIdSet8(spec.name, pairs);
    sets.push(set);
    // One filter function per set, so registering it on several hooks shares it like the kernel's pointer.
    const kset = {
      owner: objId,
      set,
      ...(spec.filter ? { filter: kfuncSetFilter(spec.filter, set) } : {}),
    };
    for (const pt of spec.progTypes) kreg.registerBtfKfuncIdSet(pt, kset);
    if (spec.fmodret) kreg.registerBtfKfuncIdSet('FMODRET', kset);
  }
  const lists = LINUX_6_18_BTF_ID_LISTS.map((l) => resolveBtfIdList(btf, l.name, l.entries));
  return { sets, lists, missing };
}
