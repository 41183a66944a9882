// BPF_PROG_TEST_RUN as Linux 6.18 runs xdp / sched_cls / socket_filter / cgroup_skb /
// syscall programs (net/bpf/test_run.c, corpus README "Test runs"): one load keeps its
// maps (zeroed or empty at load) across runs; each run gets a fresh packet and context.
// The kernel side is one model: the packet buffer test_run allocates (headroom, data,
// tailroom; data/data_end/data_meta move with the helpers), the maps laid out as the
// kernel lays them out, the socket and device the run's skb points to, and the helpers,
// each once, by kernel function. Two programs can run on it:
// - the xlated one (after the verifier's fixups), given an `XlatedKernel`: r1 points to a
//   struct sk_buff / xdp_buff laid out by the kernel's BTF offsets, helpers are reached by
//   their call imm (BPF_CALL_IMM of the kernel function), map lookups may be inlined;
// - the loaded one (no fixups): r1 points to a UAPI view (__sk_buff / xdp_md) of the same
//   state, helpers are reached by id. Kept for programs the verifier model has not fixed up.
import { bytesToHex } from './encoding';
import type { Insn } from './insn';
import { type Helper, type RunOptions, runProgram } from './interp';
import { Memory } from './memory';

export interface TestRunMapDef {
  type: 'array' | 'hash' | 'prog_array';
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface TestRunResult {
  retval: number;
  /** Packet after the run as data_out reports it (socket_filter: Ethernet header zeroed; syscall: ctx_out). */
  dataOut: Uint8Array;
  /** The run was refused (syscall: the program reaches past ctx_in, EINVAL). */
  errno?: number;
}

/** The struct layouts the xlated program's offsets come from (core/verifier's KernelLayout fits). */
export interface StructLayout {
  off(struct: string, member: string): number;
  structSize(struct: string): number;
  loc(
    struct: string,
    member: string,
  ): { offset: number; size: number; bitOffset: number; bitfieldSize: number };
}

/** What running a program as the verifier fixed it up needs of the kernel it was fixed up for. */
export interface XlatedKernel {
  layout: StructLayout;
  /** BPF_CALL_IMM of a kernel function; undefined when the modelled kernel has no such function. */
  callImm(name: string): number | undefined;
}

const EEXIST = 17n;
const ENOENT = 2n;
const EINVAL = 22n;
const E2BIG = 7n;
const EFAULT = 14n;
const ENOMEM = 12n;
const EACCES = 13n;
/** ENOTSUPP (kernel-internal, 524). */
const ENOTSUPP = 524n;
const neg = (e: bigint) => BigInt.asUintN(64, -e);

const getLE = (b: Uint8Array, off: number, size: number): bigint => {
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[off + k]!);
  return v;
};
const putLE = (b: Uint8Array, off: number, size: number, v: bigint | number): void => {
  let x = BigInt(v);
  for (let k = 0; k < size; k++) {
    b[off + k] = Number(x & 0xffn);
    x >>= 8n;
  }
};

/** Where a map's values sit inside the kernel's objects (struct bpf_array, struct htab_elem). */
interface MapLayout {
  /** offsetof(struct bpf_array, value): the map pointer is the bpf_array. */
  arrayValue: number;
  /** offsetof(struct htab_elem, key); the value follows the key, 8-byte aligned. */
  htabKey: number;
}

/**
 * Array and hash maps as the kernel keeps them, enough for lookup / update / delete, the
 * direct map-op calls and the inlined lookups: an array map is its struct bpf_array with
 * values round_up(value_size, 8) apart from `value` on; each hash element is a struct
 * htab_elem (key, then value).
 */
class MapModel {
  readonly addr: bigint;
  private readonly array?: bigint;
  private readonly elems = new Map<string, bigint>();
  constructor(
    readonly def: TestRunMapDef,
    private readonly mem: Memory,
    index: number,
    private readonly layout: MapLayout,
  ) {
    if (def.type === 'array') {
      const bytes = new Uint8Array(layout.arrayValue + this.elemSize * def.maxEntries);
      this.addr = mem.map(`map${index}`, bytes, true);
      this.array = this.addr + BigInt(layout.arrayValue);
    } else this.addr = mem.map(`map${index}`, new Uint8Array(64), false);
  }
  private get elemSize(): number {
    return (this.def.valueSize + 7) & ~7;
  }
  private get valueInElem(): number {
    return this.layout.htabKey + ((this.def.keySize + 7) & ~7);
  }
  /** The value's address, or 0. */
  lookup(key: Uint8Array): bigint {
    if (this.array !== undefined) {
      const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      return k < this.def.maxEntries ? this.array + BigInt(k * this.elemSize) : 0n;
    }
    const e = this.elems.get(bytesToHex(key));
    return e === undefined ? 0n : e + BigInt(this.valueInElem);
  }
  /** __htab_map_lookup_elem: the element (struct htab_elem), or 0. */
  lookupElem(key: Uint8Array): bigint {
    return this.elems.get(bytesToHex(key)) ?? 0n;
  }
  update(key: Uint8Array, value: Uint8Array, flags: bigint): bigint {
    if (flags > 2n) return neg(EINVAL);
    if (this.array !== undefined) {
      const at = this.lookup(key);
      if (at === 0n) return neg(E2BIG);
      if (flags === 1n) return neg(EEXIST); // BPF_NOEXIST: array elements always exist
      this.mem.write(at, value);
      return 0n;
    }
    const k = bytesToHex(key);
    const old = this.elems.get(k);
    if (old !== undefined && flags === 1n) return neg(EEXIST);
    if (old === undefined && flags === 2n) return neg(ENOENT);
    if (old === undefined && this.elems.size >= this.def.maxEntries) return neg(E2BIG);
    let elem = old;
    if (elem === undefined) {
      const bytes = new Uint8Array(this.valueInElem + this.def.valueSize);
      bytes.set(key, this.layout.htabKey);
      elem = this.mem.map(`elem${k}`, bytes, true);
    }
    this.mem.write(elem + BigInt(this.valueInElem), value);
    this.elems.set(k, elem);
    return 0n;
  }
  delete(key: Uint8Array): bigint {
    if (this.array !== undefined) return neg(EINVAL);
    const k = bytesToHex(key);
    if (!this.elems.has(k)) return neg(ENOENT);
    this.elems.delete(k);
    return 0n;
  }
}

