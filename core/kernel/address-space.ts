// A modeled x86-64 kernel address space. Call immediates are byte distances from
// __bpf_call_base (BPF_CALL_IMM), so the symbols the reference kernel's xlated dumps
// name are placed at exactly `__bpf_call_base + imm` as 6.18.44 shows them; symbols the
// public corpus never shows sit where their object file would put them.

export type SymbolKind = 'text' | 'data' | 'percpu';
export type SymbolArea = 'vmlinux' | 'module' | 'bpf';

export interface KernelSymbol {
  name: string;
  addr: bigint;
  kind: SymbolKind;
  area: SymbolArea;
  /** Owning module for area 'module'. */
  module?: string;
}

export interface SymbolRef {
  name: string;
  offset: number;
}

/** x86-64 layout (Documentation/arch/x86/x86_64/mm.rst): kernel text, then modules. */
export const X86_64_LAYOUT = {
  kernelText: 0xffffffff81000000n,
  moduleStart: 0xffffffffa0000000n,
  moduleEnd: 0xfffffffffeffffffn,
} as const;

const S32_MIN = -(2n ** 31n);
const S32_MAX = 2n ** 31n - 1n;

export class CallImmRangeError extends Error {
  constructor(readonly symbol: string) {
    super(`address of kernel function ${symbol} is out of range`);
  }
}

export class AddressSpace {
  private readonly byName = new Map<string, KernelSymbol>();
  private sorted: KernelSymbol[] | null = null;
  private nextModuleAddr: bigint;

  constructor(
    readonly callBase: bigint,
    symbols: readonly KernelSymbol[] = [],
    moduleBase: bigint = X86_64_LAYOUT.moduleStart,
  ) {
    this.nextModuleAddr = moduleBase;
    for (const s of symbols) this.add(s);
  }

  add(sym: KernelSymbol): void {
    this.byName.set(sym.name, sym);
    this.sorted = null;
  }

  has(name: string): boolean {
    return this.byName.has(name) || name === '__bpf_call_base';
  }

  lookup(name: string): KernelSymbol | undefined {
    if (name === '__bpf_call_base') return { name, addr: this.callBase, kind: 'text', area: 'vmlinux' };
    return this.byName.get(name);
  }

  addr(name: string): bigint {
    const s = this.lookup(name);
    if (!s) throw new Error(`kernel symbol ${name} is not in the modeled address space`);
    return s.addr;
  }

  /** BPF_CALL_IMM(sym): `sym − __bpf_call_base`, which must fit the s32 imm. */
  callImm(name: string): number {
    const d = this.addr(name) - this.callBase;
    if (d < S32_MIN || d > S32_MAX) throw new CallImmRangeError(name);
    return Number(d);
  }

  /** Whether BPF_EMIT_CALL can reach `name` (its distance fits in s32). */
  reachableByCallImm(name: string): boolean {
    const d = this.addr(name) - this.callBase;
    return d >= S32_MIN && d <= S32_MAX;
  }