/** csum_add: 32-bit one's-complement addition (end-around carry). */
const csumAdd = (a: bigint, b: bigint): bigint => {
  const r = (a + b) & 0xffffffffn;
  return r < b ? (r + 1n) & 0xffffffffn : r;
};
/** csum_fold: the 32-bit sum folded to 16 bits and complemented. */
const csumFold = (sum: bigint): bigint => {
  const s = (sum + (((sum >> 16n) | (sum << 16n)) & 0xffffffffn)) & 0xffffffffn;
  return ~(s >> 16n) & 0xffffn;
};
/** csum_partial over native little-endian 32-bit words. */
const csumPartialWords = (words: readonly bigint[], sum: bigint): bigint =>
  words.reduce((acc, w) => csumAdd(acc, w & 0xffffffffn), sum);
const not32 = (v: bigint): bigint => ~v & 0xffffffffn;

/**
 * bpf_csum_diff: csum_partial over ~from then to, starting from seed (the one's-complement
 * sum of the native little-endian 32-bit words), folded to 16 bits.
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed: bigint): bigint {
  const word = (b: Uint8Array, i: number) =>
    BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
  let sum = seed;
  for (let i = 0; i < from.length; i += 4) sum += ~word(from, i) & 0xffffffffn;
  for (let i = 0; i < to.length; i += 4) sum += word(to, i);
  while (sum > 0xffffffffn) sum = (sum & 0xffffffffn) + (sum >> 32n);
  // 6.18 folds the 32-bit sum to 16 bits (csum_from32to16) so every arch returns the same.
  sum = (sum & 0xffffn) + (sum >> 16n);
  return (sum & 0xffffn) + (sum >> 16n);
}

/**
 * The checksum field `*sum` (native order) after bpf_l3_csum_replace / bpf_l4_csum_replace
 * replaced `from` by `to` (field size 0: `to` is a precomputed diff), on a CHECKSUM_NONE skb
 * as test_run builds it; `pseudo` (BPF_F_PSEUDO_HDR) only matters for other ip_summed states.
 */
export function csumReplace(l4: boolean, sum: bigint, from: bigint, to: bigint, size: number): bigint {
  if (size === 0) return csumFold(csumAdd(to & 0xffffffffn, not32(sum)));
  if (!l4 && size === 2) {
    // csum_replace2: 16-bit one's-complement arithmetic
    const add16 = (a: bigint, b: bigint) => {
      const r = (a + b) & 0xffffn;
      return r < b ? (r + 1n) & 0xffffn : r;
    };
    return ~add16(add16(~sum & 0xffffn, ~from & 0xffffn), to & 0xffffn) & 0xffffn;
  }
  const mask = size === 2 ? 0xffffn : 0xffffffffn;
  if (!l4) return csumFold(csumAdd(csumAdd(not32(sum), not32(from & mask)), to & mask)); // csum_replace4
  return csumFold(csumPartialWords([not32(from & mask), to & mask], not32(sum)));
}

/**
 * Helpers the model runs, by kernel function: the ids a loaded program calls them by (0:
 * reached only from xlated programs, through the map-op rewrites, inlining or ld_abs).
 */
const HELPERS: Readonly<Record<string, number>> = {
  bpf_map_lookup_elem: 1,
  bpf_map_update_elem: 2,
  bpf_map_delete_elem: 3,
  bpf_skb_store_bytes: 9,
  bpf_l3_csum_replace: 10,
  bpf_l4_csum_replace: 11,
  bpf_tail_call: 12,
  bpf_skb_load_bytes: 26,
  bpf_csum_diff: 28,
  bpf_skb_pull_data: 39,
  bpf_xdp_adjust_head: 44,
  bpf_get_socket_uid: 47,
  bpf_xdp_adjust_meta: 54,
  bpf_redirect: 23,
  bpf_xdp_adjust_tail: 65,
  bpf_skb_load_bytes_relative: 68,
  bpf_trace_printk: 6,
  bpf_get_prandom_u32: 7,
  // bpf_get_prandom_u32 as the xlated program calls it
  bpf_user_rnd_u32: 0,
  bpf_get_current_pid_tgid: 14,
  bpf_ktime_get_boot_ns: 125,
  // bpf_redirect's id in an xdp program
  bpf_xdp_redirect: 0,
  array_map_lookup_elem: 0,
  array_map_update_elem: 0,
  array_map_delete_elem: 0,
  htab_map_lookup_elem: 0,
  htab_map_update_elem: 0,
  htab_map_delete_elem: 0,
  __htab_map_lookup_elem: 0,
  bpf_skb_load_helper_8_no_cache: 0,
  bpf_skb_load_helper_16_no_cache: 0,
  bpf_skb_load_helper_32_no_cache: 0,
  // may_goto's refill (xlated only): reached once its count of 65535 runs out
  arch_bpf_timed_may_goto: 0,
  // kfuncs (xlated only: called by address, src 2)
  bpf_rcu_read_lock: 0,
  bpf_rcu_read_unlock: 0,
};

/** Helper ids a loaded program may call. */
export const TEST_RUN_HELPERS: ReadonlySet<number> = new Set(Object.values(HELPERS).filter((id) => id > 0));
export const TEST_RUN_PROG_TYPES: ReadonlySet<string> = new Set([
  'xdp',
  'sched_cls',
  'socket_filter',
  'cgroup_skb',
  'syscall',
]);

/** Call imm → kernel function, for the helpers the model runs that the kernel has. */
function xlatedCallTable(kernel: XlatedKernel): Map<number, string> {
  const t = new Map<number, string>();
  for (const name of Object.keys(HELPERS)) {
    const imm = kernel.callImm(name);
    if (imm !== undefined) t.set(imm, name);
  }
  return t;
}

/**
 * Whether the model can test-run the program: a modelled type and modelled helpers only.
 * With `xlated`, `insns` is the fixed-up program (calls by kernel function); otherwise the
 * loaded one (calls by helper id). Every map type is modelled (a prog_array starts empty).
 */
export function testRunSupported(
  progType: string,
  insns: readonly Insn[],
  _maps: readonly TestRunMapDef[],
  xlated?: XlatedKernel,
): boolean {
  if (!TEST_RUN_PROG_TYPES.has(progType)) return false;
  const table = xlated ? xlatedCallTable(xlated) : undefined;
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i]!;
    if (x.code === 0x18) {
      // map (idx) and map value (idx) are resolved; other pseudo ld_imm64 are not modelled
      if (x.src !== 0 && x.src !== 5 && x.src !== 6) return false;
      i++;
      continue;
    }
    // BPF_MOV64_PERCPU_REG (the inlined bpf_get_smp_processor_id, per-CPU map lookups): the
    // model has no per-CPU memory for the address it makes to point at.
    if (xlated && x.code === 0xbf && x.off === -1) return false;
    if (x.code !== 0x85) continue;
    if (x.src === 1) continue; // bpf-to-bpf calls run in both engines
    if (x.src === 2 && table?.has(x.imm)) continue; // a modelled kfunc of the xlated program
    if (x.src !== 0) return false;
    if (table ? !table.has(x.imm) : !TEST_RUN_HELPERS.has(x.imm)) return false;
  }
  return true;
}

/** The pid/tgid the model's test runner has (the kernel's is the calling process's). */
const TEST_RUNNER_PID = 4242n;
const TEST_RUNNER_TGID = 4242n;

/**
 * bpf_trace_printk's output line for a NUL-terminated format of integer conversions
 * (%d %i %u %x %c with l/ll, %%): undefined when the format is not terminated or asks
 * for what the model does not print (%s, %p: their arguments are pointers).
 */
export function formatTracePrintk(fmt: Uint8Array, args: readonly bigint[]): string | undefined {
  const nul = fmt.indexOf(0);
  if (nul < 0) return undefined;
  const text = new TextDecoder('latin1').decode(fmt.subarray(0, nul));
  let out = '';
  let next = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    let j = i + 1;
    let width = 32;
    if (text[j] === '%') {
      out += '%';
      i = j;
      continue;
    }
    if (text[j] === 'l') {
      width = 64;
      j++;
      if (text[j] === 'l') j++;
    }
    const conv = text[j];
    if (next >= args.length || conv === undefined || !'diuxc'.includes(conv)) return undefined;
    const raw = BigInt.asUintN(width, args[next++]!);
    if (conv === 'd' || conv === 'i') out += BigInt.asIntN(width, raw).toString();
    else if (conv === 'u') out += raw.toString();
    else if (conv === 'x') out += raw.toString(16);
    else out += String.fromCharCode(Number(raw & 0xffn));
    i = j;
  }
  return out;
}

const ETH_HLEN = 14;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom bpf_prog_test_run_skb leaves. */
const SKB_HEADROOM = 64;
/** XDP_PACKET_HEADROOM. */
const XDP_HEADROOM = 256;
/** An xdp test run's frame_sz: one page (headroom + max_data_sz + tailroom). */
const XDP_FRAME_SIZE = 4096;
/** Kernel layout values the loaded program's run uses where no BTF is given (6.18, x86-64). */
const DEFAULT_SIZES = { skbSharedInfo: 320, xdpFrame: 40 };
/** PACKET_OTHERHOST: eth_type_trans on the loopback device, whose address is all zeroes. */
const PACKET_OTHERHOST = 3;
/** The loopback device's ifindex: test_run's skb->dev and xdp rxq device. */
const LOOPBACK_IFINDEX = 1;
/** TCP_CLOSE, which sock_init_data gives the run's socket. */
const TCP_CLOSE = 7;
/** A syscall program's ctx: the user's ctx_in, copied back as ctx_out. */
const SYSCALL_CTX = 'syscall_ctx';