  /** The symbol containing `addr` (kallsyms-style: nearest symbol at or below). */
  symbolAt(addr: bigint): SymbolRef | undefined {
    if (!this.sorted) {
      this.sorted = [...this.byName.values(), this.lookup('__bpf_call_base')!].sort((a, b) =>
        a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0,
      );
    }
    const arr = this.sorted;
    let lo = 0;
    let hi = arr.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid]!.addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const s = arr[best]!;
    // Beyond 1 MiB past the nearest symbol nothing modeled lives there.
    if (addr - s.addr > 0x100000n) return undefined;
    return { name: s.name, offset: Number(addr - s.addr) };
  }

  /** The symbol a helper/kfunc call imm resolves to (`__bpf_call_base + imm`). */
  symbolForImm(imm: number): SymbolRef | undefined {
    return this.symbolAt(this.callBase + BigInt(imm | 0));
  }

  /**
   * Places a module's text symbols (e.g. a subsystem model built as a module) in the
   * module area, 16-byte aligned, one after another; `size` defaults to 256 bytes each.
   */
  addModule(module: string, symbols: readonly { name: string; size?: number }[]): KernelSymbol[] {
    const out: KernelSymbol[] = [];
    for (const s of symbols) {
      const sym: KernelSymbol = {
        name: s.name,
        addr: this.nextModuleAddr,
        kind: 'text',
        area: 'module',
        module,
      };
      this.add(sym);
      out.push(sym);
      const size = BigInt(Math.max(16, s.size ?? 256));
      this.nextModuleAddr += (size + 15n) & ~15n;
    }
    return out;
  }

  /** Adds a built-in (vmlinux) text symbol at a given distance from __bpf_call_base. */
  addVmlinuxText(name: string, callImm: number): KernelSymbol {
    const sym: KernelSymbol = { name, addr: this.callBase + BigInt(callImm), kind: 'text', area: 'vmlinux' };
    this.add(sym);
    return sym;
  }

  symbols(): KernelSymbol[] {
    return [...this.byName.values()];
  }

  clone(): AddressSpace {
    return new AddressSpace(this.callBase, this.symbols(), this.nextModuleAddr);
  }
}

/** __bpf_call_base of the modeled 6.18 build (kernel/bpf/core.c, early in .text). */
export const BPF_CALL_BASE = 0xffffffff813a5e40n;

/**
 * Text symbols as `callImm` (distance from __bpf_call_base). Measured ones come from the
 * reference kernel's xlated dumps; `placed` ones are laid out next to their neighbours in
 * the same object file (helpers.c after core.c/verifier.c, hashtab.c before arraymap.c,
 * filter.c and tcp_cong.c where the measured symbols cluster).
 */