/**
 * The buffer test_run allocates for the packet: headroom, the data, tailroom (skb: the
 * skb_shared_info). Offsets into `buf`; `addr` is the address of buf[0].
 */
class Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly addr: bigint,
    /** Where the packet as given starts (skb: its MAC header). */
    readonly head: number,
    public data: number,
    public end: number,
    public meta: number,
    /** Where skb_shared_info starts (skb->end). */
    readonly tail: number,
  ) {}
  ptr(o: number): bigint {
    return this.addr + BigInt(o);
  }
  /** skb->data .. skb->data + skb->len (the run's skb is linear). */
  get bytes(): Uint8Array {
    return this.buf.subarray(this.data, this.end);
  }
  get len(): number {
    return this.end - this.data;
  }
}

/** A syscall program reached past the ctx_in it was given (max_ctx_offset > ctx_size_in). */
class CtxBeyondInput extends Error {}

/**
 * A region whose `dyn` fields are computed at each load (pointers the helpers move, as
 * bpf_compute_data_pointers would store them).
 */
function structRegion(
  mem: Memory,
  name: string,
  bytes: Uint8Array,
  dyn: readonly { off: number; size: number; get: () => bigint }[] = [],
  /** Fields narrower in the kernel than in this view: a store keeps this many bytes. */
  narrow: ReadonlyMap<number, number> = new Map(),
): bigint {
  return mem.mapVirtual(name, bytes, {
    load: (off, size) => {
      for (const d of dyn) {
        // the field itself: its whole value (a UAPI ctx's 32-bit data field reads as the pointer)
        if (d.off === off && d.size === size) return d.get();
        putLE(bytes, d.off, d.size, d.get());
      }
      return getLE(bytes, off, size);
    },
    store: (off, size, v) => {
      const keep = Math.min(size, narrow.get(off) ?? size);
      putLE(bytes, off, size, BigInt.asUintN(8 * keep, v));
    },
  });
}

/**
 * One loaded program (bpf_prog_test_run_opts on one fd): `run` executes it on a packet;
 * maps persist across runs. `packetBase` places the packet data (to spot results that
 * depend on kernel addresses). `xlated`: `insns` is the verifier's fixed-up program for
 * this kernel. Throws InterpError / MemoryFault when the program faults.
 */
export class TestRunProgram {
  private readonly mem = new Memory();
  private pkt!: Packet;
  private perRun: bigint[] = [];
  /** bpf_ktime_get_boot_ns: a clock that moves 1 µs per call. */
  private bootNs = 1_000_000_000n;
  /** bpf_get_prandom_u32's state. */
  private prandom = 0x2545f491;
  private readonly maps: MapModel[];
  private readonly helpers: Map<number, Helper>;
  private readonly ldImm64: (insns: readonly Insn[], i: number) => bigint | undefined;
  private readonly sizes: { skbSharedInfo: number; xdpFrame: number };

  constructor(
    readonly progType: string,
    readonly insns: readonly Insn[],
    maps: readonly TestRunMapDef[],
    private readonly packetBase?: bigint,
    /** Which interpreter engine runs it (runProgram's default when unset). */
    private readonly engine?: RunOptions['engine'],
    private readonly xlated?: XlatedKernel,
  ) {
    const L = xlated?.layout;
    this.sizes = L
      ? { skbSharedInfo: L.structSize('skb_shared_info'), xdpFrame: L.structSize('xdp_frame') }
      : DEFAULT_SIZES;
    const mapLayout = L
      ? { arrayValue: L.off('bpf_array', 'value'), htabKey: L.off('htab_elem', 'key') }
      : { arrayValue: 0, htabKey: 0 };
    this.maps = maps.map((d, k) => new MapModel(d, this.mem, k, mapLayout));
    const impl = this.helperImpls();
    this.helpers = new Map<number, Helper>();
    if (xlated) for (const [imm, name] of xlatedCallTable(xlated)) this.helpers.set(imm, impl[name]!);
    else for (const [name, id] of Object.entries(HELPERS)) if (id) this.helpers.set(id, impl[name]!);
    if (!xlated && progType === 'xdp') this.helpers.set(HELPERS.bpf_redirect!, impl.bpf_xdp_redirect!);
    const ms = this.maps;
    this.ldImm64 = (insns, i) => {
      const x = insns[i]!;
      if (x.src === 5) return ms[x.imm]!.addr; // BPF_PSEUDO_MAP_IDX
      if (x.src === 6) return ms[x.imm]!.lookup(new Uint8Array(4)) + BigInt(insns[i + 1]!.imm);
      return undefined;
    };
  }

  /** xorshift32: deterministic per program, never the same value twice in a row. */
  private nextPrandom(): bigint {
    let x = this.prandom;
    x ^= (x << 13) >>> 0;
    x ^= x >>> 17;
    x ^= (x << 5) >>> 0;
    this.prandom = x >>> 0;
    return BigInt(this.prandom);
  }

  private mapAt(a: bigint): MapModel {
    const m = this.maps.find((x) => x.addr === a);
    if (!m) throw new Error('not a map');
    return m;
  }

  /** Each helper once, by kernel function; ctx arguments stand for this run's skb / xdp_buff. */
  private helperImpls(): Record<string, Helper> {
    const key = (m: MapModel, mem: Memory, at: bigint) => mem.read(at, m.def.keySize);
    const lookup: Helper = ({ args, mem }) => {
      const m = this.mapAt(args[0]);
      return m.lookup(key(m, mem, args[1]));
    };
    const update: Helper = ({ args, mem }) => {
      const m = this.mapAt(args[0]);
      return m.update(key(m, mem, args[1]), mem.read(args[2], m.def.valueSize), args[3]);
    };
    const del: Helper = ({ args, mem }) => {
      const m = this.mapAt(args[0]);
      return m.delete(key(m, mem, args[1]));
    };
    // bpf_skb_load_helper_N_no_cache(skb, offset): ld_abs/ld_ind after bpf_gen_ld_abs; a
    // load outside the linear data is -EFAULT (offsets below 0, SKF_*_OFF, are not modelled).
    const ldAbs =
      (size: number): Helper =>
      ({ args }) => {
        const off = Number(BigInt.asIntN(32, args[1]));
        const d = this.pkt.bytes;
        if (off < 0 || off + size > d.length) return neg(EFAULT);
        let v = 0n;
        for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(d[off + k]!);
        return v;
      };
    const csumReplaceHelper =
      (l4: boolean): Helper =>
      ({ args }) => {
        const offset = args[1] & 0xffffffffn;
        const flags = args[4];
        // l4: BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_IPV6, and the size
        if (flags & ~(l4 ? 0xffn : 0xfn)) return neg(EINVAL);
        if (offset > 0xffffn || offset & 1n) return neg(EFAULT);
        const off = Number(offset);
        const d = this.pkt.bytes;
        if (off + 2 > d.length) return neg(EFAULT); // bpf_try_make_writable
        const sum = BigInt(d[off]! | (d[off + 1]! << 8));
        const mangled0 = l4 && (flags & 0x20n) !== 0n;
        if (mangled0 && !(flags & 0x40n) && sum === 0n) return 0n;
        const size = Number(flags & 0xfn);
        if (size !== 0 && size !== 2 && size !== 4) return neg(EINVAL);
        if (size === 0 && args[2] !== 0n) return neg(EINVAL);
        let out = csumReplace(l4, sum, args[2], args[3], size);
        if (mangled0 && out === 0n) out = 0xffffn; // CSUM_MANGLED_0
        d[off] = Number(out & 0xffn);
        d[off + 1] = Number(out >> 8n);
        return 0n;
      };
    return {
      bpf_map_lookup_elem: lookup,
      array_map_lookup_elem: lookup,
      htab_map_lookup_elem: lookup,
      __htab_map_lookup_elem: ({ args, mem }) => {
        const m = this.mapAt(args[0]);
        return m.lookupElem(key(m, mem, args[1]));
      },
      bpf_map_update_elem: update,
      array_map_update_elem: update,
      htab_map_update_elem: update,
      bpf_map_delete_elem: del,
      array_map_delete_elem: del,
      htab_map_delete_elem: del,
      // bpf_skb_load_bytes(skb, offset, to, len): from skb->data on; the buffer is zeroed on error
      bpf_skb_load_bytes: ({ args, mem }) => {
        const data = this.pkt.bytes;
        const off = Number(BigInt.asIntN(32, args[1]));
        const len = Number(args[3] & 0xffffffffn);
        const ok = off >= 0 && off <= 0xffff && off + len <= data.length;
        mem.write(args[2], ok ? data.slice(off, off + len) : new Uint8Array(len));
        return ok ? 0n : neg(EFAULT);
      },
      // bpf_skb_store_bytes(skb, offset, from, len, flags): into the packet from skb->data on
      bpf_skb_store_bytes: ({ args, mem }) => {
        if (args[4] & ~3n) return neg(EINVAL); // BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH
        const off = Number(args[1] & 0xffffffffn);
        const len = Number(args[3] & 0xffffffffn);
        if (off > 0x7fffffff) return neg(EFAULT);
        // skb_ensure_writable: pskb_may_pull fails past the packet's end
        if (off + len > this.pkt.len) return neg(ENOMEM);
        this.pkt.bytes.set(mem.read(args[2], len), off);
        return 0n;
      },
      // bpf_skb_pull_data(skb, len): the test run's skb is linear; pulling past its end fails.
      bpf_skb_pull_data: ({ args }) => ((args[1] & 0xffffffffn) > BigInt(this.pkt.len) ? neg(ENOMEM) : 0n),
      // What the kernel answers here depends on the test runner (its pid, the clock, the
      // per-CPU random state); the model answers fixed, plausible values, so only programs
      // whose result does not depend on them agree with a kernel run.
      bpf_get_current_pid_tgid: () => (TEST_RUNNER_TGID << 32n) | TEST_RUNNER_PID,
      bpf_ktime_get_boot_ns: () => (this.bootNs += 1_000n),
      bpf_get_prandom_u32: () => this.nextPrandom(),
      bpf_user_rnd_u32: () => this.nextPrandom(),
      // The run's RCU read-side region has no effect the program can see.
      bpf_rcu_read_lock: () => 0n,
      bpf_rcu_read_unlock: () => 0n,
      // bpf_trace_printk(fmt, fmt_size, …): the bytes the trace line would take.
      bpf_trace_printk: ({ args, mem }) => {
        const size = Number(args[1] & 0xffffffffn);
        const fmt = mem.read(args[0], size);
        const line = formatTracePrintk(fmt, [args[2], args[3], args[4]]);
        return line === undefined ? neg(EINVAL) : BigInt(line.length);
      },
      // The test run's skb owns a socket made by sock_init_data without a file: uid 0.
      bpf_get_socket_uid: () => 0n,
      // bpf_tail_call: the corpus loader leaves every prog_array empty, so the call falls
      // through to the next insn (r0..r5 are dead after it for the verifier).
      bpf_tail_call: () => 0n,
      bpf_csum_diff: ({ args, mem }) => {
        const fromSize = Number(args[1] & 0xffffffffn);
        const toSize = Number(args[3] & 0xffffffffn);
        if ((fromSize | toSize) & 3) return neg(EINVAL);
        const from = fromSize ? mem.read(args[0], fromSize) : new Uint8Array(0);
        const to = toSize ? mem.read(args[2], toSize) : new Uint8Array(0);
        return csumDiff(from, to, args[4] & 0xffffffffn);
      },
      bpf_l3_csum_replace: csumReplaceHelper(false),
      bpf_l4_csum_replace: csumReplaceHelper(true),
      // bpf_xdp_adjust_head(xdp, offset): data moves within [data_hard_start + sizeof(struct
      // xdp_frame) + metadata, data_end - ETH_HLEN]; the metadata moves with it.
      bpf_xdp_adjust_head: ({ args }) => {
        const p = this.pkt;
        const offset = Number(BigInt.asIntN(32, args[1]));
        const metalen = p.meta > p.data ? 0 : p.data - p.meta;
        const data = p.data + offset;
        if (data < this.sizes.xdpFrame + metalen || data > p.end - ETH_HLEN) return neg(EINVAL);
        if (metalen) p.buf.copyWithin(p.meta + offset, p.meta, p.meta + metalen);
        p.meta += offset;
        p.data = data;
        return 0n;
      },
      // bpf_xdp_adjust_meta(xdp, offset): data_meta moves within [data_hard_start +
      // sizeof(struct xdp_frame), data]; the metadata is whole u32s, at most 255 bytes.
      bpf_xdp_adjust_meta: ({ args }) => {
        const p = this.pkt;
        if (p.meta > p.data) return neg(ENOTSUPP);
        const meta = p.meta + Number(BigInt.asIntN(32, args[1]));
        if (meta < this.sizes.xdpFrame || meta > p.data) return neg(EINVAL);
        const metalen = p.data - meta;
        if (metalen & 3 || metalen > 255) return neg(EACCES);
        p.meta = meta;
        return 0n;
      },
      // bpf_xdp_adjust_tail(xdp, offset): data_end moves within [data + ETH_HLEN, the frame's
      // end less the skb_shared_info tailroom]; grown bytes are zeroed.
      bpf_xdp_adjust_tail: ({ args }) => {
        const p = this.pkt;
        const offset = Number(BigInt.asIntN(32, args[1]));
        const end = p.end + offset;
        if (end > p.buf.length - this.tailroom() || end < p.data + ETH_HLEN) return neg(EINVAL);
        if (offset > 0) p.buf.fill(0, p.end, end);
        p.end = end;
        return 0n;
      },
      // bpf_redirect(ifindex, flags) in tc: TC_ACT_REDIRECT, or TC_ACT_SHOT for flags other
      // than BPF_F_INGRESS; in xdp: XDP_REDIRECT, or XDP_ABORTED for any flag. The test run
      // only reports the verdict.
      bpf_redirect: ({ args }) => (args[1] & ~1n ? 2n : 7n),
      bpf_xdp_redirect: ({ args }) => (args[1] ? 0n : 4n),
      // bpf_skb_load_bytes_relative(skb, offset, to, len, start_header): from the MAC (0) or
      // network (1) header up to the skb's tail; the buffer is zeroed on error.
      bpf_skb_load_bytes_relative: ({ args, mem }) => {
        const p = this.pkt;
        const len = Number(args[3] & 0xffffffffn);
        const offset = args[1] & 0xffffffffn;
        const mac = this.progType === 'xdp' ? p.data : p.head;
        const start = args[4] === 0n ? mac : args[4] === 1n ? mac + ETH_HLEN : undefined;
        const at = start === undefined || offset > 0xffffn ? undefined : start + Number(offset);
        const ok = at !== undefined && at + len <= p.end;
        mem.write(args[2], ok ? p.buf.slice(at, at + len) : new Uint8Array(len));
        return ok ? 0n : neg(EFAULT);
      },
      bpf_skb_load_helper_8_no_cache: ldAbs(1),
      bpf_skb_load_helper_16_no_cache: ldAbs(2),
      bpf_skb_load_helper_32_no_cache: ldAbs(4),
      // The thunk refills the count in BPF_REG_AX (keeping r0-r5) until 250 ms have passed;
      // the engines return helper results in r0, so a run that gets here faults (-1) rather
      // than run on wrongly. Runs ending within the first 65535 iterations never call it.
      arch_bpf_timed_may_goto: () => {
        throw new Error('not modelled: may_goto count ran out (arch_bpf_timed_may_goto refill)');
      },
    };
  }