const TEXT_IMMS: Record<string, number> = {
  // measured (public corpus xlated_calls)
  bpf_user_rnd_u32: 22592,
  __htab_map_lookup_elem: 330864,
  htab_map_update_elem: 343552,
  array_map_update_elem: 353184,
  bpf_csum_diff: 10242400,
  bpf_xdp_adjust_meta: 10237616,
  bpf_xdp_adjust_head: 10243424,
  bpf_skb_load_bytes: 10264704,
  bpf_skb_pull_data: 10270528,
  bpf_l4_csum_replace: 10277808,
  bpf_skb_store_bytes: 10283056,
  bpf_skb_load_helper_8_no_cache: 10283568,
  bpf_skb_load_helper_16_no_cache: 10283808,
  tcp_reno_ssthresh: 11978016,
  tcp_reno_undo_cwnd: 11978064,
  tcp_slow_start: 11978112,
  tcp_cong_avoid_ai: 11978224,
  tcp_reno_cong_avoid: 11978400,
  // placed
  bpf_skb_load_helper_32_no_cache: 10284048,
  htab_map_delete_elem: 345600,
  htab_map_lookup_elem: 331392,
  array_map_lookup_elem: 352768,
  array_map_delete_elem: 353760,
  bpf_ktime_get_ns: 262448,
  bpf_ktime_get_boot_ns: 262528,
  bpf_ktime_get_coarse_ns: 262608,
  bpf_jiffies64: 262976,
  bpf_get_smp_processor_id: 262336,
  bpf_get_numa_node_id: 262384,
  bpf_map_lookup_elem: 261536,
  bpf_map_update_elem: 261616,
  bpf_map_delete_elem: 261744,
  bpf_map_push_elem: 261824,
  bpf_map_pop_elem: 261904,
  bpf_map_peek_elem: 261984,
  bpf_trace_printk: 1140800,
  bpf_skb_load_bytes_relative: 10265376,
  bpf_l3_csum_replace: 10277200,
  bpf_csum_update: 10242976,
  bpf_csum_level: 10243136,
  bpf_clone_redirect: 10246464,
  bpf_redirect: 10247232,
  bpf_xdp_redirect: 10247488,
  bpf_redirect_map: 10247616,
  bpf_xdp_redirect_map: 10247744,
  bpf_get_cgroup_classid: 10249216,
  bpf_skb_vlan_push: 10250432,
  bpf_skb_vlan_pop: 10250880,
  bpf_skb_change_proto: 10252544,
  bpf_skb_change_type: 10253120,
  bpf_skb_adjust_room: 10254720,
  bpf_skb_change_tail: 10256192,
  bpf_skb_change_head: 10257024,
  bpf_xdp_adjust_tail: 10243968,
  bpf_get_hash_recalc: 10258112,
  bpf_set_hash_invalid: 10258240,
  bpf_set_hash: 10258368,
  bpf_get_socket_cookie: 10259456,
  bpf_get_socket_uid: 10259712,
  bpf_skb_event_output: 10260480,
  bpf_xdp_event_output: 10260992,
  bpf_tcp_send_ack: 11994368,
  tcp_reno_init: 11977968,
  // bpf_tcp_ca's socket helpers: filter.c's bpf_sk_{set,get}sockopt beside the other
  // socket helpers, bpf_sk_storage.c right after filter.c
  bpf_sk_setsockopt: 10262016,
  bpf_sk_getsockopt: 10262272,
  bpf_sk_storage_get: 10301440,
  bpf_sk_storage_delete: 10301696,
  // measured on the progtypes build (-v1272); its helpers.c sits ~19 KiB later, so the
  // helpers.c ones are placed beside bpf_ktime_get_ns by the same distance
  bpf_get_current_pid_tgid: 262016,
  bpf_get_current_comm: 262816,
  bpf_copy_from_user: 271120,
  bpf_probe_read_kernel: -70800,
  bpf_get_attach_cookie_trace: -78640,
  bpf_get_func_ip_kprobe: -78480,
  bpf_get_attach_cookie_tracing: -78560,
  bpf_get_func_ip_tracing: -78400,
  bpf_sys_bpf: 82544,
  // kernel/trace/bpf_trace.c and kernel/bpf/task_iter.c: the xlated call imms of the
  // verifier fixtures' build (-v1300, test/fixtures/objects/verifier/kernel.jsonl)
  bpf_get_current_task_btf: -66784,
  bpf_find_vma: 345424,
  // kernel/bpf/bpf_iter.c: the reference kernel's xlated call imm (a bpf_loop with variable flags)
  bpf_loop: 337104,
  bpf_for_each_map_elem: 379952,
  // base helpers every type has in 6.18, measured on the selftest-rules build (-v1300) and
  // moved by that build's distance to a measured neighbour (helpers.c: bpf_ktime_get_ns,
  // bpf_trace.c: bpf_get_func_ip_kprobe, filter.c: bpf_skb_load_bytes)
  bpf_ktime_get_tai_ns: 262656,
  bpf_get_current_uid_gid: 262688,
  bpf_get_current_cgroup_id: 263232,
  bpf_get_current_task: -78544,
  bpf_get_cgroup_classid_curr: 10242000,
  bpf_get_socket_ptr_cookie: 10244592,
  // kernel/bpf/helpers.c's generic kfuncs: measured on the selftest-rules build (-v1300) and
  // moved by that build's distance to bpf_ktime_get_ns (28,336 bytes later there)
  bpf_task_acquire: 279184,
  bpf_task_release: 279312,
  bpf_cgroup_acquire: 281008,
  bpf_cgroup_release: 281168,
  bpf_cgroup_from_id: 281584,
  bpf_task_from_pid: 281840,
  bpf_cast_to_kern_ctx: 284480,
  bpf_rdonly_cast: 284512,
  bpf_rcu_read_lock: 284544,
  bpf_rcu_read_unlock: 284576,
  // kernel/bpf/cpumask.c, measured and moved the same way
  bpf_cpumask_create: 617568,
  bpf_cpumask_acquire: 617664,
  bpf_cpumask_release: 617808,
  bpf_cpumask_first: 617920,
  bpf_cpumask_set_cpu: 618064,
  bpf_cpumask_test_cpu: 618160,
  // arch/x86/net/bpf_timed_may_goto.S, called by may_goto's expansion: measured on the
  // selftest-rules build (-v1300); the reference build's place is not known
  arch_bpf_timed_may_goto: -1658768,
};