  /** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the tailroom test_run leaves. */
  private tailroom(): number {
    return (this.sizes.skbSharedInfo + 63) & ~63;
  }

  /**
   * The packet buffer of one run, mapped so its data starts at packetBase when given: xdp
   * gets a page (XDP_PACKET_HEADROOM, the data, room to grow, the shared-info tailroom).
   */
  private packet(dataIn: Uint8Array): Packet {
    const xdp = this.progType === 'xdp';
    const head = xdp ? XDP_HEADROOM : SKB_HEADROOM;
    const size = xdp
      ? Math.max(XDP_FRAME_SIZE, head + dataIn.length + this.tailroom())
      : head + dataIn.length + this.tailroom();
    const buf = new Uint8Array(size);
    buf.set(dataIn, head);
    const at = this.packetBase === undefined ? undefined : this.packetBase - BigInt(head);
    const addr = this.mem.map('packet', buf, true, at);
    this.perRun.push(addr);
    // socket filters and cgroup_skb see the skb after eth_type_trans pulled the Ethernet header
    const data = xdp || this.progType === 'sched_cls' ? head : head + ETH_HLEN;
    return new Packet(buf, addr, head, data, head + dataIn.length, data, head + dataIn.length);
  }

  private region(
    name: string,
    bytes: Uint8Array,
    dyn?: Parameters<typeof structRegion>[3],
    narrow?: ReadonlyMap<number, number>,
  ): bigint {
    const at = structRegion(this.mem, name, bytes, dyn, narrow);
    this.perRun.push(at);
    return at;
  }