/** Non-call symbols: x86 thunks (JIT targets) and data the inline sequences address. */
const OTHER_SYMBOLS: KernelSymbol[] = [
  { name: 'srso_alias_return_thunk', addr: 0xffffffff82600000n + 0x104000n, kind: 'text', area: 'vmlinux' },
  { name: '__x86_indirect_thunk_rcx', addr: 0xffffffff82401060n, kind: 'text', area: 'vmlinux' },
  { name: '__x86_return_thunk', addr: 0xffffffff82401f00n, kind: 'text', area: 'vmlinux' },
  // Thunks of other kernel configurations (x86-config.ts) and the call-depth counter.
  { name: 'srso_return_thunk', addr: 0xffffffff82401e00n, kind: 'text', area: 'vmlinux' },
  { name: 'call_depth_return_thunk', addr: 0xffffffff82401e80n, kind: 'text', area: 'vmlinux' },
  { name: 'its_return_thunk', addr: 0xffffffff82401ec0n, kind: 'text', area: 'vmlinux' },
  { name: '__x86_indirect_jump_thunk_rcx', addr: 0xffffffff82401460n, kind: 'text', area: 'vmlinux' },
  { name: '__x86_indirect_its_thunk_rcx', addr: 0xffffffff82401860n, kind: 'text', area: 'vmlinux' },
  { name: '__x86_call_depth', addr: 0xffffffff8392a100n, kind: 'percpu', area: 'vmlinux' },
  { name: 'jiffies', addr: 0xffffffff83405000n, kind: 'data', area: 'vmlinux' },
  // Per-CPU variables are addressed absolutely since the x86 percpu rework; the
  // inlined get_smp_processor_id loads it as a sign-extended imm32.
  { name: 'cpu_number', addr: 0xffffffff8392a0c8n, kind: 'percpu', area: 'vmlinux' },
];

/** A fresh copy of the modeled x86-64 6.18 kernel's address space. */
export function x86_64AddressSpace(): AddressSpace {
  const syms: KernelSymbol[] = Object.entries(TEXT_IMMS).map(([name, imm]) => ({
    name,
    addr: BPF_CALL_BASE + BigInt(imm),
    kind: 'text',
    area: 'vmlinux',
  }));
  return new AddressSpace(BPF_CALL_BASE, [...syms, ...OTHER_SYMBOLS]);
}

/**
 * Data addresses that differ in other builds of the same kernel (their per-CPU area moved):
 * release → symbol → address, measured from that build's xlated dumps.
 */
const BUILD_DATA: Readonly<Record<string, Readonly<Record<string, bigint>>>> = {
  // the progtypes corpus part's build: inlined get_smp_processor_id loads this cpu_number
  '6.18.44-fc-v1272': { cpu_number: 0xffffffff838fe034n },
  // the selftest-rules build (kf-proto-* programs' inlined get_smp_processor_id and jiffies64)
  '6.18.44-fc-v1300': { cpu_number: 0xffffffff8384d034n, jiffies: 0xffffffff82e09980n },
};

/** The modeled address space of another build `release`; undefined when it is not known to differ. */
export function x86_64AddressSpaceOfBuild(release: string): AddressSpace | undefined {
  const data = BUILD_DATA[release];
  if (!data) return undefined;
  const as = x86_64AddressSpace();
  for (const [name, addr] of Object.entries(data)) as.add({ ...as.lookup(name)!, addr });
  return as;
}