  /**
   * The socket bpf_prog_test_run_skb gives an IPv4 packet's skb: sock_init_data's
   * TCP_CLOSE, family AF_INET, the addresses from the IPv4 header, everything else 0.
   */
  private sockFields(): { family: number; state: number; saddr: Uint8Array; daddr: Uint8Array } {
    const ip = this.pkt.buf.subarray(this.pkt.data + (this.progType === 'sched_cls' ? ETH_HLEN : 0));
    const ok = ip.length >= 20;
    return {
      family: 2, // AF_INET
      state: TCP_CLOSE,
      saddr: ok ? ip.slice(12, 16) : new Uint8Array(4),
      daddr: ok ? ip.slice(16, 20) : new Uint8Array(4),
    };
  }

  /** r1 of an skb program, the loaded program's view: struct __sk_buff. */
  private uapiSkb(): bigint {
    const p = this.pkt;
    const s = this.sockFields();
    const sk = new Uint8Array(80); // struct bpf_sock
    sk[4] = s.family;
    sk.set(s.saddr, 24); // src_ip4 = sk_rcv_saddr = saddr
    sk.set(s.daddr, 52); // dst_ip4 = sk_daddr = daddr
    sk[72] = s.state;
    putLE(sk, 76, 4, 0xffffffff); // rx_queue_mapping: -1, no queue recorded
    const skAddr = this.region('bpf_sock', sk);
    const b = new Uint8Array(192);
    putLE(b, 4, 4, PACKET_OTHERHOST); // pkt_type
    putLE(b, 16, 4, 8); // protocol: htons(ETH_P_IP)
    putLE(b, 40, 4, LOOPBACK_IFINDEX); // ifindex
    putLE(b, 168, 8, skAddr); // sk
    return this.region(
      '__sk_buff',
      b,
      [
        { off: 0, size: 4, get: () => BigInt(p.len) },
        { off: 76, size: 4, get: () => p.ptr(p.data) }, // data
        { off: 80, size: 4, get: () => p.ptr(p.end) }, // data_end
        { off: 140, size: 4, get: () => p.ptr(p.meta) }, // data_meta
      ],
      // tc_index and tc_classid are u16 in the kernel's skb; a wider write keeps 16 bits.
      new Map([
        [44, 2],
        [72, 2],
      ]),
    );
  }

  /** r1 of an skb program, the xlated program's view: struct sk_buff by the kernel's layout. */
  private kernelSkb(L: StructLayout): bigint {
    const p = this.pkt;
    const s = this.sockFields();
    const sk = new Uint8Array(L.structSize('sock'));
    putLE(sk, L.off('sock_common', 'skc_family'), 2, s.family);
    putLE(sk, L.off('sock_common', 'skc_state'), 1, s.state);
    sk.set(s.saddr, L.off('sock_common', 'skc_rcv_saddr'));
    sk.set(s.daddr, L.off('sock_common', 'skc_daddr'));
    const skAddr = this.region('sock', sk);
    const dev = new Uint8Array(L.structSize('net_device'));
    putLE(dev, L.off('net_device', 'ifindex'), 4, LOOPBACK_IFINDEX);
    const devAddr = this.region('net_device', dev);
    const b = new Uint8Array(L.structSize('sk_buff'));
    const f = (m: string) => L.off('sk_buff', m);
    const pt = L.loc('sk_buff', 'pkt_type');
    b[pt.bitOffset >> 3]! |= PACKET_OTHERHOST << (pt.bitOffset & 7);
    putLE(b, f('protocol'), 2, 8); // htons(ETH_P_IP)
    putLE(b, f('dev'), 8, devAddr);
    putLE(b, f('sk'), 8, skAddr);
    const cb = f('cb');
    return this.region('sk_buff', b, [
      { off: f('len'), size: 4, get: () => BigInt(p.len) },
      { off: f('data'), size: 8, get: () => p.ptr(p.data) },
      { off: f('head'), size: 8, get: () => p.addr },
      { off: f('end'), size: 4, get: () => BigInt(p.tail) },
      // bpf_compute_data_pointers: qdisc_skb_cb's bpf_skb_data_end
      { off: cb + L.off('bpf_skb_data_end', 'data_meta'), size: 8, get: () => p.ptr(p.meta) },
      { off: cb + L.off('bpf_skb_data_end', 'data_end'), size: 8, get: () => p.ptr(p.end) },
    ]);
  }

  /** r1 of an xdp program: struct xdp_md (loaded) or struct xdp_buff (xlated). */
  private xdpCtx(L: StructLayout | undefined): bigint {
    const p = this.pkt;
    if (!L) {
      const b = new Uint8Array(24);
      putLE(b, 12, 4, LOOPBACK_IFINDEX); // ingress_ifindex; rx_queue_index 0
      return this.region('xdp_md', b, [
        { off: 0, size: 4, get: () => p.ptr(p.data) },
        { off: 4, size: 4, get: () => p.ptr(p.end) },
        { off: 8, size: 4, get: () => p.ptr(p.meta) },
      ]);
    }
    const dev = new Uint8Array(L.structSize('net_device'));
    putLE(dev, L.off('net_device', 'ifindex'), 4, LOOPBACK_IFINDEX);
    const rxq = new Uint8Array(L.structSize('xdp_rxq_info'));
    putLE(rxq, L.off('xdp_rxq_info', 'dev'), 8, this.region('net_device', dev));
    const b = new Uint8Array(L.structSize('xdp_buff'));
    const f = (m: string) => L.off('xdp_buff', m);
    putLE(b, f('rxq'), 8, this.region('xdp_rxq_info', rxq));
    return this.region('xdp_buff', b, [
      { off: f('data'), size: 8, get: () => p.ptr(p.data) },
      { off: f('data_end'), size: 8, get: () => p.ptr(p.end) },
      { off: f('data_meta'), size: 8, get: () => p.ptr(p.meta) },
      { off: f('data_hard_start'), size: 8, get: () => p.addr },
    ]);
  }

  /** A syscall program's ctx: ctx_in, which the verifier allows it to reach past (U16_MAX). */
  private syscallCtx(data: Uint8Array): { ctx: bigint; bytes: Uint8Array } {
    const b = data.slice();
    const inside = (off: number, size: number) => {
      if (off + size > b.length) throw new CtxBeyondInput();
    };
    const ctx = this.mem.mapVirtual(SYSCALL_CTX, 0xffff, {
      load: (off, size) => {
        inside(off, size);
        return getLE(b, off, size);
      },
      store: (off, size, v) => {
        inside(off, size);
        putLE(b, off, size, v);
      },
    });
    this.perRun.push(ctx);
    return { ctx, bytes: b };
  }

  run(dataIn: Uint8Array): TestRunResult {
    for (const at of this.perRun) this.mem.unmap(at);
    this.perRun = [];
    const L = this.xlated?.layout;
    let ctx: bigint;
    let ctxOut: Uint8Array | undefined;
    let ldAbs: Uint8Array | undefined;
    if (this.progType === 'syscall') {
      const s = this.syscallCtx(dataIn);
      ctx = s.ctx;
      ctxOut = s.bytes;
      this.pkt = new Packet(new Uint8Array(0), 0n, 0, 0, 0, 0, 0);
    } else {
      this.pkt = this.packet(dataIn);
      if (this.progType === 'xdp') ctx = this.xdpCtx(L);
      else ctx = L ? this.kernelSkb(L) : this.uapiSkb();
      // legacy ld_abs/ld_ind of the loaded program read from skb->data
      if (!L && this.progType === 'socket_filter') ldAbs = this.pkt.bytes;
    }
    let res: ReturnType<typeof runProgram>;
    try {
      res = runProgram(this.insns, {
        mem: this.mem,
        args: [ctx],
        ...(ldAbs ? { packet: ldAbs } : {}),
        helpers: this.helpers,
        // the xlated program's kfunc calls carry the call imm too
        ...(this.xlated ? { kfuncs: this.helpers } : {}),
        ldImm64: this.ldImm64,
        // the rewritten tail call: every prog_array the corpus loads is empty
        tailCall: () => 0n,
        ...(this.xlated ? { validate: { internal: true } } : {}),
        ...(this.engine ? { engine: this.engine } : {}),
      });
    } catch (e) {
      // bpf_prog_test_run_syscall refuses a ctx_in shorter than the furthest ctx access the
      // verifier saw (max_ctx_offset) before running: the model finds it when the access faults.
      if (e instanceof CtxBeyondInput)
        return { retval: 0, dataOut: new Uint8Array(0), errno: Number(EINVAL) };
      throw e;
    }
    return { retval: Number(res.r0 & 0xffffffffn), dataOut: ctxOut ?? this.dataOut() };
  }

  /** data_out: xdp from data_meta on; an skb program from its MAC header on, zeroed when pulled. */
  private dataOut(): Uint8Array {
    const p = this.pkt;
    if (this.progType === 'xdp') return p.buf.slice(p.meta, p.end);
    if (this.progType === 'sched_cls') return p.buf.slice(p.data, p.end);
    const out = new Uint8Array(ETH_HLEN + p.len);
    out.set(p.bytes, ETH_HLEN);
    return out;
  }
}
